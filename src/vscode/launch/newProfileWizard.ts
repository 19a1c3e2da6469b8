import * as vscode from 'vscode';
import { catalogByFamily, GPU_CATALOG } from '../../core/plan/catalog';
import { minimumGpus } from '../../core/plan/memoryFit';
import type { HostEntry } from '../../core/hosts/hostModel';
import type { HostsTreeProvider } from '../hosts/hostsTreeProvider';

interface Item<T> extends vscode.QuickPickItem { value: T }

const STEPS = 7;

async function step<T>(n: number, title: string, items: Item<T>[]): Promise<T | undefined> {
  const chosen = await vscode.window.showQuickPick(items, { title: `Launch Server (${n}/${STEPS}): ${title}`, ignoreFocusOut: true });
  return chosen?.value;
}

const hostRef = (h: HostEntry): string => (h.kind === 'local' ? 'local' : h.sshConfigHost ?? `${h.user ? `${h.user}@` : ''}${h.hostName ?? h.label}:${h.port ?? 22}`);
const yamlStr = (s: string): string => (/^[A-Za-z0-9_./@:-]+$/.test(s) ? s : JSON.stringify(s));

/**
 * "New…" in Launch Server: host → engine → model variant → parallelism → runtime → knobs → name, written as a
 * *.deepseek.yaml profile (so the launch is repeatable and reviewable), then launched through Launch from Profile.
 */
export async function newProfileWizard(hosts: HostsTreeProvider): Promise<vscode.Uri | undefined> {
  const host = await step(1, 'host', hosts.hosts.map((h) => {
    const p = hosts.probeResult(h.id);
    return { label: h.label, description: p && !(p instanceof Error) && p.gpus.length ? `${p.gpus.length}× ${p.gpus[0].name}` : h.kind === 'local' ? 'this machine' : '', value: h };
  }));
  if (!host) return undefined;
  const probe = hosts.probeResult(host.id);
  const gpuCount = probe && !(probe instanceof Error) && probe.gpus.length ? probe.gpus.length : 8;
  const engine = await step(2, 'engine', [
    { label: 'vLLM', description: 'vllm serve / vllm/vllm-openai image', value: { kind: 'vllm', imitates: undefined } },
    { label: 'SGLang', description: 'python3 -m sglang.launch_server / lmsysorg/sglang image', value: { kind: 'sglang', imitates: undefined } },
    { label: 'Simulator (no GPU) · vLLM dialect', description: 'the built-in DeepSeek-R1 simulator', value: { kind: 'simulator', imitates: 'vllm' } },
    { label: 'Simulator (no GPU) · SGLang dialect', value: { kind: 'simulator', imitates: 'sglang' } },
  ]);
  if (!engine) return undefined;
  const sglang = engine.kind === 'sglang' || engine.imitates === 'sglang';
  // Grouped by family, newest first; each row says its size and the fewest GPUs of the host's kind it needs.
  const probedName = probe && !(probe instanceof Error) && probe.gpus.length ? probe.gpus[0].name : undefined;
  const gpu = GPU_CATALOG.find((g) => g.name === probedName) ?? GPU_CATALOG.find((g) => probedName?.toUpperCase().includes(g.id.split('-')[0])) ?? GPU_CATALOG.find((g) => g.id === 'H200-141GB')!;
  const modelItems: Item<string>[] = catalogByFamily().flatMap(({ family, models }) => [
    { label: `DeepSeek-${family}`, kind: vscode.QuickPickItemKind.Separator, value: '' },
    ...models.map((m) => {
      const min = minimumGpus(m, gpu);
      const modes = m.reasoning === 'none' ? 'no reasoning' : m.reasoning === 'always' ? 'always reasons' : `thinking on/off${m.effortLevels.length ? ` (${m.effortLevels.join('/')})` : ''}`;
      return { label: m.id, description: `${m.totalParamsB}B/${m.activeParamsB}B · ${m.quant.toUpperCase()} · ≈${m.weightsGB} GB${m.weightsEstimate ? ' (est.)' : ''} · ${min ? `≥${min}× ${gpu.id}` : `more than 64× ${gpu.id}`}`, detail: `${modes}${m.toolCalls ? ' · tools' : ''} · vLLM ≥ ${m.minVersion.vllm}${m.hostRamGiBPerWorker ? ` · ${m.hostRamGiBPerWorker} GiB host RAM per worker` : ''}${m.notes ? ` · ${m.notes}` : ''}`, value: m.id };
    }),
  ]);
  const model = await step(3, 'model variant', modelItems);
  if (!model) return undefined;
  const parallel = await step(4, `parallelism (${gpuCount} GPUs per node)`, [
    { label: `TP ${gpuCount}`, description: 'tensor parallel: lowest latency', value: `{tp: ${gpuCount}}` },
    { label: `TP ${gpuCount} + EP`, description: 'expert parallel MoE layers', value: `{tp: ${gpuCount}, expertParallel: true}` },
    ...(sglang
      ? [{ label: `TP ${gpuCount} + DP attention`, description: 'SGLang --enable-dp-attention: throughput at high concurrency', value: `{tp: ${gpuCount}, dpAttention: true}` }]
      : [{ label: `DP ${gpuCount} + EP`, description: 'data-parallel attention + expert parallel: throughput', value: `{tp: 1, dp: ${gpuCount}, expertParallel: true}` }]),
    { label: `TP ${gpuCount * 2} over 2 nodes`, description: 'SLURM only', value: `{tp: ${gpuCount * 2}, nodes: 2}` },
  ]);
  if (!parallel) return undefined;
  const multiNode = parallel.includes('nodes: 2');
  const runtime = await step(5, 'runtime', [
    ...(multiNode ? [] : [
      { label: 'docker run', description: '--gpus, --ipc=host, HF cache mount', value: '{kind: docker, network: host, shmSize: 32g}' },
      { label: 'docker compose', description: 'v2 or v1, a compose file written on the host', value: '{kind: compose}' },
      { label: 'background process', description: 'engine installed on the host; pidfile + log', value: '{kind: process}' },
    ]),
    { label: 'SLURM job', description: multiNode ? (sglang ? 'native multi-node ranks' : 'Ray across nodes') : 'sbatch, GRES GPUs', value: `{kind: slurm, gpusPerNode: ${gpuCount}${multiNode && sglang ? ', multiNode: native' : ''}}` },
  ]);
  if (!runtime) return undefined;
  const maxLen = await vscode.window.showInputBox({ title: `Launch Server (6/${STEPS}): max-model-len`, prompt: 'Context length to serve (empty = the model\'s 163840; the memory planner checks it)', validateInput: (v) => (v === '' || /^\d+$/.test(v) ? undefined : 'a number of tokens'), ignoreFocusOut: true });
  if (maxLen === undefined) return undefined;
  const short = model.split('/').pop()!.toLowerCase();
  const name = await vscode.window.showInputBox({ title: `Launch Server (7/${STEPS}): profile name`, value: `${short}-${engine.imitates ? 'sim' : engine.kind}`, validateInput: (v) => (/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(v) ? undefined : 'letters, digits, ".", "-" and "_"'), ignoreFocusOut: true });
  if (!name) return undefined;
  const port = sglang ? 30000 : 8000;
  const yaml = [
    `# Written by "DeepSeek: Launch Server"; edit and launch again with "DeepSeek: Launch from Profile".`,
    `name: ${name}`,
    `host: ${yamlStr(hostRef(host))}`,
    `engine: {kind: ${engine.kind}${engine.imitates ? `, imitates: ${engine.imitates}` : ''}}`,
    `model: {id: ${model}}`,
    `parallel: ${parallel}`,
    `knobs: {port: ${port}${maxLen ? `, maxModelLen: ${maxLen}` : ''}}`,
    `runtime: ${runtime}`,
    '',
  ].join('\n');
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (!folder) {
    // No workspace to keep it in: show it, so the user can save it, and launch from the untitled copy's content.
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ content: yaml, language: 'yaml' }));
    void vscode.window.showInformationMessage('Open a folder to keep profiles next to your work; save this one as NAME.deepseek.yaml to launch it.');
    return undefined;
  }
  const uri = vscode.Uri.joinPath(folder, '.deepseek', 'profiles', `${name}.deepseek.yaml`);
  await vscode.workspace.fs.writeFile(uri, Buffer.from(yaml, 'utf8'));
  await vscode.window.showTextDocument(uri, { preview: false });
  return uri;
}
