/**
 * Escaping for exports that other programs open: spreadsheets run cells that start with = + - @ (and tab/CR) as
 * formulas (OWASP "CSV Injection"), and Markdown renders `|`, newlines, and HTML from server-chosen text (model ids,
 * labels, error messages) as table structure or markup.
 */

/** A CSV cell (RFC 4180 quoting) with formula triggers neutralised by a leading apostrophe. */
export function csvCell(value: string): string {
  const v = /^[=+\-@\t\r]/.test(value) && !/^[+-]?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** A Markdown table cell: HTML escaped, `|` and backslash escaped, newlines shown as spaces, leading = + - @ guarded. */
export function markdownCell(value: string): string {
  const v = /^[=+\-@]/.test(value) && !/^[+-]?\d+(\.\d+)?$/.test(value) ? `'${value}` : value;
  return escapeMarkdownInline(v).replace(/\r?\n|\r/g, ' ');
}

/** Inline Markdown text shown as typed: HTML special characters as entities and Markdown punctuation backslashed. */
export function escapeMarkdownInline(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/([\\`*_{}[\]()#+!~|])/g, '\\$1');
}
