// zod/mini: the chat session is in the activation bundle (see src/protocol/chatProtocol.ts).
import * as z from 'zod/mini';

/**
 * The tools a chat offers the model: an OpenAI `tools` array (`[{type: "function", function: {name, description?,
 * parameters?}}]`), as the user writes it in the chat's settings (setting `deepseek.chat.tools`). Engines only turn the
 * model's tool-call text into `tool_calls` when started with a tool parser (vLLM `--enable-auto-tool-choice
 * --tool-call-parser …`, SGLang `--tool-call-parser …`; reference §5.1).
 */
export interface ChatTool {
  readonly type: 'function';
  readonly function: { readonly name: string; readonly description?: string; readonly parameters?: Record<string, unknown> };
}

/** OpenAI's rule for function names: letters, digits, underscores and dashes, at most 64 characters. */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

const ToolSchema = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().check(z.regex(NAME, 'letters, digits, _ and - only, 1 to 64 characters')),
    description: z.optional(z.string()),
    parameters: z.optional(z.record(z.string(), z.unknown())),
  }),
});
const ToolsSchema = z.array(ToolSchema).check(z.maxLength(128));

/**
 * Parses and checks the tools JSON the user typed. Empty (or whitespace) text means no tools.
 * @returns the tools, ready for the request body
 * @throws Error naming the field at fault, e.g. `tools[0].function.name: letters, digits, _ and - only, …`
 */
export function parseChatTools(text: string): ChatTool[] {
  if (!text.trim()) return [];
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`tools: not valid JSON (${(e as Error).message})`, { cause: e });
  }
  return checkChatTools(v);
}

/**
 * Checks a parsed tools value (from the JSON text, or the setting as stored).
 * @throws Error naming the first field at fault and what is wrong with it
 */
export function checkChatTools(v: unknown): ChatTool[] {
  const r = ToolsSchema.safeParse(v);
  if (r.success) {
    const names = new Set<string>();
    for (const [i, t] of r.data.entries()) {
      if (names.has(t.function.name)) throw new Error(`tools[${i}].function.name: "${t.function.name}" is defined twice`);
      names.add(t.function.name);
    }
    return r.data;
  }
  const issue = r.error.issues[0];
  const at = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  return fail(`tools${at}: ${issue.message}${Array.isArray(v) ? '' : ' (expected a JSON array of {"type": "function", "function": {"name": …}})'}`);
}

function fail(msg: string): never {
  throw new Error(msg);
}

/** The text the settings box shows for stored tools: pretty JSON, or empty for none. */
export const chatToolsText = (tools: readonly ChatTool[]): string => (tools.length ? JSON.stringify(tools, null, 2) : '');
