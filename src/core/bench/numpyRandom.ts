/**
 * The two numpy random generators `vllm bench serve` draws from, bit for bit, so that the same `--seed` gives the same
 * traffic and the same prompts as vLLM:
 *  - `np.random.seed(seed)` + `np.random.gamma(shape, scale)` (serve.py get_request: the arrival gaps) — numpy's legacy
 *    `RandomState`: MT19937 seeded by `init_genrand`, `random_sample` = genrand_res53, and the legacy distributions
 *    `legacy_standard_gamma` (Marsaglia–Tsang for shape ≥ 1, Johnk-like rejection below 1), `legacy_standard_exponential`
 *    (−log(1 − U)) and `legacy_gauss` (polar Box–Muller that caches its second value). Source: numpy
 *    `numpy/random/src/legacy/legacy-distributions.c`, `numpy/random/src/mt19937/mt19937.c`, `numpy/random/mtrand.pyx`.
 *  - `np.random.default_rng(seed).integers(low, high, size)` (vllm/benchmarks/datasets/random.py: lengths, offsets and
 *    the shared prefix) — PCG64 (XSL-RR 128/64) seeded through `SeedSequence`, 32-bit draws split from one 64-bit output
 *    (low half first), and Lemire's bounded rejection. Source: numpy `bit_generator.pyx` (SeedSequence),
 *    `src/pcg64/pcg64.h`, `src/distributions/distributions.c` (random_bounded_uint64_fill, buffered_bounded_lemire_uint32).
 * The unit tests compare every sequence with Debian's python3-numpy.
 */

const N = 624;
const M = 397;

/** numpy's legacy `RandomState` (MT19937) with the calls serve.py makes. */
export class LegacyRandomState {
  private readonly mt = new Uint32Array(N);
  private mti = N;
  private gauss = 0;
  private hasGauss = false;

  /** `np.random.seed(seed)` for an integer seed in [0, 2³²): mt19937_seed (init_genrand). */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`Seed must be between 0 and 2**32 - 1 (got ${seed})`);
    this.initGenrand(seed);
  }

  private initGenrand(seed: number): void {
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = this.mt[i - 1] ^ (this.mt[i - 1] >>> 30);
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.mti = N;
  }

  /** init_by_array (Python's `random.seed(int)`: the key is |seed| in 32-bit words, least significant first). */
  protected initByArray(key: readonly number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1664525)) + key[j] + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
    this.mti = N;
  }

  protected next32(): number {
    const mt = this.mt;
    if (this.mti >= N) {
      let kk = 0;
      for (; kk < N - M; kk++) {
        const y = (mt[kk] & 0x80000000) | (mt[kk + 1] & 0x7fffffff);
        mt[kk] = mt[kk + M] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      for (; kk < N - 1; kk++) {
        const y = (mt[kk] & 0x80000000) | (mt[kk + 1] & 0x7fffffff);
        mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      const y = (mt[N - 1] & 0x80000000) | (mt[0] & 0x7fffffff);
      mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      this.mti = 0;
    }
    let y = mt[this.mti++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `random_sample()`: 53-bit double in [0, 1) from two 32-bit outputs (genrand_res53). */
  randomSample(): number {
    const a = this.next32() >>> 5;
    const b = this.next32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** legacy_standard_exponential: −log(1 − U). */
  standardExponential(): number {
    return -Math.log(1 - this.randomSample());
  }

  /** legacy_gauss: polar Box–Muller; the second value of each pair is cached for the next call. */
  gaussian(): number {
    if (this.hasGauss) {
      this.hasGauss = false;
      const g = this.gauss;
      this.gauss = 0;
      return g;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2 * this.randomSample() - 1;
      x2 = 2 * this.randomSample() - 1;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1 || r2 === 0);
    const f = Math.sqrt((-2 * Math.log(r2)) / r2);
    this.gauss = f * x1;
    this.hasGauss = true;
    return f * x2;
  }

  /** legacy_standard_gamma(shape). */
  standardGamma(shape: number): number {
    if (shape === 1) return this.standardExponential();
    if (shape === 0) return 0;
    if (shape < 1) {
      for (;;) {
        const u = this.randomSample();
        const v = this.standardExponential();
        if (u <= 1 - shape) {
          const x = Math.pow(u, 1 / shape);
          if (x <= v) return x;
        } else {
          const y = -Math.log((1 - u) / shape);
          const x = Math.pow(1 - shape + shape * y, 1 / shape);
          if (x <= v + y) return x;
        }
      }
    }
    const b = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * b);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.gaussian();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.randomSample();
      if (u < 1 - 0.0331 * (x * x) * (x * x)) return b * v;
      if (Math.log(u) < 0.5 * x * x + b * (1 - v + Math.log(v))) return b * v;
    }
  }

  /**
   * `np.random.randint(low, high, size)` (int64, high exclusive) for ranges below 2³²: masked rejection on 32-bit
   * draws (random_bounded_uint64_fill with use_masked, as RandomState passes).
   */
  randint(low: number, high: number, size: number): number[] {
    const rng = high - 1 - low;
    if (rng < 0) throw new Error(`randint: low >= high (${low}, ${high})`);
    if (rng > 0xffffffff) throw new Error('randint: ranges of 2**32 or more are not implemented');
    const out = new Array<number>(size);
    if (rng === 0) return out.fill(low);
    let mask = rng;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    for (let i = 0; i < size; i++) {
      let v: number;
      while ((v = (this.next32() & mask) >>> 0) > rng);
      out[i] = low + v;
    }
    return out;
  }

  /** `np.random.permutation(n)`: arange(n) shuffled with random_interval (legacy _shuffle_raw). */
  permutation(n: number): number[] {
    const a = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      let mask = i;
      mask |= mask >>> 1;
      mask |= mask >>> 2;
      mask |= mask >>> 4;
      mask |= mask >>> 8;
      mask |= mask >>> 16;
      let j: number;
      while ((j = (this.next32() & mask) >>> 0) > i);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }

  /** `np.random.gamma(shape, scale)` (legacy_gamma = scale · legacy_standard_gamma). */
  gamma(shape: number, scale: number): number {
    return scale * this.standardGamma(shape);
  }
}

const MASK32 = 0xffffffffn;
const MASK64 = 0xffffffffffffffffn;
const MASK128 = (1n << 128n) - 1n;
const PCG_MULT = (2549297995355413924n << 64n) | 4865540595714422341n;

/** SeedSequence(entropy).generate_state(4, uint64) for a non-negative integer entropy (pool size 4). */
export function seedSequenceState(entropy: number | bigint, words64 = 4): bigint[] {
  let n = BigInt(entropy);
  if (n < 0n) throw new Error('SeedSequence entropy must be non-negative');
  const ent: number[] = [];
  if (n === 0n) ent.push(0);
  while (n > 0n) {
    ent.push(Number(n & MASK32));
    n >>= 32n;
  }
  const mul = (a: number, b: number): number => Math.imul(a, b) >>> 0;
  let hashConst = 0x43b0d7e5;
  const hashmix = (value: number): number => {
    value = (value ^ hashConst) >>> 0;
    hashConst = mul(hashConst, 0x931e8875);
    value = mul(value, hashConst);
    return (value ^ (value >>> 16)) >>> 0;
  };
  const mix = (x: number, y: number): number => {
    const r = (mul(0xca01f9dd, x) - mul(0x4973f715, y)) >>> 0;
    return (r ^ (r >>> 16)) >>> 0;
  };
  const pool = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) pool[i] = hashmix(i < ent.length ? ent[i] : 0);
  for (let s = 0; s < 4; s++) for (let d = 0; d < 4; d++) if (s !== d) pool[d] = mix(pool[d], hashmix(pool[s]));
  for (let s = 4; s < ent.length; s++) for (let d = 0; d < 4; d++) pool[d] = mix(pool[d], hashmix(ent[s]));
  let hc = 0x8b51f9dd;
  const words: number[] = [];
  for (let i = 0; i < words64 * 2; i++) {
    let v = (pool[i % 4] ^ hc) >>> 0;
    hc = mul(hc, 0x58f38ded);
    v = mul(v, hc);
    words.push((v ^ (v >>> 16)) >>> 0);
  }
  const out: bigint[] = [];
  for (let i = 0; i < words64; i++) out.push((BigInt(words[2 * i + 1]) << 32n) | BigInt(words[2 * i]));
  return out;
}

/** `np.random.default_rng(seed)`: PCG64 seeded through SeedSequence, with Generator.integers. */
export class Pcg64Generator {
  private state = 0n;
  private readonly inc: bigint;
  private hasU32 = false;
  private u32 = 0;

  constructor(seed: number | bigint) {
    const [s0, s1, i0, i1] = seedSequenceState(seed, 4);
    const initState = (s0 << 64n) | s1;
    const initSeq = (i0 << 64n) | i1;
    // pcg_setseq_128_srandom_r
    this.inc = ((initSeq << 1n) | 1n) & MASK128;
    this.step();
    this.state = (this.state + initState) & MASK128;
    this.step();
  }

  private step(): void {
    this.state = (this.state * PCG_MULT + this.inc) & MASK128;
  }

  /** pcg_setseq_128_xsl_rr_64_random_r: advance, then output XSL-RR of the new state. */
  next64(): bigint {
    this.step();
    const s = this.state;
    const x = ((s >> 64n) ^ s) & MASK64;
    const rot = s >> 122n;
    return ((x >> rot) | (x << ((64n - rot) & 63n))) & MASK64;
  }

  /** pcg64_next32: the low half of a 64-bit output, then its high half on the next call. */
  next32(): number {
    if (this.hasU32) {
      this.hasU32 = false;
      return this.u32;
    }
    const n = this.next64();
    this.hasU32 = true;
    this.u32 = Number(n >> 32n);
    return Number(n & MASK32);
  }

  /**
   * `Generator.integers(low, high, size)` with int64 output and high exclusive, for ranges below 2³² (all that the
   * random dataset needs): rng = high − 1 − low; rng 0 draws nothing; otherwise Lemire's method on 32-bit draws.
   */
  integers(low: number, high: number, size: number): number[] {
    const rng = high - 1 - low;
    if (rng < 0) throw new Error(`integers: low >= high (${low}, ${high})`);
    if (rng > 0xffffffff) throw new Error('integers: ranges of 2**32 or more are not implemented');
    const out = new Array<number>(size);
    if (rng === 0) return out.fill(low);
    if (rng === 0xffffffff) {
      for (let i = 0; i < size; i++) out[i] = low + this.next32();
      return out;
    }
    const excl = BigInt(rng + 1);
    const threshold = Number((MASK32 - BigInt(rng)) % excl);
    for (let i = 0; i < size; i++) {
      let m = BigInt(this.next32()) * excl;
      let leftover = Number(m & MASK32);
      if (leftover < rng + 1) {
        while (leftover < threshold) {
          m = BigInt(this.next32()) * excl;
          leftover = Number(m & MASK32);
        }
      }
      out[i] = low + Number(m >> 32n);
    }
    return out;
  }
}

/**
 * Python's `random` module after `random.seed(n)` for an integer n (CPython `Modules/_randommodule.c` init_by_array,
 * `Lib/random.py` shuffle/choice via _randbelow_with_getrandbits): what vLLM's file datasets use to shuffle and
 * oversample, so `--seed` picks the same ShareGPT/custom prompts.
 */
export class PythonRandom extends LegacyRandomState {
  constructor(seed: number) {
    super(0);
    let n = BigInt(Math.abs(Math.trunc(seed)));
    const key: number[] = [];
    while (n > 0n) {
      key.push(Number(n & 0xffffffffn));
      n >>= 32n;
    }
    this.initByArray(key.length ? key : [0]);
  }

  /** getrandbits(k) for 0 < k ≤ 32. */
  private bits(k: number): number {
    return this.next32() >>> (32 - k);
  }

  /** _randbelow(n): rejection on bit_length(n) random bits. */
  randbelow(n: number): number {
    const k = 32 - Math.clz32(n);
    let r = this.bits(k);
    while (r >= n) r = this.bits(k);
    return r;
  }

  /** random.shuffle(x) in place. */
  shuffle<T>(x: T[]): void {
    for (let i = x.length - 1; i > 0; i--) {
      const j = this.randbelow(i + 1);
      [x[i], x[j]] = [x[j], x[i]];
    }
  }

  /** random.choice(seq). */
  choice<T>(seq: readonly T[]): T {
    return seq[this.randbelow(seq.length)];
  }
}
