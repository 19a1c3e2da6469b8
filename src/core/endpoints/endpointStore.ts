export type EndpointStatus = 'starting' | 'ready' | 'failed' | 'stopped';

export interface Endpoint {
  readonly id: string;
  readonly label: string;
  /** OpenAI-compatible base URL without the trailing /v1, e.g. http://127.0.0.1:8000 */
  readonly baseUrl: string;
  readonly model: string;
  readonly engine: 'vllm' | 'sglang' | 'unknown';
  /** True when the server is our simulator: every result derived from it must say so. */
  readonly simulated: boolean;
  readonly launched: boolean;
  /** The profile a managed server was launched from (labels of its menu and tooltip say which). */
  readonly profile?: string;
  status: EndpointStatus;
  detail?: string;
}

type Listener = () => void;

/** The endpoints the user can chat with and benchmark; views and the chat webview render from here. */
export class EndpointStore {
  private readonly items = new Map<string, Endpoint>();
  private readonly listeners = new Set<Listener>();

  list(): Endpoint[] {
    return [...this.items.values()];
  }

  get(id: string): Endpoint | undefined {
    return this.items.get(id);
  }

  upsert(e: Endpoint): void {
    this.items.set(e.id, e);
    this.emit();
  }

  update(id: string, patch: Partial<Pick<Endpoint, 'status' | 'detail'>>): void {
    const e = this.items.get(id);
    if (!e) return;
    Object.assign(e, patch);
    this.emit();
  }

  remove(id: string): void {
    if (this.items.delete(id)) this.emit();
  }

  onDidChange(l: Listener): { dispose(): void } {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }
}
