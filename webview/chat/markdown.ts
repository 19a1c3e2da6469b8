import MarkdownIt from 'markdown-it';

/**
 * Model output is untrusted: raw HTML is off (escaped as text), links keep markdown-it's scheme check (no javascript:,
 * vbscript:, file:, data: except images) and never navigate by themselves — the extension opens them after the user
 * confirms. Images are not loaded: each becomes a button, and only a click asks the extension host to fetch it.
 */
export function createMarkdown(): MarkdownIt {
  const md = new MarkdownIt({ html: false, linkify: true, typographer: false });
  const esc = (s: string): string => md.utils.escapeHtml(s);
  md.renderer.rules.link_open = (tokens, idx, options, _env, self) => {
    const t = tokens[idx];
    const href = t.attrGet('href') ?? '';
    t.attrs = [['href', '#'], ['data-href', href], ['class', 'ext-link'], ['title', href]];
    return self.renderToken(tokens, idx, options);
  };
  md.renderer.rules.image = (tokens, idx) => {
    const t = tokens[idx];
    const src = t.attrGet('src') ?? '';
    const alt = t.children?.map((c) => c.content).join('') ?? t.content;
    let where: string;
    try {
      where = new URL(src).host || src.slice(0, 40);
    } catch {
      where = src.slice(0, 40);
    }
    return `<button type="button" class="remote-image" data-src="${esc(src)}" title="${esc(src)}">Load image${alt ? `: ${esc(alt)}` : ''} <span class="image-host">(${esc(where)})</span></button>`;
  };
  md.renderer.rules.fence = (tokens, idx) => {
    const t = tokens[idx];
    const lang = t.info.trim().split(/\s+/)[0] ?? '';
    return `<div class="code-block"><div class="code-head"><span class="code-lang">${esc(lang)}</span><button type="button" class="copy-code" title="Copy code">Copy</button></div><pre><code${lang ? ` class="language-${esc(lang)}"` : ''}>${esc(t.content)}</code></pre></div>\n`;
  };
  return md;
}
