/**
 * A deterministic stand-in for DeepSeek's tokenizer (vocab 129,280). Ordinary ids map to unique " word" pieces, so
 * detokenize → tokenize gives back exactly as many tokens: random token-id prompts keep their length, as on a real
 * engine. Text that is not made of those pieces gets ids assigned on first sight.
 */
export const VOCAB_SIZE = 129280;
export const SPECIAL = {
  bos: { id: 0, text: '<｜begin▁of▁sentence｜>' },
  eos: { id: 1, text: '<｜end▁of▁sentence｜>' },
  thinkOpen: { id: 128798, text: '<think>' },
  thinkClose: { id: 128799, text: '</think>' },
  user: { id: 128803, text: '<｜User｜>' },
  assistant: { id: 128804, text: '<｜Assistant｜>' },
} as const;

const SPECIAL_BY_ID = new Map<number, string>(Object.values(SPECIAL).map((s) => [s.id, s.text]));
const SPECIAL_BY_TEXT = new Map<string, number>(Object.values(SPECIAL).map((s) => [s.text, s.id]));
const FIRST_WORD_ID = 2;
const LAST_WORD_ID = 99999;
const DYNAMIC_START = 100000;
const DYNAMIC_END = 128000;
const ONSETS = ['b', 'd', 'f', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z', 'ch', 'sh'];
const VOWELS = ['a', 'e', 'i', 'o', 'u'];
const SYL = ONSETS.length * VOWELS.length; // 80

function wordFor(id: number): string {
  let n = id - FIRST_WORD_ID;
  let w = '';
  do {
    const s = n % SYL;
    w += ONSETS[Math.floor(s / VOWELS.length)] + VOWELS[s % VOWELS.length];
    n = Math.floor(n / SYL);
  } while (n > 0);
  return ' ' + w;
}

function idForWord(piece: string): number | undefined {
  const m = /^ ((?:(?:ch|sh|[bdfgklmnprstvz])[aeiou])+)$/.exec(piece);
  if (!m) return undefined;
  const syls = m[1].match(/(?:ch|sh|[bdfgklmnprstvz])[aeiou]/g) ?? [];
  let n = 0;
  for (let k = syls.length - 1; k >= 0; k--) {
    const s = syls[k];
    const onset = s.slice(0, -1);
    n = n * SYL + ONSETS.indexOf(onset) * VOWELS.length + VOWELS.indexOf(s.slice(-1));
  }
  const id = n + FIRST_WORD_ID;
  // Only canonical spellings count: the highest syllable must be non-zero unless the word is one syllable.
  return id <= LAST_WORD_ID && wordFor(id) === piece ? id : undefined;
}

const PIECE_RE = /<｜[^｜]*｜>|<\/?think>| ?[A-Za-z]+| ?[0-9]| ?[^\sA-Za-z0-9]|\n|[ \t]+/gu;

export class SimTokenizer {
  private readonly dynById = new Map<number, string>();
  private readonly dynByPiece = new Map<string, number>();
  private nextDyn = DYNAMIC_START;

  encode(text: string): number[] {
    const ids: number[] = [];
    for (const piece of text.match(PIECE_RE) ?? []) ids.push(this.pieceId(piece));
    return ids;
  }

  /** Splits text the same way encode does; the simulator streams one piece per token. */
  pieces(text: string): string[] {
    return text.match(PIECE_RE) ?? [];
  }

  decode(ids: readonly number[]): string {
    return ids.map((id) => this.idPiece(id)).join('');
  }

  idPiece(id: number): string {
    return SPECIAL_BY_ID.get(id) ?? this.dynById.get(id) ?? (id >= FIRST_WORD_ID && id <= LAST_WORD_ID ? wordFor(id) : wordFor(FIRST_WORD_ID + (id % (LAST_WORD_ID - FIRST_WORD_ID))));
  }

  private pieceId(piece: string): number {
    const special = SPECIAL_BY_TEXT.get(piece);
    if (special !== undefined) return special;
    const w = idForWord(piece);
    if (w !== undefined) return w;
    let id = this.dynByPiece.get(piece);
    if (id === undefined) {
      // Wrap around rather than grow without bound in a long-running simulator.
      id = this.nextDyn;
      this.nextDyn = this.nextDyn + 1 >= DYNAMIC_END ? DYNAMIC_START : this.nextDyn + 1;
      const old = this.dynById.get(id);
      if (old !== undefined) this.dynByPiece.delete(old);
      this.dynById.set(id, piece);
      this.dynByPiece.set(piece, id);
    }
    return id;
  }
}
