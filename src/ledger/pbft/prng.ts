/**
 * A small seeded PRNG for the simulator: xoshiro128** (Blackman & Vigna) seeded through splitmix32, so any
 * 32-bit seed gives a well-mixed state. Same seed, same sequence, on every platform.
 */

/** A deterministic random source. */
export interface Rng {
  /** The next 32-bit unsigned integer. */
  readonly nextU32: () => number;
  /** A float in [0, 1). */
  readonly float: () => number;
  /** An integer in [min, max] (both included). */
  readonly int: (min: number, max: number) => number;
  /** True with probability p. */
  readonly chance: (p: number) => boolean;
}

/** Creates a xoshiro128** generator from a seed (any integer; it is reduced to 32 bits). */
export function createRng(seed: number): Rng {
  let sm = seed >>> 0;
  const splitmix = (): number => {
    sm = (sm + 0x9e3779b9) >>> 0;
    let z = sm;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const s = [splitmix(), splitmix(), splitmix(), splitmix()] as [number, number, number, number];
  const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;
  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] = (s[2] ^ s[0]) >>> 0;
    s[3] = (s[3] ^ s[1]) >>> 0;
    s[1] = (s[1] ^ s[2]) >>> 0;
    s[0] = (s[0] ^ s[3]) >>> 0;
    s[2] = (s[2] ^ t) >>> 0;
    s[3] = rotl(s[3], 11);
    return result;
  };
  const float = (): number => nextU32() / 4294967296;
  return {
    nextU32,
    float,
    int: (min, max) => min + Math.floor(float() * (max - min + 1)),
    chance: (p) => p > 0 && float() < p,
  };
}
