import * as vscode from 'vscode';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { EndpointStore } from '../../core/endpoints/endpointStore';
import { conversationToMarkdown, requestMessages, titleFrom, type AssistantMessage, type Conversation, type MessageStats } from '../../core/chat/conversation';
import type { HostToChat, LiveFigures, ThinkingState, ToolsState } from '../../protocol/chatProtocol';
import type { OpenAIError } from '../../core/openai/chatStream';
import { readStreamLimits } from '../streamSettings';
import { loadOpenAIClient } from '../lazyModules';
import { readChatSettings, readChatTools, updateChatTools } from './chatSettings';
import { chatToolsText, parseChatTools } from '../../core/chat/chatTools';
import { DEFAULT_CHAT_SETTINGS } from '../../core/chat/conversation';
import { findModel } from '../../core/plan/catalog';
import { defaultThinkingLevel, recommendedSampling, thinkingLevels, thinkingRequestFields, thinks, type ThinkingLevel } from '../../core/chat/thinkingControl';
import type { CustomEndpoints } from './customEndpoints';
import { redactText } from '../../core/security/redact';
import { addToHistory } from '../../core/chat/chatHistory';

const CONVERSATION_KEY = 'deepseek.chat.conversation';
const ARCHIVE_KEY = 'deepseek.chat.archive';
const SELECTED_KEY = 'deepseek.chat.endpoint';
/** Thinking level chosen per endpoint id (off / on / high / max …, only levels the model offers). */
const THINKING_KEY = 'deepseek.chat.thinking';
/** The host posts streamed text at most this often: one post per frame at 60 Hz. */
const FRAME_MS = 16;
const PERSIST_MS = 1000;

/** A user's pick in one webview: `choice` is that page's count of picks (chatProtocol's choiceSeen). */
export interface WebviewChoice {
  readonly webview: vscode.Webview;
  readonly choice: number;
}

/**
 * The conversation, the request in flight and the webviews showing them (the sidebar view and any editor panels).
 * Persisted in workspace state, so a window reload shows the same transcript from storage.
 */
export class ChatSession implements vscode.Disposable {
  private conv: Conversation;
  private readonly webviews = new Set<vscode.Webview>();
  private inflight: { id: string; abort: AbortController } | undefined;
  private pending: { id: string; reasoning: string; content: string; thought?: { ms: number; tokens: number }; live?: LiveFigures } | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private persistTimer: NodeJS.Timeout | undefined;
  private readonly finishedListeners = new Set<(m: AssistantMessage) => void>();
  /** Tools JSON the user typed that did not check out: shown back with the reason until a valid edit replaces it. */
  private toolsDraft: ToolsState | undefined;
  /** Per webview: the last of its endpoint / thinking picks applied (states carry it as choiceSeen). */
  private readonly choiceSeen = new WeakMap<vscode.Webview, number>();

  constructor(private readonly context: vscode.ExtensionContext, private readonly store: EndpointStore, private readonly custom: CustomEndpoints) {
    const saved = context.workspaceState.get<Conversation>(CONVERSATION_KEY);
    this.conv = saved ?? newConversation();
    // An answer that was streaming when the window went away is kept as a stopped partial answer.
    for (const m of this.conv.messages) {
      if (m.role === 'assistant' && m.state === 'streaming') {
        m.state = 'stopped';
        m.error = 'Interrupted: the window was reloaded or closed.';
      }
    }
  }

  get conversation(): Conversation {
    return this.conv;
  }
  get busy(): boolean {
    return this.inflight !== undefined;
  }
  get selectedEndpointId(): string | undefined {
    const id = this.context.workspaceState.get<string>(SELECTED_KEY);
    const ready = this.store.list().filter((e) => e.status === 'ready');
    return ready.find((e) => e.id === id)?.id ?? ready[ready.length - 1]?.id;
  }

  /** Selects endpoint `id`; `from`: the webview pick it answers (see choiceSeen in chatProtocol). */
  async selectEndpoint(id: string, from?: WebviewChoice): Promise<void> {
    try {
      await this.context.workspaceState.update(SELECTED_KEY, id);
    } finally {
      // Answered even when storing failed (VS Code's memento rejects when the window is closing): the webview would
      // otherwise ignore every later state's picks.
      this.choiceApplied(from);
      this.postState();
    }
  }

  /** Records that a webview's pick is now part of the state, so that states from now on carry its number. */
  private choiceApplied(from: WebviewChoice | undefined): void {
    if (from) this.choiceSeen.set(from.webview, Math.max(from.choice, this.choiceSeen.get(from.webview) ?? 0));
  }

  onDidFinish(l: (m: AssistantMessage) => void): vscode.Disposable {
    this.finishedListeners.add(l);
    return new vscode.Disposable(() => this.finishedListeners.delete(l));
  }

  attach(webview: vscode.Webview): vscode.Disposable {
    this.webviews.add(webview);
    return new vscode.Disposable(() => this.webviews.delete(webview));
  }

  /** After a webview's ready handshake: everything it needs to draw from scratch. */
  hello(webview: vscode.Webview): void {
    this.choiceSeen.set(webview, 0); // a (re)loaded page counts its picks from 1 again
    void webview.postMessage(this.stateMessage(webview));
    void webview.postMessage({ type: 'conversation', conversation: this.conv } satisfies HostToChat);
  }

  postState(): void {
    for (const w of this.webviews) void w.postMessage(this.stateMessage(w));
  }

  private stateMessage(webview: vscode.Webview): HostToChat {
    return {
      choiceSeen: this.choiceSeen.get(webview) ?? 0,
      type: 'state',
      endpoints: this.store.list().map((e) => ({ id: e.id, label: e.label, status: e.status, simulated: e.simulated, model: e.model, detail: e.detail })),
      selectedEndpointId: this.selectedEndpointId,
      settings: readChatSettings(),
      busy: this.busy,
      thinking: this.thinkingState(),
      tools: this.toolsState(),
    };
  }

  /** The selected endpoint's thinking switch, when its model has one. */
  private thinkingState(): ThinkingState | undefined {
    const ep = this.store.get(this.selectedEndpointId ?? '');
    if (!ep) return undefined;
    const levels = thinkingLevels(findModel(ep.model));
    const level = this.thinkingLevel(ep.id, ep.model);
    return levels.length && level ? { levels, level } : undefined;
  }

  private toolsState(): ToolsState {
    if (this.toolsDraft) return this.toolsDraft;
    const { tools, error } = readChatTools();
    return error ? { text: '', error } : { text: chatToolsText(tools) };
  }

  /** Sets the thinking level of the selected endpoint (persisted per endpoint id); refused when its model lacks it. */
  async setThinkingLevel(level: ThinkingLevel, from?: WebviewChoice): Promise<void> {
    const ep = this.store.get(this.selectedEndpointId ?? '');
    try {
      if (ep && thinkingLevels(findModel(ep.model)).includes(level)) {
        const all = this.context.workspaceState.get<Record<string, ThinkingLevel>>(THINKING_KEY, {});
        await this.context.workspaceState.update(THINKING_KEY, { ...all, [ep.id]: level });
      }
    } finally {
      this.choiceApplied(from); // a refused or unsaved pick is answered too: the state shows the level that stands
      this.postState();
    }
  }

  /** The tools JSON from the chat's settings: stored when it checks out, else kept as typed with the reason shown. */
  async updateTools(text: string): Promise<void> {
    try {
      const tools = parseChatTools(text);
      this.toolsDraft = undefined;
      await updateChatTools(tools);
    } catch (e) {
      this.toolsDraft = { text, error: (e as Error).message };
    }
    this.postState();
  }

  /**
   * The user's results for the tool calls answer `id` ended with (by call index): stored on the calls, then the chat
   * continues (the assistant's tool_calls and one `tool` message per result go back). Only the last answer, finished
   * with unanswered calls, takes results; anything else is ignored (a stale webview).
   */
  async submitToolResults(id: string, results: readonly string[]): Promise<AssistantMessage | undefined> {
    if (this.inflight) return undefined;
    const last = this.conv.messages[this.conv.messages.length - 1];
    if (last?.role !== 'assistant' || last.id !== id || last.state !== 'done' || !last.toolCalls?.length) return undefined;
    if (results.length !== last.toolCalls.length || last.toolCalls.some((c) => c.result !== undefined)) return undefined;
    last.toolCalls = last.toolCalls.map((c, i) => ({ ...c, result: results[i] }));
    this.broadcast({ type: 'finish', id: last.id, state: last.state, error: last.error, stats: last.stats, toolCalls: last.toolCalls });
    return this.answer();
  }

  private broadcast(msg: HostToChat): void {
    for (const w of this.webviews) void w.postMessage(msg);
  }

  /** Sends a user turn and streams the answer. Resolves when the answer is finished, stopped or failed. */
  async send(text: string): Promise<AssistantMessage | undefined> {
    if (this.inflight) return undefined;
    const user = { id: randomUUID(), role: 'user' as const, text, at: Date.now() };
    if (this.conv.messages.length === 0) this.conv.title = titleFrom(text);
    this.conv.messages.push(user);
    this.broadcast({ type: 'append', message: user });
    return this.answer();
  }

  /** Drops the last answer (finished, stopped or failed) and asks again. */
  async regenerate(): Promise<AssistantMessage | undefined> {
    if (this.inflight) return undefined;
    const last = this.conv.messages[this.conv.messages.length - 1];
    if (last?.role === 'assistant') {
      this.conv.messages.pop();
      this.broadcast({ type: 'conversation', conversation: this.conv });
    }
    if (!answerable(this.conv.messages[this.conv.messages.length - 1])) return undefined;
    return this.answer();
  }

  stop(): void {
    this.inflight?.abort.abort();
  }

  async newChat(): Promise<void> {
    if (this.inflight) return;
    await this.keepInHistory(this.conv);
    this.conv = newConversation();
    await this.persist();
    this.broadcast({ type: 'conversation', conversation: this.conv });
  }

  /** Earlier conversations, most recent first (the current one is not in it). */
  history(): Conversation[] {
    return this.context.workspaceState.get<Conversation[]>(ARCHIVE_KEY, []);
  }

  /** Makes a conversation from the history current; the current one goes into the history (nothing is dropped). */
  async reopen(id: string): Promise<boolean> {
    const conv = this.history().find((c) => c.id === id);
    if (!conv || this.inflight) return false;
    await this.context.workspaceState.update(ARCHIVE_KEY, this.history().filter((c) => c.id !== id));
    await this.keepInHistory(this.conv);
    this.conv = conv;
    await this.persist();
    this.broadcast({ type: 'conversation', conversation: this.conv });
    return true;
  }

  async rename(id: string, title: string): Promise<void> {
    if (this.conv.id === id) {
      this.conv.title = title;
      await this.persist();
      this.broadcast({ type: 'conversation', conversation: this.conv });
      return;
    }
    await this.context.workspaceState.update(ARCHIVE_KEY, this.history().map((c) => (c.id === id ? { ...c, title } : c)));
  }

  async deleteFromHistory(id: string): Promise<void> {
    await this.context.workspaceState.update(ARCHIVE_KEY, this.history().filter((c) => c.id !== id));
  }

  /**
   * Adds a non-empty conversation to the history, within deepseek.chat.history.* (count and size). The oldest that no
   * longer fit are appended to chat-archive.jsonl in this workspace's extension storage, not lost.
   */
  private async keepInHistory(conv: Conversation): Promise<void> {
    if (!conv.messages.length) return;
    const cfg = vscode.workspace.getConfiguration('deepseek.chat.history');
    const { kept, archived } = addToHistory(this.history(), conv, { maxConversations: cfg.get<number>('maxConversations', 50), maxBytes: cfg.get<number>('maxMegabytes', 20) * 1024 * 1024 });
    await this.context.workspaceState.update(ARCHIVE_KEY, kept);
    const dir = this.context.storageUri ?? this.context.globalStorageUri;
    if (archived.length) {
      // extensionKind "workspace": the storage folder is on this machine's disk; appending never rereads the archive.
      await fs.mkdir(dir.fsPath, { recursive: true });
      await fs.appendFile(path.join(dir.fsPath, 'chat-archive.jsonl'), archived.map((c) => `${JSON.stringify(c)}\n`).join(''), { mode: 0o600 });
    }
  }

  markdown(): string {
    return conversationToMarkdown(this.conv);
  }

  /** The thinking level the next answer on this endpoint uses: the user's choice, else the model's default. */
  thinkingLevel(endpointId: string, modelName: string): ThinkingLevel | undefined {
    const model = findModel(modelName);
    const chosen = this.context.workspaceState.get<Record<string, ThinkingLevel>>(THINKING_KEY, {})[endpointId];
    return chosen && thinkingLevels(model).includes(chosen) ? chosen : defaultThinkingLevel(model);
  }

  /** Quick pick of the levels the selected endpoint's model supports (none for V3 and R1: it says so). */
  async pickThinkingLevel(): Promise<void> {
    const ep = this.store.get(this.selectedEndpointId ?? '');
    if (!ep) return void vscode.window.showInformationMessage('Select a chat endpoint first.');
    const levels = thinkingLevels(findModel(ep.model));
    if (!levels.length) return void vscode.window.showInformationMessage(`${ep.model} has no thinking switch${findModel(ep.model)?.reasoning === 'always' ? ' (it always reasons)' : findModel(ep.model) ? ' (it never reasons)' : ' known to DeepSeek Deploy'}.`);
    const current = this.thinkingLevel(ep.id, ep.model);
    const pick = await vscode.window.showQuickPick(levels.map((l) => ({ label: l, description: l === current ? 'current' : '' })), { title: `Thinking for ${ep.label} (${ep.model})` });
    if (!pick) return;
    await this.setThinkingLevel(pick.label);
  }

  private async answer(): Promise<AssistantMessage | undefined> {
    const ep = this.store.get(this.selectedEndpointId ?? '');
    const settings = readChatSettings();
    const catalogModel = ep ? findModel(ep.model) : undefined;
    // Levels are sent explicitly every time: engines disagree on the default (vLLM thinks on V4, SGLang does not).
    const level = ep ? this.thinkingLevel(ep.id, ep.model) : undefined;
    const tools = readChatTools();
    const extraBody = { ...(catalogModel && level ? thinkingRequestFields(catalogModel, level) : {}), ...(tools.tools.length ? { tools: tools.tools } : {}) };
    // The model's recommended sampling replaces the generic defaults the user has not changed (V4: 1.0 / 1.0).
    const rec = recommendedSampling(catalogModel);
    const temperature = rec && settings.temperature === DEFAULT_CHAT_SETTINGS.temperature ? rec.temperature : settings.temperature;
    const topP = rec && settings.topP === DEFAULT_CHAT_SETTINGS.topP ? rec.topP : settings.topP;
    const msg: AssistantMessage = {
      id: randomUUID(),
      role: 'assistant',
      reasoning: '',
      content: '',
      state: 'streaming',
      model: ep?.model ?? 'no endpoint',
      endpointLabel: ep?.label ?? 'none',
      simulated: ep?.simulated ?? false,
      at: Date.now(),
    };
    const wire = requestMessages(this.conv, settings, msg.model, { passback: catalogModel?.reasoningPassback, toolsDefined: tools.tools.length > 0 });
    this.conv.messages.push(msg);
    this.broadcast({ type: 'append', message: msg });
    if (!ep || tools.error) {
      this.finish(msg, 'failed', tools.error ?? 'No ready endpoint. Launch a server or add an endpoint first.');
      return msg;
    }
    const abort = new AbortController();
    this.inflight = { id: msg.id, abort };
    this.postState();
    const t0 = performance.now();
    let reasoningTokens = 0;
    let chunks = 0;
    let thoughtSent = false;
    try {
      // Launched servers that require a key have it stored under their endpoint id too (launchProfile).
      const apiKey = await this.custom.apiKey(ep.id);
      this.knownSecrets = [apiKey];
      const r = await loadOpenAIClient().streamChat({
        baseUrl: ep.baseUrl,
        model: ep.model,
        messages: wire,
        maxTokens: settings.maxTokens,
        temperature,
        topP,
        apiKey,
        signal: abort.signal,
        limits: readStreamLimits(),
        extraBody,
        thinking: level ? thinks(level) : undefined,
        onDelta: (d) => {
          msg.reasoning += d.reasoning;
          msg.content += d.content;
          if (d.reasoning) reasoningTokens++;
          let thought: { ms: number; tokens: number } | undefined;
          if (d.content && !thoughtSent && msg.reasoning) {
            thoughtSent = true;
            thought = { ms: performance.now() - t0, tokens: reasoningTokens };
          }
          chunks++;
          this.queueDelta(msg.id, d.reasoning, d.content, thought, { tokens: chunks, ms: performance.now() - t0 });
        },
        onToolCallDelta: (name) => {
          chunks++;
          this.queueDelta(msg.id, '', '', undefined, { tokens: chunks, ms: performance.now() - t0, toolCall: name.slice(0, 64) });
        },
      });
      const out = r.completionTokens;
      const stats: MessageStats = {
        ttftMs: r.ttftMs,
        e2eMs: r.e2eMs,
        promptTokens: r.promptTokens,
        completionTokens: out,
        reasoningTokens: r.reasoningTokens,
        thoughtMs: r.thoughtMs,
        tokensPerSecond: out && out > 1 && r.e2eMs > r.ttftMs ? ((out - 1) * 1000) / (r.e2eMs - r.ttftMs) : undefined,
        finishReason: r.finishReason,
      };
      msg.reasoning = r.reasoning;
      msg.content = r.content;
      if (r.toolCalls) msg.toolCalls = r.toolCalls;
      this.finish(msg, 'done', undefined, stats);
    } catch (e) {
      const err = e as OpenAIError;
      if (err.partial) {
        // The error carries what the parser had; the webview already shows the same text.
        msg.reasoning = err.partial.reasoning || msg.reasoning;
        msg.content = err.partial.content || msg.content;
      }
      if (err.kind === 'aborted' || abort.signal.aborted) this.finish(msg, 'stopped');
      else this.finish(msg, 'failed', err.message);
    }
    return msg;
  }

  private queueDelta(id: string, reasoning: string, content: string, thought?: { ms: number; tokens: number }, live?: LiveFigures): void {
    if (this.pending && this.pending.id === id) {
      this.pending.reasoning += reasoning;
      this.pending.content += content;
      this.pending.thought ??= thought;
      this.pending.live = live ?? this.pending.live;
    } else {
      this.flushDelta();
      this.pending = { id, reasoning, content, thought, live };
    }
    this.flushTimer ??= setTimeout(() => this.flushDelta(), FRAME_MS);
    this.persistTimer ??= setTimeout(() => {
      this.persistTimer = undefined;
      void this.persist();
    }, PERSIST_MS);
  }

  private flushDelta(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const p = this.pending;
    this.pending = undefined;
    if (p && (p.reasoning || p.content || p.thought || p.live)) this.broadcast({ type: 'delta', ...p });
  }

  /** Keys used by the current request: a server that echoes one never gets it into history or exports. */
  private knownSecrets: ReadonlyArray<string | undefined> = [];

  private finish(msg: AssistantMessage, state: AssistantMessage['state'], error?: string, stats?: MessageStats): void {
    this.flushDelta();
    msg.state = state;
    msg.reasoning = redactText(msg.reasoning, this.knownSecrets);
    msg.content = redactText(msg.content, this.knownSecrets);
    msg.error = error === undefined ? undefined : redactText(error, this.knownSecrets);
    error = msg.error;
    msg.stats = stats;
    this.inflight = undefined;
    this.broadcast({ type: 'finish', id: msg.id, state, error, stats, toolCalls: msg.toolCalls });
    this.postState();
    void this.persist();
    for (const l of this.finishedListeners) l(msg);
  }

  private async persist(): Promise<void> {
    await this.context.workspaceState.update(CONVERSATION_KEY, this.conv);
  }

  dispose(): void {
    this.inflight?.abort.abort();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.persistTimer) clearTimeout(this.persistTimer);
  }
}

/** A conversation can be answered when it ends with the user's turn or with tool calls that all have their results. */
function answerable(m: Conversation['messages'][number] | undefined): boolean {
  if (m?.role === 'user') return true;
  return m?.role === 'assistant' && m.state === 'done' && !!m.toolCalls?.length && m.toolCalls.every((c) => c.result !== undefined);
}

function newConversation(): Conversation {
  return { id: randomUUID(), title: 'New chat', createdAt: Date.now(), messages: [] };
}
