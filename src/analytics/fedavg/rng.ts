/**
 * The seeded PRNG federated training takes as an argument (initialization and shuffling), so a run replays
 * exactly from its seed: xoshiro128** seeded through splitmix32. Not for anything secret.
 */

/** A uniform random number generator on [0, 1). */
export type Rng = () => number;

function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [next, (z ^ (z >>> 16)) >>> 0];
}

/** A deterministic generator from a 32-bit seed (xoshiro128**, period 2^128 − 1). */
export function seededRng(seed: number): Rng {
  let state = seed | 0;
  const s = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    const [next, out] = splitmix32(state);
    state = next;
    s[i] = out;
  }
  return () => {
    const [a, b, c, d] = s as unknown as [number, number, number, number];
    const result = Math.imul(((Math.imul(b, 5) << 7) | (Math.imul(b, 5) >>> 25)) >>> 0, 9) >>> 0;
    const t = (b << 9) >>> 0;
    s[2] = c ^ a;
    s[3] = d ^ b;
    s[1] = b ^ (s[2] as number);
    s[0] = a ^ (s[3] as number);
    s[2] = (s[2] as number) ^ t;
    s[3] = ((s[3] as number) << 11) | ((s[3] as number) >>> 21);
    return result / 2 ** 32;
  };
}

/** A 32-bit seed for one part of a run (a round, a site) derived from the run's seed. */
export function deriveSeed(seed: number, ...parts: readonly number[]): number {
  let h = (seed ^ 0x6a09e667) >>> 0;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x9e3779b1) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
    h = Math.imul(h, 0x85ebca77) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
  }
  return h;
}
