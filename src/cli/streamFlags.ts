import { streamLimits, type StreamLimits } from '../core/openai/streamLimits';

/** The CLI flags that bound one streamed response (chat and bench), as value options for parseArgs. */
export const STREAM_FLAGS = ['--max-event-bytes', '--first-token-timeout', '--idle-timeout'] as const;

export const STREAM_HELP = `  --max-event-bytes N                   largest SSE line or event accepted (default 16777216 = 16 MiB)
  --first-token-timeout S               seconds from sending to the first data (default 600; keep-alive comments do not count)
  --idle-timeout S                      seconds allowed between data chunks (default 120)
`;

/**
 * StreamLimits from the flags (defaults for absent ones). Throws `--flag: invalid value X` for anything but a
 * positive number (and a whole number of bytes).
 */
export function streamLimitsFromArgs(get: (flag: string) => string | undefined): StreamLimits {
  const n = (flag: string, integer: boolean): number | undefined => {
    const v = get(flag);
    if (v === undefined) return undefined;
    const x = Number(v);
    if (v.trim() === '' || !(x > 0) || !Number.isFinite(x) || (integer && !Number.isInteger(x))) throw new Error(`${flag}: invalid value ${v} (a positive ${integer ? 'whole ' : ''}number)`);
    return x;
  };
  const first = n('--first-token-timeout', false);
  const idle = n('--idle-timeout', false);
  return streamLimits({
    maxEventBytes: n('--max-event-bytes', true),
    firstTokenTimeoutMs: first === undefined ? undefined : first * 1000,
    idleTimeoutMs: idle === undefined ? undefined : idle * 1000,
  });
}
