import type { ChatToHost, EndpointSummary, HostToChat } from '../../src/protocol/chatProtocol';

interface VsCodeApi { postMessage(msg: ChatToHost): void }
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app') as HTMLElement;

/** Text only: endpoint labels and details may echo server output, so nothing here is parsed as HTML. */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function render(endpoints: EndpointSummary[]): void {
  app.replaceChildren();
  if (endpoints.length === 0) {
    const empty = el('section', 'empty');
    empty.append(el('p', 'hint', 'No endpoint yet. Launch a server (the simulator needs no GPU) to start chatting.'));
    const btn = el('button', 'primary', 'Launch Server');
    btn.addEventListener('click', () => vscode.postMessage({ type: 'launchServer' }));
    empty.append(btn);
    app.append(empty);
  } else {
    const list = el('ul', 'endpoints');
    list.setAttribute('aria-label', 'Endpoints');
    for (const e of endpoints) {
      const li = el('li', `endpoint status-${e.status}`);
      li.dataset.endpointId = e.id;
      li.append(el('span', 'label', e.label), el('span', 'status', e.simulated ? `${e.status} · simulated` : e.status));
      list.append(li);
    }
    app.append(list);
  }
  vscode.postMessage({ type: 'rendered', endpointCount: endpoints.length });
}

window.addEventListener('message', (ev: MessageEvent<HostToChat>) => {
  if (ev.data?.type === 'state') render(ev.data.endpoints);
});
vscode.postMessage({ type: 'ready' });
