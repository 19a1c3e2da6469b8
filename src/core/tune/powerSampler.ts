import type { CommandRunner } from '../launch/deployment';

/** One reading: when (epoch s) and the summed power.draw of every GPU that reported one (W). */
export interface PowerSample {
  readonly t: number;
  readonly watts: number;
}

/**
 * The sampling loop run on the host (one exec over the host's pooled SSH connection, or bash here): the host's clock,
 * then every GPU's reading (nvidia-smi(1): `--query-gpu=timestamp,power.draw --format=csv,noheader,nounits` prints
 * "YYYY/MM/DD HH:MM:SS.mmm, watts" per GPU, "[N/A]" where unsupported; `timestamp` is when the query was made, in
 * local time, so TZ=UTC0 makes it UTC). $1 is the period in seconds. Ends at its first write after the output closed.
 */
const SAMPLER = 'command -v nvidia-smi >/dev/null || exit 3; while :; do t=$(date +%s.%N); p=$(TZ=UTC0 nvidia-smi --query-gpu=timestamp,power.draw --format=csv,noheader,nounits 2>/dev/null | tr "\\n" ";") || exit 3; echo "@@ $t $p" || exit 0; sleep "$1"; done';

/**
 * Parses one "@@ EPOCH TS, W;TS, W;…" line: the summed watts of the GPUs that gave a number ("[N/A]" left out), at
 * nvidia-smi's own timestamp of the query (UTC) or else the loop's clock just before it; null for anything else.
 */
export function parsePowerLine(line: string): PowerSample | null {
  const m = /^@@ (\d+(?:\.\d+)?) ?(.*)$/.exec(line.trim());
  if (!m) return null;
  let watts = 0;
  let any = false;
  let at: number | undefined;
  for (const row of m[2].split(';')) {
    const [ts, w] = row.split(',').map((x) => x.trim());
    if (w === undefined) continue;
    const v = Number(w);
    if (w === '' || !Number.isFinite(v)) continue;
    watts += v;
    any = true;
    const d = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d+)?$/.exec(ts);
    if (at === undefined && d) at = Date.UTC(+d[1], +d[2] - 1, +d[3], +d[4], +d[5], +d[6]) / 1000 + Number(d[7] ?? 0);
  }
  return any ? { t: at ?? Number(m[1]), watts } : null;
}

/**
 * ∫ P dt over [from, to] (epoch s) in joules: trapezoids between samples, the power at the window's edges interpolated
 * (or, within `slackS` past the first/last sample, extrapolated) linearly from the neighbouring samples — exact for
 * power that varies linearly. null when the samples do not reach the window within `slackS`.
 */
export function integrateEnergy(samples: readonly PowerSample[], from: number, to: number, slackS = 0): number | null {
  const n = samples.length;
  if (n < 1 || to < from || samples[0].t > from + slackS || samples[n - 1].t < to - slackS) return null;
  if (n === 1) return samples[0].watts * (to - from);
  const line = (a: PowerSample, b: PowerSample, t: number): number => (b.t === a.t ? b.watts : a.watts + ((b.watts - a.watts) * (t - a.t)) / (b.t - a.t));
  const at = (t: number): number => {
    if (t <= samples[0].t) return line(samples[0], samples[1], t);
    for (let i = 1; i < n; i++) if (samples[i].t >= t) return line(samples[i - 1], samples[i], t);
    return line(samples[n - 2], samples[n - 1], t);
  };
  const pts: PowerSample[] = [{ t: from, watts: at(from) }, ...samples.filter((x) => x.t > from && x.t < to), { t: to, watts: at(to) }];
  let j = 0;
  for (let i = 1; i < pts.length; i++) j += ((pts[i].watts + pts[i - 1].watts) / 2) * (pts[i].t - pts[i - 1].t);
  return j;
}

/** A running sampler (one per launched server, for its whole life, so no run waits for a reading). */
export interface PowerSampling {
  /** The readings so far: host clock, and when each arrived here. */
  snapshot(): { samples: readonly PowerSample[]; received: readonly PowerSample[] };
  /** Readings taken within [from, to] (epoch s). */
  count(from: number, to: number): number;
  /** Resolves once a reading taken at or after `t` (epoch s) arrived, the loop ended, or `maxMs` passed. */
  waitPast(t: number, maxMs: number): Promise<void>;
  /** Ends the loop (the remote loop ends at its next write). */
  stop(): Promise<void>;
}

/**
 * Samples power on a host every `intervalMs` until stopped, over the host's runner (the pooled SSH connection for SSH
 * hosts). Memory: one small object per reading (a day at 500 ms is 170k readings, a few MB); older readings than
 * `keepS` are dropped.
 */
export function startPowerSampling(runner: CommandRunner, intervalMs: number, keepS = 3600): PowerSampling {
  const ac = new AbortController();
  const samples: PowerSample[] = [];
  const received: PowerSample[] = [];
  let buf = '';
  let ended = false;
  const waiters: Array<() => void> = [];
  const wake = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  const done = runner.exec(['bash', '-c', SAMPLER, 'power-sampler', String(intervalMs / 1000)], {
    timeoutMs: 0,
    signal: ac.signal,
    onStdout: (s) => {
      buf += s;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const p = parsePowerLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (!p) continue;
        samples.push(p);
        received.push({ t: Date.now() / 1000, watts: p.watts });
        wake();
        if (samples[samples.length - 1].t - samples[0].t > keepS * 1.5) {
          const cut = samples.findIndex((x) => x.t >= p.t - keepS);
          samples.splice(0, cut);
          received.splice(0, cut);
        }
      }
      if (buf.length > 65536) buf = '';
    },
  }).catch(() => undefined).finally(() => {
    ended = true;
    wake();
  });
  return {
    snapshot: () => ({ samples, received }),
    count: (from, to) => samples.filter((x) => x.t >= from && x.t <= to).length,
    waitPast: async (t, maxMs) => {
      const end = Date.now() + maxMs;
      while (!ended && !(samples.length && samples[samples.length - 1].t >= t) && Date.now() < end) {
        await new Promise<void>((r) => {
          const timer = setTimeout(r, Math.max(1, end - Date.now()));
          waiters.push(() => {
            clearTimeout(timer);
            r();
          });
        });
      }
    },
    stop: async () => {
      ac.abort();
      await done;
    },
  };
}

/**
 * Energy of a run window given in this machine's clock: with the host's own timestamps when they cover the window
 * (same clock, or synchronised), else with the arrival times here (a host whose clock is off).
 */
export function runEnergy(sampling: { samples: readonly PowerSample[]; received: readonly PowerSample[] }, from: number, to: number, slackS: number): number | null {
  return integrateEnergy(sampling.samples, from, to, slackS) ?? integrateEnergy(sampling.received, from, to, slackS);
}
