import type { ModelVariant } from '../plan/catalog';

/**
 * The chat's thinking control per model (reference §4.2): which levels a model offers, what the request must carry
 * for each (sent explicitly every time, because vLLM thinks by default on V4/V4.1 and SGLang does not), and the
 * recommended sampling (§4.4).
 */

/** off / on for V3.1 and V3.2; off / high / max for V4 (0731/0813 add low); off / low / high / xhigh / max for V4.1. */
export type ThinkingLevel = 'off' | 'on' | 'low' | 'high' | 'xhigh' | 'max';

/** The levels the model supports; empty when there is nothing to switch (V3 never thinks, R1 always does). */
export function thinkingLevels(model: Pick<ModelVariant, 'reasoning' | 'effortLevels'> | undefined): ThinkingLevel[] {
  if (!model || model.reasoning !== 'hybrid') return [];
  if (model.effortLevels.length === 0) return ['off', 'on'];
  return ['off', ...(model.effortLevels as ThinkingLevel[])];
}

/** The level a new chat starts at: the model's own default effort when it has levels (high), else off (V3.1/V3.2). */
export function defaultThinkingLevel(model: Pick<ModelVariant, 'reasoning' | 'effortLevels'> | undefined): ThinkingLevel | undefined {
  const levels = thinkingLevels(model);
  if (levels.length === 0) return undefined;
  return levels.includes('high') ? 'high' : 'off';
}

/** Whether a request at this level thinks (for the reasoning splitter). */
export const thinks = (level: ThinkingLevel): boolean => level !== 'off';

/**
 * Request fields for a level, merged into the chat completion body:
 * - V3.1 / V3.2: `chat_template_kwargs: {thinking}`;
 * - V4: `chat_template_kwargs: {thinking, reasoning_effort}` (off sends thinking false: vLLM's default is on);
 * - V4.1: the same, plus the top-level OpenAI `reasoning_effort` (SGLang reads the top-level one; "none" when off).
 * Throws when the level is not one the model offers.
 */
export function thinkingRequestFields(model: ModelVariant, level: ThinkingLevel): Record<string, unknown> {
  const levels = thinkingLevels(model);
  if (!levels.includes(level)) throw new Error(`${model.label} offers thinking ${levels.length ? levels.join(' / ') : 'control: none'}, not "${level}"`);
  const on = thinks(level);
  if (model.effortLevels.length === 0) return { chat_template_kwargs: { thinking: on } };
  const kwargs = on ? { thinking: true, reasoning_effort: level } : { thinking: false };
  return model.family === 'V4.1-Flash' ? { chat_template_kwargs: kwargs, reasoning_effort: on ? level : 'none' } : { chat_template_kwargs: kwargs };
}

/** Recommended temperature / top_p for the model (V4: 1.0 / 1.0; R1: 0.6 / 0.95), when a source states one. */
export function recommendedSampling(model: ModelVariant | undefined): { temperature: number; topP: number; source: string } | undefined {
  return model?.sampling;
}
