/** Deterministic DeepSeek-R1-like output: a reasoning monologue, then a markdown answer. */
import { mulberry32 } from '../core/util/seededRandom';

export function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

const THOUGHTS = [
  'Okay, let me think about what the user is asking here.',
  'First, I should restate the problem in my own words to make sure I understand it.',
  'Hmm, there are a couple of ways to approach this, so let me compare them.',
  'Wait, I need to double-check that assumption before going further.',
  'Let me work through a small example to see whether the idea holds.',
  'That seems consistent, but I should also consider the edge cases.',
  'So the key point is to keep the explanation short and concrete.',
  'Alright, I think I have enough to write a clear answer now.',
];

const ANSWER_OPENERS = ['Here is a concise answer.', 'Short version first, details below.', 'Good question. Here is how it works.'];
const POINTS = [
  'Start from the simplest setup that works and measure it.',
  'Keep the serving flags in a versioned profile so runs are repeatable.',
  'Check **TTFT** and **TPOT** separately; they fail for different reasons.',
  'Use `max-model-len` that the KV cache can actually hold.',
  'Prefer tensor parallelism inside a node and pipeline or data parallelism across nodes.',
];

/** The text, and the same text in parts whose tokenizations concatenate to the whole (parts repeat, so they cache). */
export interface GeneratedText { reasoning: string; answer: string; reasoningParts: string[]; answerParts: string[] }

/** Text long enough for any request; the server cuts it at the token budget. */
export function generateText(seed: number, wantReasoning: boolean, reasoningScale = 1): GeneratedText {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  // Higher reasoning effort thinks longer (V4 max ≈ 2× high); the default keeps the seeds' lengths.
  const nThoughts = Math.max(1, Math.round((3 + Math.floor(rnd() * 5)) * reasoningScale));
  const thoughts: string[] = [];
  for (let i = 0; i < nThoughts; i++) thoughts.push(pick(THOUGHTS));
  const points = [...POINTS].sort(() => rnd() - 0.5).slice(0, 3);
  const lines = [
    pick(ANSWER_OPENERS),
    '',
    '### Steps',
    '',
    ...points.map((p, i) => `${i + 1}. ${p}`),
    '',
    '```bash',
    'curl -s http://127.0.0.1:8000/v1/models',
    '```',
    '',
    'That is all you need to get started.',
  ];
  // Split only where the tokenizer splits anyway: before a space-led word and around newlines.
  const answerParts = lines.flatMap((l, i) => (i === 0 ? [l] : ['\n', l])).filter((x) => x !== '');
  const reasoningParts = wantReasoning ? [...thoughts.map((t, i) => (i === 0 ? t : ` ${t}`)), '\n'] : [];
  return { reasoning: reasoningParts.join(''), answer: lines.join('\n'), reasoningParts, answerParts };
}

/**
 * Filler used when a request forces more tokens than the natural answer has (ignore_eos benchmarks): whole sentences
 * picked by the seed, tokenized once per sentence and only as many as needed, since a benchmark request can ask for
 * thousands of tokens and this runs on the request path.
 */
export function fillerPieces(seed: number, needed: number, pieces: (text: string) => string[]): string[] {
  const perPoint = pointPieces ?? (pointPieces = POINTS.map((p) => pieces(` ${p}`)));
  const rnd = mulberry32(seed ^ 0x9e3779b9);
  const out: string[] = [];
  while (out.length < needed) for (const piece of perPoint[Math.floor(rnd() * POINTS.length)]) out.push(piece);
  return out;
}
let pointPieces: string[][] | undefined;
