import type { HLJSApi, LanguageFn } from 'highlight.js';

/**
 * Syntax highlighting for finished code blocks, with highlight.js (a maintained library; its output escapes the code
 * text, so model output stays inert). Nothing loads until a block needs it: the core and each language are separate
 * lazy chunks (esbuild splitting), fetched under the page's nonce (module imports inherit it). Colours come from
 * media/chat.css through the theme's --vscode-* variables. A block is highlighted once, when it is complete, never
 * while it streams, so streaming frames pay nothing.
 */
type Loader = () => Promise<{ default: LanguageFn }>;
const bash: Loader = () => import('highlight.js/lib/languages/bash');
const python: Loader = () => import('highlight.js/lib/languages/python');
const javascript: Loader = () => import('highlight.js/lib/languages/javascript');
const typescript: Loader = () => import('highlight.js/lib/languages/typescript');
const yaml: Loader = () => import('highlight.js/lib/languages/yaml');
const cpp: Loader = () => import('highlight.js/lib/languages/cpp');
/** Fence info string (lower case) → the language module that reads it. */
const LANGUAGES: Record<string, Loader> = {
  bash, sh: bash, shell: bash, zsh: bash, console: () => import('highlight.js/lib/languages/shell'),
  python, py: python, javascript, js: javascript, typescript, ts: typescript,
  json: () => import('highlight.js/lib/languages/json'), yaml, yml: yaml,
  dockerfile: () => import('highlight.js/lib/languages/dockerfile'), ini: () => import('highlight.js/lib/languages/ini'), toml: () => import('highlight.js/lib/languages/ini'),
  cpp, 'c++': cpp, cuda: cpp, c: () => import('highlight.js/lib/languages/c'), go: () => import('highlight.js/lib/languages/go'),
  rust: () => import('highlight.js/lib/languages/rust'), sql: () => import('highlight.js/lib/languages/sql'),
  diff: () => import('highlight.js/lib/languages/diff'), java: () => import('highlight.js/lib/languages/java'),
  xml: () => import('highlight.js/lib/languages/xml'), html: () => import('highlight.js/lib/languages/xml'),
  markdown: () => import('highlight.js/lib/languages/markdown'), md: () => import('highlight.js/lib/languages/markdown'),
};

let core: Promise<HLJSApi> | undefined;
const loadCore = (): Promise<HLJSApi> => (core ??= import('highlight.js/lib/core').then((m) => m.default));

/** Highlights every not-yet-highlighted `pre > code.language-x` under `root` whose language we know (async). */
export function highlightWithin(root: Element): void {
  for (const code of Array.from(root.querySelectorAll<HTMLElement>('pre > code[class*="language-"]:not([data-hl])'))) {
    code.dataset.hl = '1';
    const lang = /(?:^|\s)language-(\S+)/.exec(code.className)?.[1]?.toLowerCase() ?? '';
    const load = Object.hasOwn(LANGUAGES, lang) ? LANGUAGES[lang] : undefined;
    if (!load) continue;
    void Promise.all([loadCore(), load()]).then(([hljs, mod]) => {
      if (!hljs.getLanguage(lang)) hljs.registerLanguage(lang, mod.default);
      const text = code.textContent ?? '';
      code.innerHTML = hljs.highlight(text, { language: lang, ignoreIllegals: true }).value;
      code.classList.add('hljs');
    }, () => undefined /* a chunk that fails to load leaves the block plain */);
  }
}
