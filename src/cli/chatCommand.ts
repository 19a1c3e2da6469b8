import type { OpenAIError, StreamResult } from '../core/openai/chatStream';
import { terminalSafe } from './terminalText';
import type { StreamLimits } from '../core/openai/streamLimits';
import { parseArgs } from './cliArgs';
import { STREAM_FLAGS, STREAM_HELP, streamLimitsFromArgs } from './streamFlags';
import { checkBaseUrl, redactText } from '../core/security/redact';
import { splitModeFor } from '../core/openai/reasoningSplit';
import { modelForEndpoint } from '../core/plan/catalog';
import { normalizeBaseUrl } from '../core/openai/baseUrl';

export const CHAT_HELP = `usage: deepseek-deploy chat --endpoint URL [--model M] [--api-key-env VAR (default OPENAI_API_KEY)] [--max-tokens N] [--no-reasoning-model] [--json] PROMPT

Streams one chat completion from any OpenAI-compatible server (vLLM, SGLang, …) and prints the reasoning and the answer
separately: reasoning to stderr (dimmed on a terminal), the answer to stdout. Reasoning is found in \`reasoning\`,
\`reasoning_content\` or inside <think>…</think> in the content, whichever the server uses.
--json prints {reasoning, content, usage, ttftMs, tokensPerSecond, finishReason, simulated} at the end instead.
${STREAM_HELP}Exit status: 0 ok, 1 request failed (whatever arrived is still printed), 2 bad arguments.
`;

type Client = typeof import('../core/openai/clientBundle');

export async function runChat(argv: string[], loadClient: () => Client): Promise<number> {
  const args = parseArgs(argv, { flags: ['--json', '--no-reasoning-model'], values: ['--endpoint', '--model', '--api-key-env', '--max-tokens', ...STREAM_FLAGS], positionals: Infinity });
  if ('error' in args) {
    process.stderr.write(`deepseek-deploy chat: ${args.error}\n\n${CHAT_HELP}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(CHAT_HELP);
    return 0;
  }
  const endpoint = args.values.get('--endpoint');
  let model = args.values.get('--model');
  const keyEnv = args.values.get('--api-key-env');
  const maxTokens = Number(args.values.get('--max-tokens') ?? 2048);
  const json = args.flags.has('--json');
  // Default: the catalog decides from the served model (DeepSeek-V3 answers, R1 reasons); the flag forces "no tags".
  const reasoningModel = args.flags.has('--no-reasoning-model') ? false : undefined;
  const words = args.positionals;
  const prompt = words.join(' ');
  if (!endpoint || !prompt || !Number.isInteger(maxTokens) || maxTokens < 1) {
    process.stderr.write(`deepseek-deploy chat: --endpoint and a PROMPT are required (and --max-tokens must be a positive integer)\n\n${CHAT_HELP}`);
    return 2;
  }
  let baseUrl: string;
  try {
    baseUrl = normalizeBaseUrl(endpoint);
    checkBaseUrl(baseUrl);
  } catch (e) {
    process.stderr.write(`deepseek-deploy chat: --endpoint ${(e as Error).message}\n`);
    return 2;
  }
  // Like vLLM's bench (and the OpenAI client), OPENAI_API_KEY is used when no variable is named.
  const apiKey = keyEnv ? process.env[keyEnv] : process.env.OPENAI_API_KEY || undefined;
  if (keyEnv && !apiKey) {
    process.stderr.write(`deepseek-deploy chat: $${keyEnv} is empty\n`);
    return 2;
  }
  let limits: StreamLimits;
  try {
    limits = streamLimitsFromArgs((f) => args.values.get(f));
  } catch (e) {
    process.stderr.write(`deepseek-deploy chat: ${(e as Error).message}\n`);
    return 2;
  }
  const client = loadClient();
  const ac = new AbortController();
  process.once('SIGINT', () => ac.abort());
  let root: string | undefined;
  if (!model) {
    try {
      const listed = await client.listModels(baseUrl, apiKey, 10_000, ac.signal);
      model = listed.models[0];
      root = listed.roots[0];
    } catch (e) {
      process.stderr.write(`deepseek-deploy chat: ${(e as Error).message}; pass --model\n`);
      return 1;
    }
  }
  const tty = process.stderr.isTTY === true;
  let answerStarted = false;
  try {
    const r: StreamResult = await client.streamChat({
      baseUrl, model, prompt, maxTokens, apiKey, signal: ac.signal, reasoningModel: reasoningModel ?? splitModeFor(modelForEndpoint(model, root)), limits,
      onDelta: json ? undefined : (d) => {
        // On a terminal the model's text loses its control characters (terminalSafe); our own dim style stays.
        if (d.reasoning) process.stderr.write(tty ? `\x1b[2m${terminalSafe(d.reasoning)}\x1b[0m` : d.reasoning);
        if (d.content) {
          if (!answerStarted) process.stderr.write('\n');
          answerStarted = true;
          process.stdout.write(process.stdout.isTTY === true ? terminalSafe(d.content) : d.content);
        }
      },
    });
    const tokensPerSecond = r.completionTokens && r.e2eMs > r.ttftMs ? ((r.completionTokens - 1) / (r.e2eMs - r.ttftMs)) * 1000 : undefined;
    if (json) {
      process.stdout.write(`${JSON.stringify({ reasoning: r.reasoning, content: r.content, usage: { prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens }, ttftMs: +r.ttftMs.toFixed(1), tokensPerSecond: tokensPerSecond && +tokensPerSecond.toFixed(1), finishReason: r.finishReason, simulated: r.simulated }, null, 2)}\n`);
    } else {
      process.stdout.write('\n');
      process.stderr.write(`[${model}${r.simulated ? ' · simulated' : ''}] TTFT ${r.ttftMs.toFixed(0)} ms · ${tokensPerSecond?.toFixed(1) ?? '?'} tok/s · ${r.completionTokens ?? '?'} tokens · finish ${r.finishReason ?? '?'}\n`);
    }
    return 0;
  } catch (e) {
    const err = e as OpenAIError;
    err.message = redactText(err.message, [apiKey]);
    if (json) process.stdout.write(`${JSON.stringify({ error: { kind: err.kind, status: err.status, message: err.message }, reasoning: err.partial?.reasoning ?? '', content: err.partial?.content ?? '' }, null, 2)}\n`);
    else process.stderr.write(`\ndeepseek-deploy chat: ${err.message}${err.partial && (err.partial.content || err.partial.reasoning) ? ' (the partial answer above is kept)' : ''}\n`);
    return 1;
  }
}
