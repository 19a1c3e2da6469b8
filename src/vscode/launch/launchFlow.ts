import * as vscode from 'vscode';
import type { EndpointStore } from '../../core/endpoints/endpointStore';
import type { LaunchRequest, PipelineDeps, PreparedLaunch } from '../../core/launch/launchPipeline';
import type { PreflightProblem } from '../../core/launch/preflight';
import { flavorOf } from '../../core/engines/engineArgv';
import { redactText } from '../../core/security/redact';
import { apiKeySecret } from '../chat/customEndpoints';
import { askAndStoreServerSecret, readServerSecret } from './serverSecrets';
import { fetchSteps, runFetchSteps, type FetchStep } from '../../core/launch/fetchArtifacts';
import { loadLaunchModule } from '../lazyModules';
import type { ManagedServers } from './managedServers';

export interface LaunchUiOptions {
  /** Ask and show the exact command before anything runs (false: automation and tests). */
  readonly interactive: boolean;
  readonly hostLabel: string;
  /** The Endpoints row's label. */
  readonly endpointLabel: string;
  /** The confirmation also offers the whole remote script (profile launches). */
  readonly showScript: boolean;
  /** Launch despite overridable pre-flight problems (non-interactive callers; the dialog asks otherwise). */
  readonly force?: boolean;
  readonly timeoutMs?: number;
  /** Stop it when this window closes (local simulators). */
  readonly stopWithWindow: boolean;
  /** "(simulated 8×H200, no GPU used)" and such, for the dialog's title. */
  readonly note?: string;
}

/**
 * Simulator options that bind a local simulator to this window: it exits when this extension host's process is gone,
 * even when the window was killed and could not stop it (unless deepseek.servers.keepLocalSimulators).
 */
export function windowBound(stopWithWindow: boolean): string[] {
  const keep = vscode.workspace.getConfiguration('deepseek.servers').get<boolean>('keepLocalSimulators', false);
  return stopWithWindow && !keep ? ['--parent-pid', String(process.pid)] : [];
}

const problemText = (ps: readonly PreflightProblem[]): string => ps.map((p) => `• ${p.message}\n  ${p.remedy}`).join('\n\n');

/**
 * The extension's side of the one launch pipeline, shared by "Simulator on This machine", "Launch from Profile" and
 * Restart: prepare (host → probe → pre-flight → fit → plan), show refusals and the exact command, then start with a
 * progress notification, a log channel and an Endpoints row. Returns the endpoint id, or undefined when the user
 * declined; non-interactive callers get the error thrown.
 */
export async function launchWithUi(request: LaunchRequest, o: LaunchUiOptions, ctx: { managed: ManagedServers; endpoints: EndpointStore; deps: PipelineDeps; secrets: vscode.SecretStorage }): Promise<string | undefined> {
  const api = loadLaunchModule();
  const fail = (msg: string, e: Error): undefined => {
    void vscode.window.showErrorMessage(`DeepSeek: ${msg}`, { modal: false });
    if (!o.interactive) throw e;
    return undefined;
  };
  // The server's API key: the SecretStorage entry knobs.apiKeySecret names, or a random one where the port is
  // reachable from other machines (SLURM, a wider knobs.host). Kept under the endpoint id for chat and benchmarks.
  let apiKey = request.apiKey;
  const secretName = request.profile.knobs.apiKeySecret;
  if (!apiKey && secretName) {
    apiKey = await readServerSecret(ctx.secrets, secretName);
    // Not stored yet: an interactive launch offers to store it now (the same prompt as "DeepSeek: Set Secret…").
    if (!apiKey && o.interactive) {
      const set = await vscode.window.showWarningMessage(`${request.profile.name}: knobs.apiKeySecret names "${secretName}", which is not stored yet`, { modal: true, detail: 'The engine will require this key; chat and benchmarks send it. Set it now, or run "DeepSeek: Set Secret…" later.' }, 'Set Secret…');
      if (set !== 'Set Secret…') return undefined;
      apiKey = await askAndStoreServerSecret(ctx.secrets, secretName, `${request.profile.name} needs it to launch.`);
      if (!apiKey) return undefined;
    }
    const missing = `knobs.apiKeySecret names "${secretName}", which is not in secret storage. Store it with "DeepSeek: Set Secret…" or remove the knob.`;
    if (!apiKey) return fail(missing, new Error(missing));
  } else if (!apiKey) apiKey = api.generatedServerKey(request.profile);
  const req: LaunchRequest = { ...request, apiKey };
  const redact = (l: string): string => redactText(l, [req.hfToken, apiKey]);
  let prep: PreparedLaunch;
  try {
    prep = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Checking ${o.hostLabel}` }, () => api.prepareLaunch(req, ctx.deps));
  } catch (e) {
    return fail(`cannot prepare ${req.profile.name} on ${o.hostLabel}: ${(e as Error).message}`, e as Error);
  }
  const hard = prep.problems.filter((p) => !p.overridable);
  const soft = prep.problems.filter((p) => p.overridable);
  let force = o.force ?? false;
  if (hard.length) {
    if (o.interactive) void vscode.window.showErrorMessage(`DeepSeek: ${prep.profile.name} cannot start on ${o.hostLabel}`, { modal: true, detail: problemText(hard) });
    else throw new api.PreflightError(hard);
    return undefined;
  }
  if (soft.length && !o.interactive && !force) throw new api.PreflightError(soft);
  if (soft.length && o.interactive) {
    const go = await vscode.window.showWarningMessage(`${prep.profile.name} on ${o.hostLabel}: pre-flight found problems`, { modal: true, detail: problemText(soft) }, 'Launch Anyway');
    if (go !== 'Launch Anyway') return undefined;
    force = true;
  }
  if (o.interactive) {
    const notes = [...(prep.fit ? [`Memory: ${prep.fit.summary}`] : []), ...prep.preflight.notes];
    // What pre-flight found missing and we can fetch first, on the host, with progress (docker pull, hf download).
    const fetch = fetchSteps(prep.profile, prep.preflight);
    const fetchFirst = fetch.length ? `${fetch.map((f) => f.title.replace(/^(\w+) .*/, '$1')).join(' + ')}, then Launch` : undefined;
    const detail = `${notes.length ? `${notes.join('\n')}\n\n` : ''}$ ${fetch.map((f) => `${f.argv.join(' ')}\n$ `).join('')}${prep.commandLine}${o.showScript ? `\n\n${prep.script}` : ''}`;
    const buttons = [...(fetchFirst ? [fetchFirst] : []), 'Launch', 'Open Script', 'Copy Command'];
    const choice = await vscode.window.showInformationMessage(`Launch ${prep.profile.name} on ${o.hostLabel}${o.note ? ` ${o.note}` : ''}?`, { modal: true, detail }, ...buttons);
    if (choice === 'Copy Command') await vscode.env.clipboard.writeText(prep.commandLine);
    if (choice === 'Open Script') await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ content: prep.script, language: 'shellscript' }));
    if (choice !== 'Launch' && choice !== fetchFirst) return undefined;
    if (choice === fetchFirst && !(await fetchOnHost(prep, fetch, o.hostLabel, ctx))) return undefined;
  }
  const id = prep.id;
  const p = prep.profile;
  if (apiKey) await ctx.secrets.store(apiKeySecret(id), apiKey);
  else await ctx.secrets.delete(apiKeySecret(id));
  const out = ctx.managed.output(id, `${p.name} @ ${o.hostLabel}`);
  out.appendLine(`$ ${prep.commandLine}`);
  const base = { id, label: o.endpointLabel, model: p.model.servedModelName ?? p.model.id, engine: flavorOf(p), simulated: p.engine.kind === 'simulator', launched: true, profile: p.name } as const;
  ctx.endpoints.upsert({ ...base, baseUrl: '', status: 'starting', detail: `${p.runtime.kind} on ${o.hostLabel}` });
  const record = { id, host: prep.host.spec, profile: p, port: prep.plan.port, startedAt: new Date().toISOString(), launchedBy: 'vscode' as const };
  ctx.managed.remember(id, record);
  let report: (message: string, percent?: number) => void = () => undefined;
  try {
    const handle = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Starting ${p.name} on ${o.hostLabel}`, cancellable: true }, (progress, cancel) => {
      const ac = new AbortController();
      cancel.onCancellationRequested(() => ac.abort());
      let last = 0;
      report = (message, percent) => {
        const increment = percent !== undefined && percent >= last ? percent - last : 0;
        if (percent !== undefined) last = percent;
        progress.report({ message: percent !== undefined ? `${message} (${percent}%)` : message, increment });
      };
      return api.startLaunch(prep, ctx.deps, {
        force,
        timeoutMs: o.timeoutMs,
        signal: ac.signal,
        events: {
          onLog: (l) => out.appendLine(redact(l)),
          onState: (s, d) => report(s === 'listening' ? 'listening, warming up' : s === 'verifying' ? 'checking /v1/models and a 1-token request' : s === 'queued' && d ? `queued: ${d}` : s),
          onEvent: (ev) => {
            if (ev.kind === 'progress') report(ev.phase === 'weights' ? `loading weights ${ev.done}/${ev.total}${ev.eta ? ` · eta ${ev.eta}` : ''}` : 'capturing CUDA graphs', ev.percent);
          },
        },
      });
    });
    ctx.managed.adopt(handle, `${p.name} @ ${o.hostLabel}`, o.stopWithWindow);
    ctx.endpoints.upsert({ ...base, baseUrl: handle.url, status: 'ready', detail: `${p.runtime.kind} on ${o.hostLabel}` });
    void vscode.window.showInformationMessage(`DeepSeek: ${p.name} is ready at ${handle.url}${p.engine.kind === 'simulator' ? ' (simulated)' : ''}.`);
    return id;
  } catch (e) {
    const d = e as Error & { remedy?: string; suggestedMaxModelLen?: number };
    const msg = redact(`${d.message}${d.remedy ? ` — ${d.remedy}` : ''}${d.suggestedMaxModelLen ? ` (suggested knobs.maxModelLen: ${d.suggestedMaxModelLen})` : ''}`);
    ctx.endpoints.update(id, { status: 'failed', detail: msg });
    out.appendLine(`FAILED: ${msg}`);
    void vscode.window.showErrorMessage(`DeepSeek: ${p.name} failed: ${msg}`, 'Show Log').then((c) => c && out.show());
    if (!o.interactive) throw e;
    return undefined;
  }
}

/**
 * Runs the fetch steps (image pull, weights download) on the host with a cancellable progress notification, their
 * lines in the launch's output channel; true when all finished. Failures and cancels are shown, nothing is launched.
 */
async function fetchOnHost(prep: PreparedLaunch, steps: readonly FetchStep[], hostLabel: string, ctx: { managed: ManagedServers }): Promise<boolean> {
  const out = ctx.managed.output(prep.id, `${prep.profile.name} @ ${hostLabel}`);
  out.show(true);
  try {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `${steps.map((s) => s.title).join(', ')} on ${hostLabel}`, cancellable: true }, (progress, cancel) => {
      const ac = new AbortController();
      cancel.onCancellationRequested(() => ac.abort());
      return runFetchSteps(prep.host.runner, steps, {
        signal: ac.signal,
        onLine: (step, line) => {
          out.appendLine(`[${step.kind}] ${line}`);
          progress.report({ message: line.slice(0, 120) });
        },
      });
    });
    return true;
  } catch (e) {
    void vscode.window.showErrorMessage(`DeepSeek: ${(e as Error).message}`, 'Show Log').then((c) => c && out.show());
    return false;
  }
}
