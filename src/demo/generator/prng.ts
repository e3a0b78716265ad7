/**
 * The generator's only source of randomness: xoshiro128** streams keyed by (root seed, stream kind, indices).
 * Every person, every hospital-local record and every formatting decision draws from its own stream, so the
 * output for one patient never depends on how many patients came before it or on the chunk size. Never
 * Math.random, never the clock.
 */
import { createHash } from 'node:crypto';

/** The 128-bit root of every stream, derived from the user's seed. */
export type RootSeed = readonly [number, number, number, number];

/** Stream kinds: one per purpose, so streams of different purposes never coincide. */
export const STREAM = {
  population: 1,
  identity: 2,
  person: 3,
  clinical: 4,
  render: 5,
  uid: 6,
} as const;

/** Hashes any seed (number or string) to the 128-bit root; the same seed always gives the same root. */
export function rootSeed(seed: number | string): RootSeed {
  const digest = createHash('sha256')
    .update(`meridian-demo-generator:${String(seed)}`)
    .digest();
  return [digest.readUInt32LE(0), digest.readUInt32LE(4), digest.readUInt32LE(8), digest.readUInt32LE(12)];
}

/** lowbias32 (Wellons): a 32-bit finalizer with very low bias. */
function mix32(input: number): number {
  let x = input >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** One sorted table for {@link Rng.weighted}: cumulative weights and their values. */
export interface WeightedTable<T> {
  readonly values: readonly T[];
  readonly cumulative: Float64Array;
  readonly total: number;
}

/** Builds a weighted table from [value, weight] pairs (weights need not sum to 1). */
export function weightedTable<T>(pairs: readonly (readonly [T, number])[]): WeightedTable<T> {
  const cumulative = new Float64Array(pairs.length);
  let total = 0;
  pairs.forEach(([, w], i) => {
    total += w;
    cumulative[i] = total;
  });
  return { values: pairs.map(([v]) => v), cumulative, total };
}

/** xoshiro128** (Blackman & Vigna), 32-bit arithmetic only, seeded by splitmix-style expansion of a key. */
export class Rng {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  private constructor(s0: number, s1: number, s2: number, s3: number) {
    this.#s0 = s0;
    this.#s1 = s1;
    this.#s2 = s2;
    this.#s3 = s3;
    if ((s0 | s1 | s2 | s3) === 0) this.#s0 = 0x9e3779b9;
  }

  /** The stream for (root, kind, a, b): two independent 32-bit hash chains give a 64-bit key, then 4 words. */
  static stream(root: RootSeed, kind: number, a = 0, b = 0): Rng {
    let h1 = 0x243f6a88 ^ root[0];
    let h2 = 0x85a308d3 ^ root[1];
    for (const w of [root[2], root[3], kind, a, b]) {
      h1 = mix32(h1 ^ mix32(w + 0x9e3779b9));
      h2 = mix32(h2 ^ mix32(Math.imul(w, 0x85ebca6b) + 0x7f4a7c15));
    }
    let x = h1;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      return mix32(x ^ h2);
    };
    return new Rng(next(), next(), next(), next());
  }

  /** The next 32-bit unsigned integer. */
  u32(): number {
    const s0 = this.#s0;
    const s1 = this.#s1;
    const s2 = this.#s2;
    const s3 = this.#s3;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    let n2 = s2 ^ s0;
    let n3 = s3 ^ s1;
    const n1 = s1 ^ n2;
    const n0 = s0 ^ n3;
    n2 ^= t;
    n3 = rotl(n3, 11);
    this.#s0 = n0 >>> 0;
    this.#s1 = n1 >>> 0;
    this.#s2 = n2 >>> 0;
    this.#s3 = n3 >>> 0;
    return r;
  }

  /** A float in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.u32() >>> 5;
    const lo = this.u32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    const v = items[Math.floor(this.float() * items.length)];
    if (v === undefined) throw new RangeError('pick from an empty array');
    return v;
  }

  /** One value of a weighted table. */
  weighted<T>(table: WeightedTable<T>): T {
    const x = this.float() * table.total;
    let lo = 0;
    let hi = table.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((table.cumulative[mid] as number) > x) hi = mid;
      else lo = mid + 1;
    }
    return table.values[lo] as T;
  }

  /** A normal deviate (Box–Muller; the second value is discarded to keep the stream simple). */
  normal(mean: number, sd: number): number {
    const u = 1 - this.float();
    const v = this.float();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A normal deviate clipped to [min, max]. */
  normalClipped(mean: number, sd: number, min: number, max: number): number {
    return Math.min(max, Math.max(min, this.normal(mean, sd)));
  }

  /** An exponential deviate with the given rate. */
  exponential(rate: number): number {
    return -Math.log(1 - this.float()) / rate;
  }

  /** A geometric count (number of failures before a success) with mean m, capped. */
  geometric(mean: number, max: number): number {
    const p = 1 / (1 + mean);
    let n = 0;
    while (n < max && !this.chance(p)) n++;
    return n;
  }

  /** Shuffles an array in place (Fisher–Yates). */
  shuffle(items: Int32Array): Int32Array {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      const tmp = items[i] as number;
      items[i] = items[j] as number;
      items[j] = tmp;
    }
    return items;
  }

  /** A random (version 4 shaped) UUID. */
  uuid(): string {
    const a = this.u32();
    const b = (this.u32() & 0xffff0fff) | 0x00004000;
    const c = (this.u32() & 0x3fffffff) | 0x80000000;
    const d = this.u32();
    const h = (x: number): string => (x >>> 0).toString(16).padStart(8, '0');
    const bh = h(b);
    const ch = h(c);
    return `${h(a)}-${bh.slice(0, 4)}-${bh.slice(4)}-${ch.slice(0, 4)}-${ch.slice(4)}${h(d)}`;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
