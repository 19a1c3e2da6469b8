import { MAX_TOOL_CALL_CHARS } from './streamLimits';

/** One `delta.tool_calls[]` entry as OpenAI-compatible servers stream it (vLLM/SGLang serving_chat). */
export interface ToolCallDelta { index?: number; id?: string | null; function?: { name?: string | null; arguments?: string | null } }

/** A tool call put together from its deltas: the server's id, the function name, the JSON arguments text. */
export interface AssembledToolCall { id: string; name: string; arguments: string }

/**
 * Assembles streamed tool calls (OpenAI streaming format): the first delta of an index carries id and name, later
 * ones argument fragments that concatenate. Bounded: indexes outside 0…127 are ignored (no sparse array a server can
 * grow) and the sum of all characters is capped at MAX_TOOL_CALL_CHARS (4 Mi). The one assembler of the chat client
 * and the agentic benchmark.
 */
export class ToolCallAssembler {
  private readonly calls: AssembledToolCall[] = [];
  private chars = 0;

  /**
   * Adds one chunk's `delta.tool_calls` (anything else is ignored). Returns the name of the call written last (so far),
   * or undefined when the chunk had no tool-call deltas. Throws when the cap is passed (message says so).
   */
  push(deltas: unknown): string | undefined {
    if (!Array.isArray(deltas) || deltas.length === 0) return undefined;
    let lastIndex = 0;
    for (const t of deltas as ToolCallDelta[]) {
      if (!t || typeof t !== 'object') continue;
      const i = typeof t.index === 'number' ? t.index : 0;
      if (!(i >= 0 && i <= 127)) continue;
      const c = (this.calls[i] ??= { id: '', name: '', arguments: '' });
      const id = typeof t.id === 'string' ? t.id : '';
      const name = typeof t.function?.name === 'string' ? t.function.name : '';
      const args = typeof t.function?.arguments === 'string' ? t.function.arguments : '';
      this.chars += id.length + name.length + args.length;
      if (this.chars > MAX_TOOL_CALL_CHARS) throw new Error(`The server streamed more than ${MAX_TOOL_CALL_CHARS} characters of tool calls in one answer; stopped reading.`);
      if (id) c.id = id;
      if (name) c.name = name;
      c.arguments += args;
      lastIndex = i;
    }
    return this.calls[lastIndex]?.name ?? '';
  }

  /** The calls so far, in index order (holes left by skipped indexes removed). */
  result(): AssembledToolCall[] {
    return this.calls.filter((c) => c !== undefined);
  }
}
