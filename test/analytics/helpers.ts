/** Shared helpers of the analytics tests: a seeded generator and a random split of rows into sites. */
import assert from 'node:assert/strict';
import { isMeridianError } from '../../src/errors/registry.ts';

/** A small seeded generator (mulberry32): the same seed gives the same data on every run. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A standard normal draw (Box–Muller) from a uniform generator. */
export function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** A Poisson draw by inverting the CDF (means up to a few dozen; capped at 1000). */
export function poisson(random: () => number, mean: number): number {
  const u = random();
  let probability = Math.exp(-mean);
  let cumulative = probability;
  let count = 0;
  while (u > cumulative && count < 1000) {
    count++;
    probability *= mean / count;
    cumulative += probability;
  }
  return count;
}

/** Splits row indices 0…n−1 into `sites` groups by a seeded draw; every site keeps at least one row when n allows. */
export function splitRows(n: number, sites: number, random: () => number): number[][] {
  const groups: number[][] = Array.from({ length: sites }, () => []);
  for (let i = 0; i < n; i++) (groups[i < sites ? i : Math.floor(random() * sites)] as number[]).push(i);
  return groups;
}

/** Picks the given rows of every per-row array field of a record (other fields are copied). */
export function pick<T extends object>(data: T, rows: readonly number[]): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data))
    out[key] = Array.isArray(value) && key !== 'names' ? rows.map((i) => value[i]) : value;
  return out as T;
}

/** Asserts |actual − expected| ≤ tolerance·max(1, |expected|), naming what differs. */
export function assertClose(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} differs from ${expected} by more than ${tolerance} (relative above 1)`,
  );
}

/** The result of `run`, or the code of the MeridianError it threw (so two paths can be compared on refusals too). */
export function outcome<T>(run: () => T): T | string {
  try {
    return run();
  } catch (e) {
    if (isMeridianError(e)) return e.code;
    throw e;
  }
}
