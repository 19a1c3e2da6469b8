/**
 * An element with a class and text content. Text only ever goes in through `textContent`, never as HTML: the pages
 * show model and server output, which is untrusted.
 */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
