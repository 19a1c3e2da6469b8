import type { PlannedToken, RequestPlan } from './requestPlan';
import type { Json, ServerContext } from './serverContext';
import type { ToolDelta } from './toolCalls';

/**
 * Per-engine shapes of chat chunks and messages: vLLM sends lean deltas and `stop_reason`; SGLang spells out every
 * delta field (null when unused) and `matched_stop`. Reasoning goes in the dialect's field(s) (`reasoning` on vLLM ≥
 * 0.16, `reasoning_content` on SGLang and older vLLM); tool calls as OpenAI `tool_calls` deltas (reference §4.3, §5.2).
 */

/** Which of the engine's parsers act on this request. */
export interface ActiveParsers {
  /** A reasoning parser separates reasoning into its field (thinking on, --reasoning-parser given). */
  readonly reasoning: boolean;
  /** A tool parser turns the model's tool-call text into `tool_calls` (vLLM: --tool-call-parser + --enable-auto-tool-choice). */
  readonly tools: boolean;
}

function toolCallDelta(d: ToolDelta): Json {
  return d.name !== undefined
    ? { id: d.id, type: 'function', index: d.index, function: { name: d.name, arguments: d.args } }
    : { index: d.index, function: { arguments: d.args } };
}

/** The delta a token makes, or undefined when the parsers swallow it (think tags, DSML markup, EOS). */
export function tokenDelta(ctx: ServerContext, t: PlannedToken, p: ActiveParsers): Json | undefined {
  if (t.parsed === 'reasoning' && p.reasoning) {
    const d: Json = {};
    for (const f of ctx.dialect.reasoningFields) d[f] = t.text;
    return d;
  }
  if (t.parsed === 'none' && p.reasoning) return undefined;
  if (t.parsed === 'tool' && p.tools) return t.tool ? { tool_calls: [toolCallDelta(t.tool)] } : undefined;
  return { content: t.text };
}

/** One streamed chat choice in the engine's shape; `delta` undefined is an empty final delta. */
export function chatChoice(ctx: ServerContext, idx: number, delta: Json | undefined, finish: string | null, stopReason: unknown): Json {
  const d = delta ?? { content: '' };
  return ctx.dialect.flavor === 'vllm'
    ? { index: idx, delta: d, logprobs: null, finish_reason: finish, ...(finish ? { stop_reason: stopReason } : {}) }
    : { index: idx, delta: { role: null, content: null, reasoning_content: null, tool_calls: null, ...d }, logprobs: null, finish_reason: finish, matched_stop: finish === 'stop' ? (stopReason ?? 1) : null };
}

/** The first chunk of a chat stream: the assistant role with empty content. */
export function roleChoice(ctx: ServerContext, idx: number): Json {
  return ctx.dialect.flavor === 'vllm'
    ? { index: idx, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }
    : { index: idx, delta: { role: 'assistant', content: '', reasoning_content: null, tool_calls: null }, logprobs: null, finish_reason: null, matched_stop: null };
}

/** A /v1/completions choice (text, no parsers). */
export function completionChoice(ctx: ServerContext, idx: number, text: string, finish: string | null, stopReason: unknown): Json {
  return { index: idx, text, logprobs: null, finish_reason: finish, stop_reason: finish ? stopReason : null, ...(ctx.dialect.flavor === 'sglang' ? { matched_stop: null } : {}) };
}

/**
 * A non-streamed chat choice: content, reasoning and tool calls assembled from the plan. vLLM returns `tool_calls: []`
 * when there are none, SGLang `null` (reference §5.2); content is null when the turn is only a tool call.
 */
export function chatMessageChoice(ctx: ServerContext, idx: number, plan: RequestPlan, p: ActiveParsers): Json {
  let reasoning = '';
  let content = '';
  const calls: { id?: string; name?: string; args: string }[] = [];
  for (const t of plan.tokens) {
    const d = tokenDelta(ctx, t, p);
    if (!d) continue;
    if (typeof d.content === 'string') content += d.content;
    else if (Array.isArray(d.tool_calls)) {
      const td = t.tool!;
      if (td.name !== undefined) calls[td.index] = { id: td.id, name: td.name, args: '' };
      else calls[td.index].args += td.args;
    } else reasoning += t.text;
  }
  const toolCalls = calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.args } }));
  const message: Json = { role: 'assistant', content: calls.length && !content ? null : content };
  const r = p.reasoning ? reasoning : null;
  if (ctx.dialect.flavor === 'vllm') {
    for (const f of ctx.dialect.reasoningFields) message[f] = r;
    message.tool_calls = toolCalls;
    return { index: idx, message, logprobs: null, finish_reason: plan.finishReason, stop_reason: plan.stopReason };
  }
  return { index: idx, message: { ...message, reasoning_content: r, tool_calls: toolCalls.length ? toolCalls : null }, logprobs: null, finish_reason: plan.finishReason, matched_stop: plan.finishReason === 'stop' ? (plan.stopReason ?? 1) : null };
}
