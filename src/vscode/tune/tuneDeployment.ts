import * as vscode from 'vscode';
import * as path from 'node:path';
import type { PipelineDeps } from '../../core/launch/launchPipeline';
import type { TuneProgress, TuneResult } from '../../core/tune/tuneResult';
import type { TuneSpec } from '../../core/tune/tuneSpec';
import { candidateLabel } from '../../protocol/tuneProtocol';
import { loadTuneModule } from '../lazyModules';
import { HF_TOKEN_SECRET } from '../launch/launchProfile';
import { TuneResultsPanel, type ApplyToProfile } from './tuneResultsPanel';
import { readServerSecret } from '../launch/serverSecrets';

/** Arguments for running without prompts (automation, tests, the "Run Tuning" button of a new spec). */
export interface TuneDeploymentArgs {
  /** The *.tune.yaml to run (absolute). */
  readonly specPath?: string;
  /** Continue an interrupted run of that spec: true = its latest run, or a run id. */
  readonly resume?: boolean | string;
}

/** What the tuning commands need from the extension. */
export interface TuneContext {
  readonly extensionUri: vscode.Uri;
  /** The launch pipeline's dependencies (the same as Launch Server's). */
  deps(): PipelineDeps;
  readonly secrets: vscode.SecretStorage;
  readonly output: vscode.OutputChannel;
}

const TUNING_DIR = ['.deepseek', 'tuning'];
const utf8 = async (f: string): Promise<string> => Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.file(f))).toString('utf8');

/** Reads a saved tune.json; refuses a file that is not one (a benchmark result, anything else) with a clear message. */
export async function readTuneResult(file: string): Promise<TuneResult> {
  let data: unknown;
  try {
    data = JSON.parse(await utf8(file));
  } catch (e) {
    throw new Error(`${file} is not a tuning result: ${(e as Error).message}`, { cause: e });
  }
  const r = data as Partial<TuneResult> | null;
  if (!r || typeof r !== 'object' || r.version !== 1 || typeof r.runId !== 'string' || !Array.isArray(r.candidates)) {
    throw new Error(`${file} is not a tuning result (tune.json of a "DeepSeek: Tune Deployment" run)`);
  }
  return r as TuneResult;
}

/** Tuning runs saved in the workspace (.deepseek/tuning/<runId>/tune.json), newest first. */
async function savedRuns(): Promise<{ file: string; result: TuneResult }[]> {
  const files = await vscode.workspace.findFiles(`${TUNING_DIR.join('/')}/*/tune.json`, undefined, 200);
  const out: { file: string; result: TuneResult }[] = [];
  for (const f of files) {
    try {
      out.push({ file: f.fsPath, result: await readTuneResult(f.fsPath) });
    } catch {
      // A half-written or foreign file is not offered for resume.
    }
  }
  return out.sort((a, b) => b.result.startedAt.localeCompare(a.result.startedAt));
}

/** The folder that holds .deepseek/tuning/ for a spec: its workspace folder, else the first one, else its own. */
function rootFor(specPath: string): string {
  return vscode.workspace.getWorkspaceFolder(vscode.Uri.file(specPath))?.uri.fsPath ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? path.dirname(specPath);
}

/** "Apply to profile" target of a result: the base profile's file, or why there is none. */
function applyTarget(r: TuneResult): { file: string } | { unavailable: string } {
  if (!r.best) return { unavailable: 'no configuration met the SLOs' };
  if (!r.baseProfile.file) return { unavailable: 'the base profile is a preset or inline in the spec: save it as a *.deepseek.yaml file and point base.profile at it' };
  return { file: vscode.workspace.asRelativePath(r.baseProfile.file) };
}

/**
 * Writes a candidate's settings into the tuning run's base profile (its *.deepseek.yaml), keeping the user's comments,
 * with a comment naming the run. Refuses while the file has unsaved edits in an editor (they would be overwritten).
 */
export const applyToProfile: ApplyToProfile = async (result, candidateId) => {
  const api = loadTuneModule();
  const c = result.candidates.find((x) => x.id === candidateId);
  const file = result.baseProfile.file;
  if (!c) throw new Error(`no configuration ${candidateId} in run ${result.runId}`);
  const target = applyTarget(result);
  if (!file || 'unavailable' in target) throw new Error('unavailable' in target ? target.unavailable : 'no profile file');
  const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
  if (open?.isDirty) throw new Error(`${vscode.workspace.asRelativePath(file)} has unsaved changes: save or revert it first`);
  const text = await utf8(file);
  const base = api.loadProfile({ yaml: text, file });
  const spec = api.parseTuneSpecYaml(await utf8(result.specFile), result.specFile);
  const tuned = api.profileForCandidate(spec, base, c);
  const why = c.id === result.best?.id ? result.bestReason : `picked by hand in the results view (the run chose ${result.best ? candidateLabel(result.best) : 'none'})`;
  const out = api.applyTunedProfile(text, base, tuned, { runId: result.runId, configuration: candidateLabel(c), why, finishedAt: result.finishedAt ?? undefined }, file);
  await vscode.workspace.fs.writeFile(vscode.Uri.file(file), Buffer.from(out.text, 'utf8'));
  void vscode.window.showInformationMessage(`DeepSeek: ${out.changed.length ? `wrote ${out.changed.join(', ')}` : 'no setting changed (comment updated)'} in ${vscode.workspace.asRelativePath(file)}`, 'Open Profile').then((pick) => pick && vscode.window.showTextDocument(vscode.Uri.file(file)));
  return { file, changed: out.changed };
};

/** Shows a saved tune.json in the results view. */
export async function showTuneFile(ctx: TuneContext, file: string): Promise<TuneResult | undefined> {
  try {
    const result = await readTuneResult(file);
    TuneResultsPanel.show(ctx.extensionUri, result, { file, live: false, apply: applyToProfile, applyTarget: applyTarget(result) });
    return result;
  } catch (e) {
    void vscode.window.showErrorMessage(`DeepSeek: ${(e as Error).message}`);
    return undefined;
  }
}

/**
 * "DeepSeek: Open Tuning Results…": a saved tune.json (from the Explorer's context menu, a path, or a file dialog)
 * in the tuning results view.
 */
export function openTuneResultsCommand(ctx: TuneContext) {
  return async (target?: vscode.Uri | string): Promise<TuneResult | undefined> => {
    let file = typeof target === 'string' ? target : target?.fsPath;
    if (!file) {
      const ws = vscode.workspace.workspaceFolders?.[0];
      const picked = await vscode.window.showOpenDialog({ title: 'Open tuning results (tune.json)', defaultUri: ws ? vscode.Uri.joinPath(ws.uri, ...TUNING_DIR) : undefined, filters: { 'Tuning results': ['json'] } });
      file = picked?.[0]?.fsPath;
    }
    return file ? showTuneFile(ctx, file) : undefined;
  };
}

/** Creates an example spec (the CLI's `tune --example`: a small search against the simulator on this machine). */
async function createExampleSpec(): Promise<string | undefined> {
  const ws = vscode.workspace.workspaceFolders?.[0];
  const text = loadTuneModule().TUNE_EXAMPLE;
  if (!ws) {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ language: 'yaml', content: text }));
    void vscode.window.showInformationMessage('Open a folder to keep tuning specs and runs next to your work; save this one as NAME.tune.yaml to run it.');
    return undefined;
  }
  let uri = vscode.Uri.joinPath(ws.uri, ...TUNING_DIR, 'example.tune.yaml');
  for (let n = 2; await exists(uri); n++) uri = vscode.Uri.joinPath(ws.uri, ...TUNING_DIR, `example-${n}.tune.yaml`);
  await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
  await vscode.window.showTextDocument(uri, { preview: false });
  return uri.fsPath;
}

const exists = async (uri: vscode.Uri): Promise<boolean> => vscode.workspace.fs.stat(uri).then(() => true, () => false);

type Pick = vscode.QuickPickItem & { run?: { specPath: string; resume?: string }; example?: true };

/** The quick pick: specs in the workspace, interrupted runs to resume, or a new spec from the example. */
async function pickSpec(): Promise<{ specPath: string; resume?: string } | undefined> {
  const specs = await vscode.workspace.findFiles('**/*.tune.yaml', '**/node_modules/**', 100);
  const unfinished = (await savedRuns()).filter((s) => s.result.state !== 'done');
  const items: Pick[] = [
    ...specs.map((f) => ({ label: `$(play) ${vscode.workspace.asRelativePath(f)}`, description: 'tuning spec', run: { specPath: f.fsPath } })),
    ...unfinished.map((s) => {
      const fitting = s.result.candidates.filter((c) => c.fits);
      const done = fitting.filter((c) => c.status === 'done' || c.status === 'failed').length;
      return { label: `$(debug-restart) Resume ${s.result.runId}`, description: `${s.result.specName} · ${done}/${fitting.length} configurations done · ${s.result.state === 'running' ? 'interrupted' : s.result.state}`, run: { specPath: s.result.specFile, resume: s.result.runId } };
    }),
    { label: '$(new-file) New Tuning Spec from the Example…', description: 'a small search against the simulator on this machine (no GPU)', example: true },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'Tune Deployment', placeHolder: 'A *.tune.yaml spec to run, a run to resume, or a new spec' });
  if (!picked) return undefined;
  if (picked.run) return picked.run;
  const created = await createExampleSpec();
  if (!created) return undefined;
  const run = await vscode.window.showInformationMessage(`DeepSeek: created ${vscode.workspace.asRelativePath(created)}: a small search against the simulator (a few minutes, no GPU). Edit it, or run it now.`, 'Run Tuning');
  return run ? { specPath: created } : undefined;
}

/** A progress event in words (notification and the panel's progress line). */
function progressText(p: TuneProgress): string {
  switch (p.kind) {
    case 'plan': return `${p.candidates} configurations, ${p.fitting} fit the GPUs`;
    case 'launch': return `${p.candidate}: ${p.detail}`;
    case 'ready': return `${p.candidate}: server ${p.adopted ? 'adopted' : 'ready'} at ${p.url}`;
    case 'run': return `${p.candidate}: ${p.run.load.kind} ${p.run.load.value} → ${p.run.outputTokPerSec.toFixed(0)} tok/s, SLOs ${p.run.sloPass ? 'met' : 'missed'}${p.reused ? ' (saved run reused)' : ''}`;
    case 'candidate': return `${p.candidate.id}: ${p.candidate.status}${p.candidate.maxLoadMeetingSlo ? `, max ${p.candidate.maxLoadMeetingSlo.kind} ${p.candidate.maxLoadMeetingSlo.value}` : ''}`;
    case 'note': return p.message;
  }
}

let running: AbortController | undefined;

/**
 * "DeepSeek: Tune Deployment…": pick or create a tuning spec (or an interrupted run to resume), run it through the
 * tuner (runTune: the planner, the one launch pipeline, the benchmark) with a cancellable progress notification, and
 * show the results view live. Cancel stops the server the run started; the run stays resumable. One run per window.
 * @returns the tuning result, or undefined when the user backed out or the spec was refused
 */
export function tuneDeploymentCommand(ctx: TuneContext) {
  return async (args?: TuneDeploymentArgs): Promise<TuneResult | undefined> => {
    if (running) {
      void vscode.window.showWarningMessage('DeepSeek: a tuning run is already going in this window; cancel it from its notification first.');
      return undefined;
    }
    const choice = args?.specPath ? { specPath: args.specPath, resume: args.resume } : await pickSpec();
    if (!choice) return undefined;
    const api = loadTuneModule();
    const specPath = choice.specPath;
    let spec: TuneSpec;
    let deps: Parameters<typeof api.runTune>[1];
    try {
      spec = api.parseTuneSpecYaml(await utf8(specPath), specPath);
      const base = await api.loadTuneBase(spec, specPath);
      const secretName = base.profile.knobs.apiKeySecret;
      deps = {
        pipeline: ctx.deps(),
        baseProfile: base.profile,
        baseProfileFile: base.file,
        specFile: specPath,
        rootDir: rootFor(specPath),
        hfToken: await ctx.secrets.get(HF_TOKEN_SECRET),
        apiKey: secretName ? await readServerSecret(ctx.secrets, secretName) : undefined,
      };
    } catch (e) {
      // A bad spec names the field and line: offer to go there.
      const m = /:(\d+):(\d+):/.exec((e as Error).message);
      const go = await vscode.window.showErrorMessage(`DeepSeek: ${(e as Error).message}`, 'Open Spec');
      if (go) await vscode.window.showTextDocument(vscode.Uri.file(specPath), m ? { selection: new vscode.Range(+m[1] - 1, +m[2] - 1, +m[1] - 1, +m[2] - 1) } : {});
      return undefined;
    }
    const resume = typeof choice.resume === 'string' ? { runId: choice.resume } : choice.resume;
    const ac = new AbortController();
    running = ac;
    let runId = typeof choice.resume === 'string' ? choice.resume : undefined;
    const started = new Date(Date.now() - 1000).toISOString();
    const tuneFile = (): string | undefined => (runId ? path.join(deps.rootDir, ...TUNING_DIR, runId, 'tune.json') : undefined);
    // The view follows the saved tune.json (rewritten after every run), so what it shows is what resume would read.
    // This run's folder is the newest of this spec's runs started (or, resumed, continued) since the command began.
    let finished = false;
    const refresh = async (): Promise<void> => {
      if (finished) return;
      if (!runId) runId = (await savedRuns()).find((s) => s.result.specName === spec.name && s.file.startsWith(deps.rootDir) && (resume === true || s.result.startedAt >= started))?.result.runId;
      const f = tuneFile();
      if (!f) return;
      try {
        const r = await readTuneResult(f);
        // A read that completes after the run ended must not turn the final view back into a live one.
        if (finished) return;
        TuneResultsPanel.show(ctx.extensionUri, r, { file: f, live: true, apply: applyToProfile, applyTarget: applyTarget(r) });
      } catch {
        // Not written yet.
      }
    };
    ctx.output.appendLine(`tune ${specPath}${resume ? ' (resume)' : ''}`);
    try {
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Tuning ${spec.name}`, cancellable: true }, (progress, token) => {
        token.onCancellationRequested(() => ac.abort());
        return api.runTune(spec, deps, {
          signal: ac.signal,
          resume,
          onProgress: (p) => {
            const text = progressText(p);
            ctx.output.appendLine(text);
            progress.report({ message: text });
            TuneResultsPanel.progress(text);
            if (p.kind === 'run' || p.kind === 'candidate' || p.kind === 'plan') void refresh();
          },
        });
      });
      finished = true;
      runId = result.runId;
      const file = tuneFile();
      TuneResultsPanel.show(ctx.extensionUri, result, { file, live: false, apply: applyToProfile, applyTarget: applyTarget(result) });
      if (result.state === 'cancelled') void vscode.window.showInformationMessage(`DeepSeek: tuning run ${result.runId} cancelled; the server it started was stopped. "Tune Deployment" → Resume continues it.`);
      else if (result.best) void vscode.window.showInformationMessage(`DeepSeek: tuning chose ${candidateLabel(result.best)}. ${result.bestReason}`);
      else void vscode.window.showWarningMessage(`DeepSeek: no configuration met the SLOs. ${result.bestReason}`);
      return result;
    } catch (e) {
      finished = true;
      void vscode.window.showErrorMessage(`DeepSeek: tuning failed: ${(e as Error).message}`);
      return undefined;
    } finally {
      running = undefined;
    }
  };
}
