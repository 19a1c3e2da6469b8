import type MarkdownIt from 'markdown-it';
import { formatStats, thoughtHeader, type AnswerState, type AssistantMessage, type ChatMessage, type MessageStats, type ToolCall } from '../../src/core/chat/conversation';
import { StreamingMarkdown } from './streamingMarkdown';
import type { LiveFigures } from '../../src/protocol/chatProtocol';
import { el } from '../shared/dom';

/** No new token for this long while streaming: the live line says so, so a stuck stream looks unlike a slow one. */
const STALL_MS = 2000;


/** One assistant answer: a collapsible reasoning block and the answer, both streaming markdown. */
export class AnswerView {
  readonly el: HTMLElement;
  private readonly details: HTMLDetailsElement;
  private readonly summary: HTMLElement;
  private readonly reasoning: StreamingMarkdown;
  private readonly answer: StreamingMarkdown;
  private readonly stats: HTMLElement;
  private readonly mark: HTMLElement;
  private readonly actions: HTMLElement;
  private readonly toolsEl: HTMLElement;
  private toolCalls: ToolCall[] | undefined;
  private isLast = false;
  private answerStarted = false;
  private readonly liveEl: HTMLElement;
  private liveTimer: ReturnType<typeof setInterval> | undefined;
  private shown = false;
  /** Latest figures from the host, when they arrived (performance.now()), and a sample ~1 s older for the rate. */
  private last: { f: LiveFigures; at: number } | undefined;
  private older: { f: LiveFigures; at: number } | undefined;
  state: AnswerState;

  /** `onToolResults` sends the user's results for this answer's tool calls (one per call, in call order). */
  constructor(md: MarkdownIt, readonly msg: AssistantMessage, private readonly onToolResults: (id: string, results: string[]) => void) {
    this.state = msg.state;
    this.el = el('article', 'msg assistant');
    this.el.dataset.id = msg.id;
    const head = el('header', 'msg-head', `${msg.model}${msg.simulated ? ' · simulated' : ''}`);
    this.details = el('details', 'reasoning');
    this.summary = el('summary', '', 'Thinking…');
    this.reasoning = new StreamingMarkdown(md, 'reasoning-body');
    this.details.append(this.summary, this.reasoning.el);
    this.details.hidden = true;
    this.answer = new StreamingMarkdown(md, 'answer');
    const foot = el('footer', 'msg-foot');
    this.stats = el('span', 'stats');
    this.mark = el('span', 'mark');
    this.actions = el('span', 'actions');
    this.liveEl = el('span', 'live');
    foot.append(this.liveEl, this.stats, this.mark, this.actions);
    this.toolsEl = el('div', 'tool-calls');
    this.el.append(head, this.details, this.answer.el, this.toolsEl, foot);
    this.toolCalls = msg.toolCalls;
    this.append(msg.reasoning, msg.content);
    if (msg.state !== 'streaming') {
      if (msg.stats?.thoughtMs !== undefined && msg.reasoning) this.thought(msg.stats.thoughtMs, msg.stats.reasoningTokens);
      this.finish(msg.state, msg.error, msg.stats);
    } else {
      this.el.classList.add('streaming');
      // Elapsed time keeps moving between tokens (and before the first one): twice a second is enough to read.
      this.liveTimer = setInterval(() => this.drawLive(), 500);
      this.drawLive();
    }
    this.flush();
    this.drawTools();
  }

  /** New live figures from the host (at most one per frame). */
  live(f: LiveFigures): void {
    const now = performance.now();
    if (!this.older || now - this.older.at > 1500) this.older = this.last ?? { f, at: now };
    this.last = { f, at: now };
    this.drawLive();
  }

  private drawLive(): void {
    if (this.el.isConnected) this.shown = true;
    else if (this.shown && this.liveTimer) {
      // The transcript was replaced (New chat, reload) while this answer streamed: stop ticking.
      clearInterval(this.liveTimer);
      this.liveTimer = undefined;
      return;
    }
    const now = performance.now();
    const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
    if (!this.last) {
      this.liveEl.textContent = `Waiting for the first token · ${secs(Date.now() - this.msg.at)}`;
      return;
    }
    const { f, at } = this.last;
    const elapsed = f.ms + (now - at);
    const o = this.older && this.older !== this.last ? this.older : undefined;
    const rate = o && f.ms > o.f.ms ? ((f.tokens - o.f.tokens) * 1000) / (f.ms - o.f.ms) : undefined;
    const idle = now - at;
    const phase = f.toolCall !== undefined ? `Calling ${f.toolCall || 'a tool'}` : this.answerStarted ? 'Answering' : 'Thinking';
    this.liveEl.classList.toggle('stalled', idle > STALL_MS);
    this.liveEl.textContent = `${phase} · ${f.tokens} tok${rate !== undefined && idle <= STALL_MS ? ` · ${rate.toFixed(0)} tok/s` : ''} · ${secs(elapsed)}${idle > STALL_MS ? ` · no token for ${secs(idle)}` : ''}`;
  }

  append(reasoning: string, content: string): void {
    if (reasoning) {
      if (this.details.hidden) {
        this.details.hidden = false;
        this.details.open = true;
      }
      this.reasoning.append(reasoning);
    }
    if (content) {
      this.answer.append(content);
      if (!this.answerStarted) {
        this.answerStarted = true;
        this.details.open = false; // the answer started: fold the reasoning away
      }
    }
  }

  /** The answer began after `ms` of reasoning. */
  thought(ms: number, tokens: number): void {
    this.summary.textContent = thoughtHeader(ms, tokens);
    this.details.open = false;
  }

  flush(): void {
    this.reasoning.flush();
    this.answer.flush();
  }

  finish(state: AnswerState, error?: string, stats?: MessageStats): void {
    this.state = state;
    this.el.classList.remove('streaming');
    this.el.classList.add(`state-${state}`);
    if (this.liveTimer) clearInterval(this.liveTimer);
    this.liveTimer = undefined;
    this.liveEl.remove();
    this.reasoning.settle();
    this.answer.settle();
    if (stats) this.stats.textContent = formatStats(stats);
    if (!this.answerStarted && !this.details.hidden) this.summary.textContent = state === 'done' ? 'Reasoning (no answer)' : 'Thinking (interrupted)';
    if (state === 'stopped') this.mark.textContent = 'Stopped · partial answer';
    if (state === 'failed') {
      const err = el('div', 'error', error ?? 'The request failed.');
      err.setAttribute('role', 'alert');
      this.el.insertBefore(err, this.el.lastElementChild);
      this.mark.textContent = this.answer.textLength || this.reasoning.textLength ? 'Failed · partial answer kept' : 'Failed';
    }
  }

  /** The answer's tool calls (at finish, and again once their results were given). */
  setToolCalls(calls: ToolCall[] | undefined): void {
    this.toolCalls = calls;
    if (calls?.length && !this.answerStarted && !this.details.hidden && this.state === 'done') this.summary.textContent = 'Reasoning before the tool call';
    this.drawTools();
  }

  /**
   * One collapsible block per call: name in the summary, arguments (pretty JSON when they parse) and the result.
   * Model output is untrusted: names and arguments only ever go into textContent. The last answer with unanswered
   * calls gets a result box per call and Continue (enabled once every box has text; Ctrl/Cmd+Enter presses it).
   */
  private drawTools(): void {
    const calls = this.toolCalls ?? [];
    this.toolsEl.replaceChildren();
    if (!calls.length) return;
    const pending = this.isLast && this.state === 'done' && calls.every((c) => c.result === undefined);
    const boxes: HTMLTextAreaElement[] = [];
    const cont = el('button', 'tool-continue primary', 'Continue');
    cont.type = 'button';
    const ready = (): void => void (cont.disabled = boxes.some((b) => !b.value.trim()));
    calls.forEach((c, i) => {
      const d = el('details', 'tool-call');
      d.open = pending;
      const sum = el('summary', '');
      sum.append(el('span', 'tool-label', 'Tool call'), el('code', 'tool-name', c.name || '(no name)'));
      if (c.result !== undefined) sum.append(el('span', 'tool-done', '· result sent'));
      sum.setAttribute('aria-label', `Tool call ${i + 1} of ${calls.length}: ${c.name}${c.result !== undefined ? ', result sent' : ''}`);
      const args = el('pre', 'tool-args', prettyJson(c.arguments));
      args.setAttribute('aria-label', `Arguments of ${c.name}`);
      d.append(sum, el('div', 'tool-field-label', 'Arguments'), args);
      if (c.result !== undefined) {
        d.append(el('div', 'tool-field-label', 'Result'), el('pre', 'tool-result', c.result));
      } else if (pending) {
        const box = el('textarea', 'tool-result-input');
        box.rows = 3;
        box.placeholder = `Result of ${c.name} (what the tool returned, e.g. JSON)`;
        box.setAttribute('aria-label', `Result of ${c.name}`);
        box.addEventListener('input', ready);
        box.addEventListener('keydown', (e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !cont.disabled) {
            e.preventDefault();
            cont.click();
          }
        });
        boxes.push(box);
        d.append(box);
      }
      this.toolsEl.append(d);
    });
    if (!pending) return;
    ready();
    cont.title = 'Send the results back to the model and let it continue';
    cont.addEventListener('click', () => {
      cont.disabled = true;
      cont.textContent = 'Sending…';
      this.onToolResults(this.msg.id, boxes.map((b) => b.value));
    });
    this.toolsEl.append(cont);
  }

  /** Only the last answer offers Regenerate (Retry after a failure or stop). */
  setLast(isLast: boolean): void {
    if (this.isLast !== isLast) {
      this.isLast = isLast;
      this.drawTools();
    }
    this.actions.replaceChildren();
    if (!isLast || this.state === 'streaming') return;
    const b = el('button', 'regenerate', this.state === 'done' ? 'Regenerate' : 'Retry');
    b.type = 'button';
    b.dataset.action = 'regenerate';
    this.actions.append(b);
  }
}

/** Tool arguments as a person reads them: indented JSON when they parse, else the text as it came. */
function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function userView(msg: ChatMessage & { role: 'user' }): HTMLElement {
  const a = el('article', 'msg user');
  a.dataset.id = msg.id;
  a.append(el('div', 'user-text', msg.text)); // textContent: never parsed
  return a;
}
