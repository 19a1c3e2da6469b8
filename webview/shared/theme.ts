// Theme colours and numbers for the results pages' charts (benchmark and tuning), from VS Code's theme variables.

/** A finite number, or null (results hold "inf" strings and missing keys). */
export const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
/** A theme colour (CSS variable VS Code sets on the webview body), with a fallback outside VS Code. */
export const css = (name: string, fallback: string): string => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
/** Chart series colours, in order: VS Code's chart theme colours. */
export const PALETTE = ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple', '--vscode-charts-red', '--vscode-charts-yellow'];
