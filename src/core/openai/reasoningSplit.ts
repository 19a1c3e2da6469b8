import type { ModelVariant } from '../plan/catalog';

/**
 * Splits a DeepSeek answer stream into reasoning and answer, whatever the server sends:
 * - a reasoning parser's field: `reasoning` (vLLM ≥ 0.16), `reasoning` + `reasoning_content` with the same text
 *   (vLLM 0.11.1–0.15: counted once), `reasoning_content` (older vLLM, SGLang);
 * - no parser: everything in `content`, R1 starting straight in its reasoning and closing it with `</think>` (its chat
 *   template already opened the tag), R1-0528 and others emitting `<think>` themselves.
 * Tags may be split across deltas at any byte; text that could be the start of a tag is held back until it is not.
 */
export interface SplitDelta { readonly reasoning: string; readonly content: string }

/**
 * Where unparsed text starts: `reasoning-first` (R1, and V3.1+ with thinking on: the template opened <think>, so text
 * is reasoning until </think>), `tagged` (a model we do not know: reasoning only inside an explicit leading <think>),
 * `none` (DeepSeek-V3, and hybrid models with thinking off: everything is answer).
 */
export type SplitMode = 'reasoning-first' | 'tagged' | 'none';

/**
 * The split mode for a model from the catalog (reference §4.2/§4.3): reasoning kind, and for hybrid models whether
 * this request thinks. Unknown models and hybrid requests that leave thinking to the engine default get `tagged`.
 */
export function splitModeFor(model: Pick<ModelVariant, 'reasoning'> | undefined, thinking?: boolean): SplitMode {
  if (!model) return 'tagged';
  if (model.reasoning === 'none') return 'none';
  if (model.reasoning === 'always') return 'reasoning-first';
  return thinking === undefined ? 'tagged' : thinking ? 'reasoning-first' : 'none';
}

const OPEN = '<think>';
const CLOSE = '</think>';

export class ReasoningSplitter {
  private mode: 'start' | 'reasoning' | 'content';
  /** Text that does not open with <think> is answer (tagged) or reasoning (reasoning-first). */
  private readonly untagged: 'reasoning' | 'content';
  private held = '';
  private fieldSeen = false;
  /** The answer's leading blank lines (after </think>) are layout, not text: dropped however they are split. */
  private answerStarted = false;
  /** "<think>" is followed by a newline that belongs to neither part, even when it arrives in the next delta. */
  private afterOpen = false;
  reasoning = '';
  content = '';

  /** true = reasoning-first (R1), false = none (DeepSeek-V3); see SplitMode. */
  constructor(mode: boolean | SplitMode = true) {
    const m: SplitMode = mode === true ? 'reasoning-first' : mode === false ? 'none' : mode;
    this.mode = m === 'none' ? 'content' : 'start';
    this.untagged = m === 'tagged' ? 'content' : 'reasoning';
  }

  /** Feeds one chunk's delta; returns what it added to each part. */
  push(delta: { content?: string | null; reasoning?: string | null; reasoning_content?: string | null }): SplitDelta {
    let r = '';
    let c = '';
    const field = delta.reasoning ?? delta.reasoning_content;
    if (typeof field === 'string' && field.length) {
      // A parser is at work: the server already separated the parts, so content is answer text only.
      this.fieldSeen = true;
      r += field;
    }
    if (typeof delta.content === 'string' && delta.content.length) {
      if (this.fieldSeen) c += this.answer(delta.content);
      else {
        const out = this.scan(delta.content);
        r += out.reasoning;
        c += out.content;
      }
    }
    this.reasoning += r;
    this.content += c;
    return { reasoning: r, content: c };
  }

  /** The stream ended: anything held back was not a tag after all. */
  end(): SplitDelta {
    const rest = this.held;
    this.held = '';
    if (!rest) return { reasoning: '', content: '' };
    if (this.mode === 'content') {
      const t = this.answer(rest);
      this.content += t;
      return { reasoning: '', content: t };
    }
    this.reasoning += rest;
    return { reasoning: rest, content: '' };
  }

  private scan(text: string): SplitDelta {
    let s = this.held + text;
    this.held = '';
    let reasoning = '';
    let content = '';
    for (;;) {
      if (this.mode === 'start') {
        const t = s.replace(/^\s+/, '');
        if (t.length < OPEN.length && OPEN.startsWith(t)) {
          this.held = s; // could still become "<think>"
          return { reasoning, content };
        }
        if (t.startsWith(OPEN)) {
          this.mode = 'reasoning';
          s = t.slice(OPEN.length);
          this.afterOpen = true;
        } else this.mode = this.untagged;
        continue;
      }
      if (this.mode === 'reasoning') {
        if (this.afterOpen && s.length) {
          if (s.startsWith('\n')) s = s.slice(1);
          this.afterOpen = false;
        }
        const i = s.indexOf(CLOSE);
        if (i >= 0) {
          reasoning += s.slice(0, i);
          s = s.slice(i + CLOSE.length);
          this.mode = 'content';
          continue;
        }
        const keep = partialSuffix(s, CLOSE);
        reasoning += s.slice(0, s.length - keep);
        this.held = s.slice(s.length - keep);
        return { reasoning, content };
      }
      content += this.answer(s);
      return { reasoning, content };
    }
  }

  private answer(text: string): string {
    if (this.answerStarted) return text;
    const t = text.replace(/^\n+/, '');
    if (t) this.answerStarted = true;
    return t;
  }
}

/** Length of the longest suffix of s that is a proper prefix of tag. */
function partialSuffix(s: string, tag: string): number {
  for (let n = Math.min(s.length, tag.length - 1); n > 0; n--) if (tag.startsWith(s.slice(s.length - n))) return n;
  return 0;
}
