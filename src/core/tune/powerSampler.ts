import type { CommandRunner } from '../launch/deployment';

/** One reading: when (epoch s) and the summed power.draw of every GPU that reported one (W). */
export interface PowerSample {
  readonly t: number;
  readonly watts: number;
}

/**
 * The sampling loop run on the host (one exec over the host's pooled SSH connection, or bash here): the host's clock,
 * then every GPU's power.draw (nvidia-smi(1): `--query-gpu=power.draw --format=csv,noheader,nounits` prints watts,
 * one GPU per line, "[N/A]" where unsupported). $1 is the period in seconds. Ends when its output is closed.
 */
const SAMPLER = 'while :; do t=$(date +%s.%N); p=$(nvidia-smi --query-gpu=power.draw --format=csv,noheader,nounits 2>/dev/null | tr "\\n" " ") || exit 3; echo "@@ $t $p" || exit 0; sleep "$1"; done';

/** Parses one "@@ EPOCH W W W …" line; GPUs without a reading ("[N/A]") are left out; null for anything else. */
export function parsePowerLine(line: string): PowerSample | null {
  const m = /^@@ (\d+(?:\.\d+)?) ?(.*)$/.exec(line.trim());
  if (!m) return null;
  const values = m[2].split(/\s+/).filter(Boolean).map(Number).filter((x) => Number.isFinite(x));
  if (!values.length) return null;
  return { t: Number(m[1]), watts: values.reduce((a, b) => a + b, 0) };
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
        if (samples[samples.length - 1].t - samples[0].t > keepS * 1.5) {
          const cut = samples.findIndex((x) => x.t >= p.t - keepS);
          samples.splice(0, cut);
          received.splice(0, cut);
        }
      }
      if (buf.length > 65536) buf = '';
    },
  }).catch(() => undefined);
  return {
    snapshot: () => ({ samples, received }),
    count: (from, to) => samples.filter((x) => x.t >= from && x.t <= to).length,
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
