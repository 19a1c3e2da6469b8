/** A chat transcript as the extension stores it (workspace state) and the webview renders it. Plain JSON only. */
export interface ChatSettings {
  readonly temperature: number;
  readonly topP: number;
  readonly maxTokens: number;
  /** Empty = none. Original DeepSeek-R1 gets it folded into the user turn (its model card: avoid a system prompt). */
  readonly systemPrompt: string;
}

/** DeepSeek's recommended sampling for R1 (temperature 0.5–0.7, top-p 0.95), no system prompt. */
export const DEFAULT_CHAT_SETTINGS: ChatSettings = { temperature: 0.6, topP: 0.95, maxTokens: 8192, systemPrompt: '' };

export interface MessageStats {
  readonly ttftMs: number;
  readonly e2eMs: number;
  readonly promptTokens?: number;
  readonly completionTokens?: number;
  /** Pieces of reasoning received: one per token on vLLM and SGLang, which stream a token per chunk. */
  readonly reasoningTokens: number;
  /** From the request to the first answer token: what "Thought for …" shows. */
  readonly thoughtMs?: number;
  /** Decode speed: tokens after the first over the time after the first, as vLLM's TPOT counts them. */
  readonly tokensPerSecond?: number;
  readonly finishReason?: string;
}

export interface UserMessage { readonly id: string; readonly role: 'user'; readonly text: string; readonly at: number }

export type AnswerState = 'streaming' | 'done' | 'stopped' | 'failed';

export interface AssistantMessage {
  readonly id: string;
  readonly role: 'assistant';
  reasoning: string;
  content: string;
  state: AnswerState;
  error?: string;
  stats?: MessageStats;
  readonly model: string;
  readonly endpointLabel: string;
  readonly simulated: boolean;
  readonly at: number;
  /** Tool calls the answer ended with (finish_reason tool_calls), assembled from the stream's deltas. */
  toolCalls?: ToolCall[];
}

/**
 * One tool call of an answer: the id the server gave, the function name, its JSON arguments text, and the result the
 * user supplied (sent back as a `tool` message right after the call when the chat continues).
 */
export interface ToolCall { readonly id: string; readonly name: string; readonly arguments: string; result?: string }

export type ChatMessage = UserMessage | AssistantMessage;

export interface Conversation {
  readonly id: string;
  title: string;
  readonly createdAt: number;
  messages: ChatMessage[];
}

/**
 * One message as sent to the server. Assistant turns may carry their reasoning back (both spellings: vLLM reads
 * `reasoning`, SGLang and the DeepSeek API `reasoning_content`) and their tool calls; tool results use role `tool`.
 */
export interface WireMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  reasoning?: string;
  reasoning_content?: string;
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

/** How earlier reasoning goes back (catalog `reasoningPassback`), and whether this request defines tools. */
export interface PassbackOptions {
  readonly passback?: 'drop' | 'tool-loop' | 'with-tools';
  readonly toolsDefined?: boolean;
}

/** Original R1 (not R1-0528, not V3): the model card asks for no system prompt and all instructions in the user turn. */
export function isOriginalR1(model: string): boolean {
  const base = model.replace(/\/+$/, '').split('/').pop() ?? model;
  return /^DeepSeek-R1$/i.test(base) || /^DeepSeek-R1-(Zero)$/i.test(base);
}

/**
 * The messages sent for the next answer. Only finished answers go back (and answers that ended in tool calls, with
 * the calls that got a result and one `tool` message per result, in call order). Reasoning goes back exactly where the model needs it (reference
 * §4.3): V4/V4.1 with tools defined keep every earlier turn's reasoning; V3.2 keeps it inside the current tool loop
 * (after the last user message); otherwise it is dropped, as R1/V3.1 templates strip it and it wastes context.
 * Unfinished answers (stopped, failed) are left out, and the user turns around them are merged so roles alternate.
 */
export function requestMessages(conv: Conversation, settings: ChatSettings, model: string, opts: PassbackOptions = {}): WireMessage[] {
  const out: WireMessage[] = [];
  let lastUser = -1;
  conv.messages.forEach((m, i) => {
    if (m.role === 'user') lastUser = i;
  });
  conv.messages.forEach((m, i) => {
    if (m.role === 'user') {
      const prev = out[out.length - 1];
      if (prev?.role === 'user') prev.content += `\n\n${m.text}`;
      else out.push({ role: 'user', content: m.text });
    } else if (m.state === 'done') {
      const w: WireMessage = { role: 'assistant', content: m.content };
      const keep = m.reasoning && ((opts.passback === 'with-tools' && opts.toolsDefined) || (opts.passback === 'tool-loop' && i > lastUser));
      if (keep) Object.assign(w, { reasoning: m.reasoning, reasoning_content: m.reasoning });
      // Calls left unanswered (the user wrote a new message instead) do not go back: a tool_calls entry without its
      // tool message is refused by OpenAI-style servers.
      const answered = (m.toolCalls ?? []).filter((c) => c.result !== undefined);
      if (answered.length) w.tool_calls = answered.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
      out.push(w);
      for (const c of answered) out.push({ role: 'tool', tool_call_id: c.id, content: c.result ?? '' });
    }
  });
  const sys = settings.systemPrompt.trim();
  if (sys) {
    const firstUser = out.find((m) => m.role === 'user');
    if (isOriginalR1(model) && firstUser) firstUser.content = `${sys}\n\n${firstUser.content}`;
    else out.unshift({ role: 'system', content: sys });
  }
  return out;
}

export function titleFrom(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 60 ? `${line.slice(0, 57)}…` : line || 'New chat';
}

function fenceFor(text: string): string {
  let n = 3;
  for (const m of text.matchAll(/`{3,}/g)) n = Math.max(n, m[0].length + 1);
  return '`'.repeat(n);
}

/** Markdown export: reasoning and each tool call (arguments, result) in a collapsible <details>, stats and partial/failed marks kept. */
export function conversationToMarkdown(conv: Conversation): string {
  const lines = [`# ${conv.title}`, '', `_Exported ${new Date().toISOString()} from DeepSeek Deploy_`, ''];
  for (const m of conv.messages) {
    if (m.role === 'user') {
      lines.push('## User', '', m.text, '');
      continue;
    }
    lines.push(`## Assistant · ${m.model}${m.simulated ? ' (simulated)' : ''}`, '');
    if (m.reasoning) {
      const f = fenceFor(m.reasoning);
      lines.push('<details><summary>Reasoning</summary>', '', `${f}text`, m.reasoning.trim(), f, '', '</details>', '');
    }
    lines.push(m.content, '');
    for (const c of m.toolCalls ?? []) {
      const f = fenceFor(c.arguments + (c.result ?? ''));
      lines.push(`<details><summary>Tool call: ${c.name.replace(/[<>&]/g, '')}</summary>`, '', `${f}json`, c.arguments, f, '');
      lines.push(...(c.result === undefined ? ['_No result given._'] : ['Result:', '', `${f}text`, c.result, f]), '', '</details>', '');
    }
    if (m.state === 'stopped') lines.push('_Stopped: partial answer._', '');
    if (m.state === 'failed') lines.push(`_Failed: ${m.error ?? 'unknown error'} (partial answer kept)._`, '');
    if (m.stats) lines.push(`<sub>${formatStats(m.stats)}</sub>`, '');
  }
  return lines.join('\n');
}

export function formatStats(s: MessageStats): string {
  const parts = [`TTFT ${s.ttftMs < 1000 ? `${Math.round(s.ttftMs)} ms` : `${(s.ttftMs / 1000).toFixed(2)} s`}`];
  if (s.tokensPerSecond !== undefined) parts.push(`${s.tokensPerSecond.toFixed(1)} tok/s`);
  if (s.promptTokens !== undefined && s.completionTokens !== undefined) parts.push(`${s.promptTokens} → ${s.completionTokens} tokens`);
  else if (s.completionTokens !== undefined) parts.push(`${s.completionTokens} tokens`);
  return parts.join(' · ');
}

export function thoughtHeader(ms: number, tokens: number): string {
  return `Thought for ${(ms / 1000).toFixed(1)} s · ${tokens} token${tokens === 1 ? '' : 's'}`;
}
