/**
 * Fellegi–Sunter record linkage over token comparisons, with m estimated by EM and u from a sample of
 * (almost surely non-matching) record pairs. Pure: counts in, parameters and weights out.
 *
 * A pair's comparison vector γ has one level per field (missing when either side lacks the token):
 *
 * | field | levels (0 = disagree)                                   |
 * |-------|---------------------------------------------------------|
 * | id    | 1 equal ID number                                        |
 * | name  | 1 same pinyin key (homophone), 2 same normalized name    |
 * | dob   | 1 same month and day only, 2 same birth date             |
 * | sex   | 1 same                                                   |
 * | phone | 1 one adjacent transposition apart, 2 same               |
 *
 * γ is packed into one integer (base 4 per field, 0 = missing, level + 1 otherwise), so EM runs on a
 * histogram of at most 4^5 patterns however many pairs were compared.
 */
import assert from 'node:assert/strict';

/** Compared fields, in pattern order. */
export const FIELDS = ['id', 'name', 'dob', 'sex', 'phone'] as const;
/** A compared field. */
export type Field = (typeof FIELDS)[number];
/** Levels per field (disagree counts as level 0). */
export const LEVELS: Readonly<Record<Field, number>> = { id: 2, name: 3, dob: 3, sex: 2, phone: 3 };
/** Number of distinct packed patterns. */
export const PATTERNS = 4 ** FIELDS.length;
/** Smallest probability an m or u may take (a level never seen is rare, not impossible). */
export const PROBABILITY_FLOOR = 1e-5;
/** EM stops after this many iterations at the latest. */
export const EM_ITERATIONS_MAX = 200;
/** EM stops when no parameter moves more than this. */
export const EM_TOLERANCE = 1e-9;

/** Fewest candidate pairs EM is trusted with; below it m keeps {@link PRIOR_M}. */
export const EM_PAIRS_MIN = 200;
/** m before there is enough data to estimate it: typical agreement rates of true matches in registries. */
export const PRIOR_M: Readonly<LevelProbabilities> = {
  id: [0.01, 0.99],
  name: [0.02, 0.08, 0.9],
  dob: [0.02, 0.03, 0.95],
  sex: [0.02, 0.98],
  phone: [0.1, 0.05, 0.85],
};

/** Level of one field in a pair, or null when either side lacks it. */
export type Level = number | null;

/** Per field, the probability of each level (index = level). */
export type LevelProbabilities = Record<Field, number[]>;

/** An estimated model: m (among matches), u (among non-matches) and the prior that two records match. */
export interface FsModel {
  m: LevelProbabilities;
  u: LevelProbabilities;
  /** Share of matches among the compared candidate pairs (EM's λ). */
  lambdaCandidates: number;
  /** Probability that two records drawn at random match (λ scaled from candidates to all pairs). */
  prior: number;
  iterations: number;
}

/** Packs per-field levels (null = missing) into a pattern number. */
export function packPattern(levels: Readonly<Record<Field, Level>>): number {
  let p = 0;
  for (let k = FIELDS.length - 1; k >= 0; k--) {
    const l = levels[FIELDS[k] as Field];
    assert.ok(l === null || (l >= 0 && l < LEVELS[FIELDS[k] as Field]), 'level in range');
    p = p * 4 + (l === null ? 0 : l + 1);
  }
  return p;
}

/** The level of field index k in a packed pattern (null = missing). */
export function patternLevel(pattern: number, k: number): Level {
  const code = Math.floor(pattern / 4 ** k) % 4;
  return code === 0 ? null : code - 1;
}

/** True when every field's level in a packed pattern is within its field's levels. */
export function isValidPattern(pattern: number): boolean {
  return FIELDS.every((f, k) => {
    const l = patternLevel(pattern, k);
    return l === null || l < LEVELS[f];
  });
}

/** Unpacks a pattern into per-field levels. */
export function unpackPattern(pattern: number): Record<Field, Level> {
  return Object.fromEntries(FIELDS.map((f, k) => [f, patternLevel(pattern, k)])) as Record<Field, Level>;
}

/** u per field from a histogram of random-pair patterns (Laplace-smoothed, floored). */
export function estimateU(randomCounts: readonly number[]): LevelProbabilities {
  const u = emptyProbabilities();
  FIELDS.forEach((f, k) => {
    const counts = new Array<number>(LEVELS[f]).fill(0);
    for (let p = 0; p < randomCounts.length; p++) {
      const c = randomCounts[p] ?? 0;
      const l = c === 0 || !isValidPattern(p) ? null : patternLevel(p, k);
      if (l !== null) counts[l] = (counts[l] as number) + c;
    }
    const total = counts.reduce((a, b) => a + b, 0) + LEVELS[f];
    u[f] = normalizeFloor(counts.map((c) => (c + 1) / total));
  });
  return u;
}

/**
 * EM on a histogram of candidate-pair patterns: returns m, u and λ among the candidates. Starts from m that
 * favours agreement and from `uStart`; fields missing in a pattern contribute nothing (missing at random).
 */
export function runEm(
  candidateCounts: readonly number[],
  uStart: LevelProbabilities,
): { m: LevelProbabilities; u: LevelProbabilities; lambda: number; iterations: number } {
  let m = startM();
  let u = structuredClone(uStart) as LevelProbabilities;
  let lambda = 0.5;
  const patterns: { p: number; c: number; levels: Level[] }[] = [];
  for (let p = 0; p < candidateCounts.length; p++) {
    const c = candidateCounts[p] ?? 0;
    if (c > 0 && isValidPattern(p)) patterns.push({ p, c, levels: FIELDS.map((_, k) => patternLevel(p, k)) });
  }
  const total = patterns.reduce((a, x) => a + x.c, 0);
  if (total === 0) return { m, u, lambda, iterations: 0 };
  let iterations = 0;
  for (; iterations < EM_ITERATIONS_MAX; iterations++) {
    const mAcc = zeroAccumulators();
    const uAcc = zeroAccumulators();
    let matches = 0;
    for (const { c, levels } of patterns) {
      let pm = lambda;
      let pu = 1 - lambda;
      levels.forEach((l, k) => {
        if (l === null) return;
        const f = FIELDS[k] as Field;
        pm *= m[f][l] as number;
        pu *= u[f][l] as number;
      });
      const g = pm / (pm + pu);
      matches += c * g;
      levels.forEach((l, k) => {
        if (l === null) return;
        const f = FIELDS[k] as Field;
        (mAcc[f] as number[])[l] = (mAcc[f][l] as number) + c * g;
        (uAcc[f] as number[])[l] = (uAcc[f][l] as number) + c * (1 - g);
      });
    }
    const next = { m: fromAccumulators(mAcc), u: fromAccumulators(uAcc), lambda: matches / total };
    const moved = Math.max(Math.abs(next.lambda - lambda), maxDelta(next.m, m), maxDelta(next.u, u));
    m = next.m;
    u = next.u;
    lambda = Math.min(1 - PROBABILITY_FLOOR, Math.max(PROBABILITY_FLOOR, next.lambda));
    if (moved < EM_TOLERANCE) {
      iterations++;
      break;
    }
  }
  return { m, u, lambda, iterations };
}

/**
 * The model used for scoring: m from EM on the candidates, u from the random-pair sample, and the prior
 * that two random records match = expected matches among candidates / all pairs of `records` records.
 * With fewer than {@link EM_PAIRS_MIN} candidate pairs, m is the prior and half the candidates count as matches.
 */
export function estimateModel(input: {
  candidateCounts: readonly number[];
  randomCounts: readonly number[];
  records: number;
}): FsModel {
  const u = estimateU(input.randomCounts);
  const candidates = input.candidateCounts.reduce((a, b) => a + b, 0);
  const em =
    candidates >= EM_PAIRS_MIN
      ? runEm(input.candidateCounts, u)
      : { m: structuredClone(PRIOR_M) as LevelProbabilities, lambda: 0.5, iterations: 0 };
  const allPairs = (input.records * (input.records - 1)) / 2;
  const expectedMatches = em.lambda * candidates;
  const prior = allPairs > 0 ? Math.min(0.5, Math.max(1 / Math.max(allPairs, 1), expectedMatches / allPairs)) : 0.5;
  return { m: em.m, u, lambdaCandidates: em.lambda, prior, iterations: em.iterations };
}

/** Match weight of a pattern: log2 prior odds + Σ log2(m/u) over the fields present. */
export function matchWeight(model: FsModel, pattern: number): number {
  let w = Math.log2(model.prior / (1 - model.prior));
  FIELDS.forEach((f, k) => {
    const l = patternLevel(pattern, k);
    if (l !== null) w += Math.log2((model.m[f][l] as number) / (model.u[f][l] as number));
  });
  return w;
}

/** Posterior match probability of a match weight. */
export function matchProbability(weight: number): number {
  return 1 / (1 + 2 ** -weight);
}

/** Weight of every pattern (a lookup table: scoring a pair is one array read). */
export function weightTable(model: FsModel): Float64Array {
  const table = new Float64Array(PATTERNS);
  for (let p = 0; p < PATTERNS; p++) table[p] = matchWeight(model, p);
  return table;
}

function emptyProbabilities(): LevelProbabilities {
  return Object.fromEntries(
    FIELDS.map((f) => [f, new Array<number>(LEVELS[f]).fill(1 / LEVELS[f])]),
  ) as LevelProbabilities;
}

function startM(): LevelProbabilities {
  const m = emptyProbabilities();
  for (const f of FIELDS) {
    const n = LEVELS[f];
    m[f] = normalizeFloor(Array.from({ length: n }, (_, l) => (l === n - 1 ? 0.9 : 0.1 / (n - 1))));
  }
  return m;
}

function zeroAccumulators(): LevelProbabilities {
  return Object.fromEntries(FIELDS.map((f) => [f, new Array<number>(LEVELS[f]).fill(0)])) as LevelProbabilities;
}

function fromAccumulators(acc: LevelProbabilities): LevelProbabilities {
  const out = emptyProbabilities();
  for (const f of FIELDS) {
    const total = acc[f].reduce((a, b) => a + b, 0);
    if (total > 0) out[f] = normalizeFloor(acc[f].map((c) => c / total));
  }
  return out;
}

/** Raises every probability to the floor and renormalizes, so no log ratio is infinite. */
function normalizeFloor(ps: number[]): number[] {
  const floored = ps.map((p) => Math.max(p, PROBABILITY_FLOOR));
  const total = floored.reduce((a, b) => a + b, 0);
  return floored.map((p) => p / total);
}

function maxDelta(a: LevelProbabilities, b: LevelProbabilities): number {
  let d = 0;
  for (const f of FIELDS)
    for (let l = 0; l < LEVELS[f]; l++) d = Math.max(d, Math.abs((a[f][l] as number) - (b[f][l] as number)));
  return d;
}
