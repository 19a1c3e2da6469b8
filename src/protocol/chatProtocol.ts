// zod/mini: the same validation as full zod at a few KB, because this module is in the activation bundle.
import * as z from 'zod/mini';
import type { AnswerState, ChatMessage, ChatSettings, Conversation, MessageStats, ToolCall } from '../core/chat/conversation';
import type { ThinkingLevel } from '../core/chat/thinkingControl';

/** Messages between the extension host and the chat webview. The host validates what the webview sends (zod). */
export interface EndpointSummary {
  readonly id: string;
  readonly label: string;
  readonly status: 'starting' | 'ready' | 'failed' | 'stopped';
  readonly simulated: boolean;
  readonly model: string;
  readonly detail?: string;
}

/** Live figures of a streaming answer: streamed chunks so far (≈ tokens: vLLM/SGLang send one per decode step) and
 * milliseconds since the request was sent. The webview shows tokens/s and elapsed time from them. */
export interface LiveFigures {
  readonly tokens: number;
  readonly ms: number;
  /** The model is writing a tool call to this function (model output: shown as text only). */
  readonly toolCall?: string;
}

/** The selected endpoint's thinking switch: the levels its model offers (never empty) and the one the next answer uses. */
export interface ThinkingState {
  readonly levels: ThinkingLevel[];
  readonly level: ThinkingLevel;
}

/** The tools offered to the model (setting deepseek.chat.tools) as JSON text, and why the last edit was refused. */
export interface ToolsState {
  readonly text: string;
  readonly error?: string;
}

export type HostToChat =
  /** `thinking` is absent when the selected endpoint's model has no switch (V3 never thinks, R1 always does). */
  /**
   * `choiceSeen`: the number of the last endpoint or thinking choice from this webview (`choice` of selectEndpoint /
   * setThinking) that the state already includes. A state that does not include the webview's latest choice was
   * posted before the host applied it; the webview then keeps the user's pick on screen instead of flicking back.
   */
  | { type: 'state'; endpoints: EndpointSummary[]; selectedEndpointId?: string; settings: ChatSettings; busy: boolean; thinking?: ThinkingState; tools: ToolsState; choiceSeen: number }
  /** The whole transcript: after the ready handshake, New chat, Regenerate. */
  | { type: 'conversation'; conversation: Conversation }
  | { type: 'append'; message: ChatMessage }
  /** Text appended to a streaming answer since the last post (the host posts at most one of these per frame). */
  | { type: 'delta'; id: string; reasoning: string; content: string; thought?: { ms: number; tokens: number }; live?: LiveFigures }
  /** `toolCalls`: the calls the answer ended with (finish_reason tool_calls), each with its result once supplied. */
  | { type: 'finish'; id: string; state: AnswerState; error?: string; stats?: MessageStats; toolCalls?: ToolCall[] }
  | { type: 'image'; src: string; dataUrl?: string; error?: string };

const settingsPatch = z.object({
  temperature: z.optional(z.number().check(z.minimum(0), z.maximum(2))),
  topP: z.optional(z.number().check(z.gt(0), z.maximum(1))),
  maxTokens: z.optional(z.int().check(z.minimum(1), z.maximum(1_000_000))),
  systemPrompt: z.optional(z.string().check(z.maxLength(100_000))),
});

export const ChatToHost = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('rendered'), endpointCount: z.int().check(z.minimum(0)) }),
  z.object({ type: z.literal('launchServer') }),
  z.object({ type: z.literal('send'), text: z.string().check(z.minLength(1), z.maxLength(1_000_000)) }),
  z.object({ type: z.literal('stop') }),
  z.object({ type: z.literal('regenerate') }),
  z.object({ type: z.literal('newChat') }),
  z.object({ type: z.literal('exportMarkdown') }),
  z.object({ type: z.literal('sendPromptsFile') }),
  z.object({ type: z.literal('addEndpoint') }),
  /** `choice`: this webview's count of the user's endpoint and thinking picks, echoed back as the state's choiceSeen. */
  z.object({ type: z.literal('selectEndpoint'), id: z.string().check(z.maxLength(1000)), choice: z.int().check(z.minimum(1)) }),
  z.object({ type: z.literal('updateSettings'), settings: settingsPatch }),
  z.object({ type: z.literal('setThinking'), level: z.enum(['off', 'on', 'low', 'high', 'xhigh', 'max']), choice: z.int().check(z.minimum(1)) }),
  /** The tools JSON as typed (an OpenAI `tools` array; empty = no tools); the host parses and validates it. */
  z.object({ type: z.literal('updateTools'), text: z.string().check(z.maxLength(1_000_000)) }),
  /** Results for the tool calls of answer `id`, by call index; the host sends them back and streams the continuation. */
  z.object({ type: z.literal('toolResults'), id: z.string().check(z.maxLength(200)), results: z.array(z.string().check(z.maxLength(1_000_000))).check(z.maxLength(128)) }),
  z.object({ type: z.literal('openLink'), href: z.string().check(z.maxLength(8192)) }),
  z.object({ type: z.literal('copy'), text: z.string().check(z.maxLength(10_000_000)) }),
  z.object({ type: z.literal('loadImage'), src: z.string().check(z.maxLength(8192)) }),
]);
export type ChatToHost = z.infer<typeof ChatToHost>;
