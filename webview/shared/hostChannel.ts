/** The part of VS Code's webview API our pages use, typed by the page's message and state shapes. */
interface VsCodeApi<ToHost, State> {
  postMessage(msg: ToHost): void;
  setState(state: State): void;
}
declare function acquireVsCodeApi<ToHost, State>(): VsCodeApi<ToHost, State>;

/** A page's channel to the extension host: typed posts and state (acquireVsCodeApi may be called once per page). */
export interface HostChannel<ToHost, FromHost, State> {
  post(msg: ToHost): void;
  setState(state: State): void;
  /** Listens to the host's messages, then says `{type: 'ready'}`: the host queues nothing it sends before that. */
  listen(onMessage: (msg: FromHost) => void): void;
}

/**
 * Connects a page to the extension host. The ready handshake is the shell's (src/vscode/webview/webviewShell.ts): the
 * host posts only after the page said it listens, so no message is lost to a page still loading.
 */
export function connectHost<ToHost extends { type: string }, FromHost, State>(): HostChannel<ToHost, FromHost, State> {
  const api = acquireVsCodeApi<ToHost, State>();
  return {
    post: (msg) => api.postMessage(msg),
    setState: (state) => api.setState(state),
    listen(onMessage) {
      window.addEventListener('message', (ev: MessageEvent<FromHost>) => onMessage(ev.data));
      api.postMessage({ type: 'ready' } as ToHost);
    },
  };
}
