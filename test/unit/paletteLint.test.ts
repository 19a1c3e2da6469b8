// The command palette and menus as a user reads them, checked from package.json: one category, Title Case, "…" exactly
// on commands that ask for more input, context-only commands out of the palette, icons wherever a command is shown
// inline, and the walkthrough / welcome views pointing at commands that exist (issue 17).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
interface Cmd { command: string; title: string; category?: string; icon?: string }
interface MenuItem { command: string; when?: string; group?: string }
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  contributes: {
    commands: Cmd[];
    menus: Record<string, MenuItem[]>;
    keybindings?: { command: string; key: string }[];
    walkthroughs?: { id: string; steps: { id: string; title: string; description: string; completionEvents?: string[]; media: { markdown?: string } }[] }[];
    viewsWelcome?: { view: string; contents: string }[];
    configuration: { properties: Record<string, unknown> };
  };
  capabilities?: { untrustedWorkspaces?: { supported: boolean | 'limited'; description?: string; restrictedConfigurations?: string[] } };
  extensionKind?: string[];
};
const { commands, menus } = pkg.contributes;
const byId = new Map(commands.map((c) => [c.command, c]));

/**
 * Which commands ask for more input (a quick pick, an input box, a dialog) when run from the palette. Every command
 * must be listed, so a new one gets classified on purpose. "Launch Server" prompts but keeps the product card's title.
 */
const PROMPTS: Record<string, boolean> = {
  'deepseek.launchServer': true, 'deepseek.benchmarkEndpoint': true, 'deepseek.benchmarkEndpointPicker': true,
  'deepseek.stopServer': false, 'deepseek.refreshHosts': false, 'deepseek.addHost': true, 'deepseek.importSshHosts': true,
  'deepseek.removeHost': true, 'deepseek.openHostTerminal': true, 'deepseek.openTunnel': true, 'deepseek.closeTunnel': true,
  'deepseek.forgetHostKey': true, 'deepseek.launchProfile': true, 'deepseek.setHfToken': true, 'deepseek.setSecret': true, 'deepseek.openChatPanel': false,
  'deepseek.addEndpoint': true, 'deepseek.removeEndpoint': false, 'deepseek.newChat': false, 'deepseek.exportChat': false,
  'deepseek.sendPromptsFile': true, 'deepseek.runEngineBenchmark': true, 'deepseek.openBenchmarkResults': true,
  'deepseek.getStarted': false, 'deepseek.focusView': false, 'deepseek.chatHistory': true, 'deepseek.chatThinking': true,
  // Endpoint row actions: they act on the row (Restart and Remove only confirm), so no "…".
  'deepseek.restartServer': false, 'deepseek.removeServer': false, 'deepseek.showServerLog': false, 'deepseek.copyEndpointUrl': false,
  'deepseek.chatWithEndpoint': false,
  // A spec / run picker; a file dialog from the palette (the Explorer and editor title pass the tune.json).
  'deepseek.tuneDeployment': true, 'deepseek.openTuneResults': true,
};
/** Titles fixed by the product card, exempt from the casing and ellipsis rules. */
const EXACT: Record<string, string> = { 'deepseek.launchServer': 'Launch Server', 'deepseek.benchmarkEndpoint': 'Benchmark this endpoint' };
/** Commands that need a tree item to act on: reachable from their context menu only. */
const CONTEXT_ONLY = ['deepseek.benchmarkEndpoint', 'deepseek.stopServer', 'deepseek.removeEndpoint', 'deepseek.runEngineBenchmark', 'deepseek.restartServer', 'deepseek.removeServer', 'deepseek.showServerLog', 'deepseek.copyEndpointUrl', 'deepseek.chatWithEndpoint'];
const SMALL_WORDS = new Set(['a', 'an', 'the', 'and', 'or', 'for', 'from', 'to', 'of', 'on', 'in', 'with', 'as', 'at', 'by', 'via']);

/** Words of a title that must be capitalised: parenthesised tool names (`vllm bench serve`) are quoted literally. */
function casingErrors(title: string): string[] {
  const words = title.replace(/\([^)]*\)/g, '').replace(/…$/, '').split(/\s+/).filter(Boolean);
  return words.filter((w, i) => !/^[A-Z0-9]/.test(w) && !(i > 0 && SMALL_WORDS.has(w)));
}

test('the product card titles are exactly as written', () => {
  for (const [id, title] of Object.entries(EXACT)) assert.equal(byId.get(id)?.title, title, id);
  assert.equal(byId.get('deepseek.benchmarkEndpointPicker')?.title, 'Benchmark Endpoint…');
});

test('every command is in the "DeepSeek" category', () => {
  for (const c of commands) assert.equal(c.category, 'DeepSeek', `${c.command} "${c.title}"`);
});

test('titles are Title Case (small words lower case after the first)', () => {
  for (const c of commands) {
    if (EXACT[c.command]) continue;
    assert.deepEqual(casingErrors(c.title), [], `${c.command} "${c.title}"`);
  }
  // The rule itself catches what issue 17 saw.
  assert.deepEqual(casingErrors('Benchmark this endpoint'), ['this', 'endpoint']);
  assert.deepEqual(casingErrors('Forward a Port from Host…'), []);
});

test('"…" (one character) ends exactly the titles of commands that ask for more input', () => {
  for (const c of commands) {
    assert.ok(c.command in PROMPTS, `${c.command} is not classified in PROMPTS: does it ask for input?`);
    assert.ok(!c.title.includes('...'), `${c.command} "${c.title}" uses three dots, not "…"`);
    if (EXACT[c.command]) continue;
    assert.equal(c.title.endsWith('…'), PROMPTS[c.command], `${c.command} "${c.title}"`);
  }
});

test('context-only commands are hidden from the palette; the others are not', () => {
  const palette = menus.commandPalette ?? [];
  for (const id of CONTEXT_ONLY) {
    assert.ok(palette.some((m) => m.command === id && m.when === 'false'), `${id} should be hidden from the palette`);
    assert.ok(menus['view/item/context'].some((m) => m.command === id), `${id} should be in a context menu`);
  }
  for (const m of palette) if (m.when === 'false') assert.ok(CONTEXT_ONLY.includes(m.command), `${m.command} is hidden from the palette but has no other way in`);
});

test('every command shown inline in a view has an icon', () => {
  // Tree-item `inline` entries and view-title `navigation` entries are drawn as icon buttons.
  const inline = [...menus['view/item/context'].filter((m) => m.group?.startsWith('inline')), ...menus['view/title'].filter((m) => m.group?.startsWith('navigation'))];
  assert.ok(inline.length > 3);
  for (const m of inline) assert.match(byId.get(m.command)?.icon ?? '', /^\$\([a-z-]+\)$/, `${m.command} (${m.group}) has no icon`);
  for (const m of Object.values(menus).flat()) assert.ok(byId.has(m.command), `menu refers to unknown command ${m.command}`);
});

test('Open Chat has a keybinding', () => {
  assert.ok(pkg.contributes.keybindings?.some((k) => k.command === 'deepseek.openChatPanel' && k.key));
});

const links = (text: string): string[] => [...text.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1]);
const known = (id: string): boolean => byId.has(id) || id.startsWith('workbench.');

test('the walkthrough goes simulator → chat → benchmark → real host → preset, each step with a command and a completion event', () => {
  const w = pkg.contributes.walkthroughs?.find((x) => x.id === 'deepseek.gettingStarted');
  assert.ok(w);
  const order = w.steps.map((s) => s.id);
  for (const [a, b] of [['simulator', 'chat'], ['chat', 'benchmark'], ['benchmark', 'host'], ['host', 'preset']]) assert.ok(order.indexOf(a) >= 0 && order.indexOf(a) < order.indexOf(b), `${a} before ${b}`);
  for (const s of w.steps) {
    assert.ok(links(s.description).length >= 1 && links(s.description).every(known), `${s.id}: ${links(s.description).join(', ')}`);
    assert.ok(s.completionEvents?.length && s.completionEvents.every((e) => /^onCommand:|^onContext:|^onView:/.test(e)), s.id);
    for (const e of s.completionEvents.filter((x) => x.startsWith('onCommand:'))) assert.ok(known(e.slice('onCommand:'.length)), e);
    assert.ok(s.media.markdown && existsSync(path.join(ROOT, s.media.markdown)), `${s.id} media`);
  }
});

test('empty Hosts and Endpoints views explain themselves with buttons for real commands', () => {
  for (const view of ['deepseek.hosts', 'deepseek.endpoints']) {
    const w = pkg.contributes.viewsWelcome?.find((x) => x.view === view);
    assert.ok(w, view);
    assert.ok(links(w.contents).length >= 1 && links(w.contents).every(known), view);
  }
});

test('workspace trust: limited support, declared in words, restricting only settings that exist', () => {
  const u = pkg.capabilities?.untrustedWorkspaces;
  assert.equal(u?.supported, 'limited');
  assert.match(u?.description ?? '', /Launching anything/);
  for (const k of u?.restrictedConfigurations ?? []) assert.ok(k in pkg.contributes.configuration.properties, k);
  assert.ok(u?.restrictedConfigurations?.includes('deepseek.sshConfigFile'), 'an ssh config can hold a ProxyCommand: it runs programs');
  assert.deepEqual(pkg.extensionKind, ['workspace']);
});
