/**
 * The pure core of hub-side linkage: blocking on tokens, comparison vectors, classification of candidate
 * pairs (deterministic on an equal ID token, Fellegi–Sunter otherwise) and clustering into global patients
 * with stable ids. No I/O, clock or randomness (the pair sample for u uses a fixed-seed generator).
 *
 * ```
 * records in play (new/changed ones "active", plus existing ones that share a block, with their global ids)
 *   │ blockKeys ─► candidate pairs (≥ 1 active side; blocks larger than blockSizeMax skipped)
 *   ▼
 * compare ─► pattern per pair ─► histogram ─► EM (fellegi-sunter.ts) ─► weight table
 *   ▼
 * classify: equal ID → link 'id' · P ≥ accept → link 'fs' · P ≥ review → review queue · else nothing
 *   ▼
 * cluster (union–find, strongest links first; never joins two different ID numbers or a rejected pair)
 *   ─► new globals · records attached to existing globals · merges of existing globals (older id survives)
 * ```
 */
import assert from 'node:assert/strict';
import { PATTERNS } from './fellegi-sunter.ts';
import type { Tokens } from './tokens.ts';

/** Default largest block compared (pairs grow with its square); larger blocks are skipped and counted. */
export const BLOCK_SIZE_MAX = 64;
/** Default number of sampled record pairs for estimating u. */
export const U_SAMPLE_PAIRS_MAX = 200_000;

/** Blocking rules: a pair is compared when both records share the tokens of at least one rule. */
export const BLOCKING_RULES = {
  id: ['id'],
  'phone-fold': ['phoneFolds'],
  'pinyin-dob': ['namePinyin', 'dob'],
  'pinyin-monthday-sex': ['namePinyin', 'birthMonthDay', 'sex'],
} as const;

/** One record taking part in a linkage run. */
export interface PlayRecord {
  /** `<hospital>:<recordKey>`. */
  recordId: string;
  tokens: Tokens;
  /** Its global patient id, or null for a record never linked before. */
  globalId: string | null;
  /** True when its pairs must be (re)computed: new or changed in this batch. */
  active: boolean;
}

/** A compared candidate pair (indices into the records in play, a < b). */
export interface ComparedPair {
  a: number;
  b: number;
  pattern: number;
  idEqual: boolean;
}

/** Thresholds on the posterior match probability. */
export interface LinkThresholds {
  /** At or above: linked automatically. */
  accept: number;
  /** At or above (and below accept): queued for a reviewer. */
  review: number;
}

/** Default thresholds. */
export const DEFAULT_THRESHOLDS: LinkThresholds = { accept: 0.99, review: 0.5 };

/** How a link came about. */
export type LinkKind = 'id' | 'fs' | 'review';

/** A link between two records in play. */
export interface Link {
  a: number;
  b: number;
  kind: LinkKind;
  weight: number;
}

/** A pair for the review queue. */
export interface ReviewCandidate {
  a: number;
  b: number;
  weight: number;
  pattern: number;
}

/** The outcome of {@link resolveLinkage}. */
export interface LinkagePlan {
  links: Link[];
  reviews: ReviewCandidate[];
  /** Components with no existing global: each becomes a new global id, in this order. */
  newClusters: number[][];
  /** Records (indices) that join an existing global id. */
  attachments: { record: number; globalId: string }[];
  /** Existing globals joined by this run: every id in `merged` is folded into `survivor` (the oldest). */
  merges: { survivor: string; merged: string[] }[];
  /** Links refused because they would join two different ID numbers or a pair a reviewer rejected. */
  refused: number;
}

/** Block keys of a record: rule name and token values (a record with a missing token has no key for that rule). */
export function blockKeys(tokens: Tokens): string[] {
  const keys: string[] = [];
  if (tokens.id !== undefined) keys.push(`id:${tokens.id}`);
  for (const f of tokens.phoneFolds ?? []) keys.push(`pf:${f}`);
  if (tokens.namePinyin !== undefined && tokens.dob !== undefined) keys.push(`pd:${tokens.namePinyin}.${tokens.dob}`);
  if (tokens.namePinyin !== undefined && tokens.birthMonthDay !== undefined && tokens.sex !== undefined)
    keys.push(`pms:${tokens.namePinyin}.${tokens.birthMonthDay}.${tokens.sex}`);
  return keys;
}

/** The comparison pattern of two token sets (see fellegi-sunter.ts for the levels and the packing). */
export function comparePair(x: Tokens, y: Tokens): number {
  // Packed directly (base 4, field k at 4^k, 0 = missing, level + 1 otherwise): this runs per compared pair.
  let p = 0;
  if (x.id !== undefined && y.id !== undefined) p += x.id === y.id ? 2 : 1;
  if (x.namePinyin !== undefined && y.namePinyin !== undefined)
    p += 4 * (x.name !== undefined && x.name === y.name ? 3 : x.namePinyin === y.namePinyin ? 2 : 1);
  if (x.birthMonthDay !== undefined && y.birthMonthDay !== undefined)
    p += 16 * (x.dob !== undefined && x.dob === y.dob ? 3 : x.birthMonthDay === y.birthMonthDay ? 2 : 1);
  if (x.sex !== undefined && y.sex !== undefined) p += 64 * (x.sex === y.sex ? 2 : 1);
  if (x.phone !== undefined && y.phone !== undefined)
    p += 256 * (x.phone === y.phone ? 3 : sharesFold(x.phoneFolds, y.phoneFolds) ? 2 : 1);
  return p;
}

/**
 * Candidate pairs (at least one active side) from shared block keys, each compared once; plus a histogram
 * of their patterns and of a fixed-seed sample of pairs among the active records (for u).
 */
export function compareCandidates(
  records: readonly PlayRecord[],
  opts: { blockSizeMax?: number; uSamplePairsMax?: number } = {},
): { pairs: ComparedPair[]; candidateCounts: number[]; randomCounts: number[]; skippedBlocks: number } {
  const blockSizeMax = opts.blockSizeMax ?? BLOCK_SIZE_MAX;
  const blocks = new Map<string, number[]>();
  records.forEach((r, i) => {
    for (const k of blockKeys(r.tokens)) {
      const members = blocks.get(k);
      if (members === undefined) blocks.set(k, [i]);
      else if (members.length <= blockSizeMax) members.push(i);
    }
  });
  const n = records.length;
  const seen = new Set<number>();
  const pairs: ComparedPair[] = [];
  const candidateCounts = new Array<number>(PATTERNS).fill(0);
  let skippedBlocks = 0;
  for (const members of blocks.values()) {
    if (members.length < 2) continue;
    if (members.length > blockSizeMax) {
      skippedBlocks++;
      continue;
    }
    for (let x = 0; x < members.length; x++) {
      const i = members[x] as number;
      for (let y = x + 1; y < members.length; y++) {
        const j = members[y] as number;
        const ri = records[i] as PlayRecord;
        const rj = records[j] as PlayRecord;
        if (!ri.active && !rj.active) continue;
        const a = Math.min(i, j);
        const b = Math.max(i, j);
        const key = a * n + b;
        if (seen.has(key)) continue;
        seen.add(key);
        const pattern = comparePair(ri.tokens, rj.tokens);
        candidateCounts[pattern] = (candidateCounts[pattern] as number) + 1;
        pairs.push({ a, b, pattern, idEqual: ri.tokens.id !== undefined && ri.tokens.id === rj.tokens.id });
      }
    }
  }
  return { pairs, candidateCounts, randomCounts: samplePatterns(records, opts.uSamplePairsMax), skippedBlocks };
}

/** Patterns of a fixed-seed sample of pairs among the active records (a random pair is almost never a match). */
export function samplePatterns(records: readonly PlayRecord[], pairsMax = U_SAMPLE_PAIRS_MAX): number[] {
  const active = records.filter((r) => r.active);
  const counts = new Array<number>(PATTERNS).fill(0);
  const n = active.length;
  if (n < 2) return counts;
  const draws = Math.min(pairsMax, (n * (n - 1)) / 2);
  let state = 0x9e3779b9;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  for (let s = 0; s < draws; s++) {
    const i = Math.floor(next() * n);
    let j = Math.floor(next() * (n - 1));
    if (j >= i) j++;
    const p = comparePair((active[i] as PlayRecord).tokens, (active[j] as PlayRecord).tokens);
    counts[p] = (counts[p] as number) + 1;
  }
  return counts;
}

/**
 * Classifies the compared pairs and clusters the records in play. `decisions` holds reviewers' verdicts on
 * pairs of record ids (`a|b`, sorted): accepted pairs link, rejected pairs never end up together.
 */
export function resolveLinkage(input: {
  records: readonly PlayRecord[];
  pairs: readonly ComparedPair[];
  weights: Float64Array;
  thresholds?: LinkThresholds;
  decisions?: ReadonlyMap<string, 'accepted' | 'rejected'>;
}): LinkagePlan {
  const { records, pairs, weights } = input;
  const thresholds = input.thresholds ?? DEFAULT_THRESHOLDS;
  assert.ok(thresholds.review <= thresholds.accept, 'review threshold at most the accept threshold');
  const decisions = input.decisions ?? new Map<string, 'accepted' | 'rejected'>();
  const acceptWeight = Math.log2(thresholds.accept / (1 - thresholds.accept));
  const reviewWeight = Math.log2(thresholds.review / (1 - thresholds.review));
  const links: Link[] = [];
  const reviews: ReviewCandidate[] = [];
  const rejected = new Map<number, number[]>();
  const addRejected = (a: number, b: number) => {
    rejected.set(a, [...(rejected.get(a) ?? []), b]);
    rejected.set(b, [...(rejected.get(b) ?? []), a]);
  };
  const index = new Map(records.map((r, i) => [r.recordId, i]));
  for (const [key, verdict] of decisions) {
    const [x, y] = key.split('|') as [string, string];
    const a = index.get(x);
    const b = index.get(y);
    if (a === undefined || b === undefined) continue;
    if (verdict === 'rejected') addRejected(a, b);
    else links.push({ a: Math.min(a, b), b: Math.max(a, b), kind: 'review', weight: Number.POSITIVE_INFINITY });
  }
  for (const p of pairs) {
    const w = weights[p.pattern] as number;
    const verdict = decisions.get(
      pairKey((records[p.a] as PlayRecord).recordId, (records[p.b] as PlayRecord).recordId),
    );
    if (verdict !== undefined) continue;
    if (p.idEqual) links.push({ a: p.a, b: p.b, kind: 'id', weight: w });
    else if (w >= acceptWeight) links.push({ a: p.a, b: p.b, kind: 'fs', weight: w });
    else if (w >= reviewWeight) reviews.push({ a: p.a, b: p.b, weight: w, pattern: p.pattern });
  }
  const kindRank: Record<LinkKind, number> = { review: 0, id: 1, fs: 2 };
  links.sort((x, y) => kindRank[x.kind] - kindRank[y.kind] || y.weight - x.weight || x.a - y.a || x.b - y.b);
  const clusters = new Clusters(records, rejected);
  let refused = 0;
  const kept: Link[] = [];
  for (const l of links) {
    const r = clusters.union(l.a, l.b);
    if (r === 'refused') refused++;
    else kept.push(l);
  }
  return { links: kept, reviews, refused, ...clusters.assign() };
}

/** The key of a record pair in review decisions: the two record ids sorted, joined by '|'. */
export function pairKey(x: string, y: string): string {
  return x < y ? `${x}|${y}` : `${y}|${x}`;
}

/** Union–find over the records in play; a component knows its ID tokens, global ids and members. */
class Clusters {
  readonly #parent: Int32Array;
  readonly #members: number[][];
  readonly #ids: (Set<string> | null)[];
  readonly #globals: (Set<string> | null)[];
  readonly #records: readonly PlayRecord[];
  readonly #rejected: ReadonlyMap<number, number[]>;

  constructor(records: readonly PlayRecord[], rejected: ReadonlyMap<number, number[]>) {
    this.#records = records;
    this.#rejected = rejected;
    this.#parent = Int32Array.from(records, (_, i) => i);
    this.#members = records.map((_, i) => [i]);
    this.#ids = records.map((r) => (r.tokens.id === undefined ? null : new Set([r.tokens.id])));
    this.#globals = records.map((r) => (r.globalId === null ? null : new Set([r.globalId])));
    const byGlobal = new Map<string, number>();
    records.forEach((r, i) => {
      if (r.globalId === null) return;
      const first = byGlobal.get(r.globalId);
      if (first === undefined) byGlobal.set(r.globalId, i);
      else this.#join(this.find(first), this.find(i));
    });
  }

  find(i: number): number {
    let root = i;
    while (this.#parent[root] !== root) root = this.#parent[root] as number;
    let x = i;
    while (this.#parent[x] !== root) {
      const next = this.#parent[x] as number;
      this.#parent[x] = root;
      x = next;
    }
    return root;
  }

  /** Joins the components of a and b unless that puts two ID numbers or a rejected pair together. */
  union(a: number, b: number): 'joined' | 'same' | 'refused' {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return 'same';
    const ia = this.#ids[ra];
    const ib = this.#ids[rb];
    if (ia && ib && (ia.size !== ib.size || [...ia].some((t) => !ib.has(t)))) return 'refused';
    const [small, large] =
      (this.#members[ra] as number[]).length < (this.#members[rb] as number[]).length ? [ra, rb] : [rb, ra];
    for (const m of this.#members[small] as number[])
      for (const other of this.#rejected.get(m) ?? []) if (this.find(other) === large) return 'refused';
    this.#join(large, small);
    return 'joined';
  }

  #join(into: number, from: number): void {
    this.#parent[from] = into;
    (this.#members[into] as number[]).push(...(this.#members[from] as number[]));
    this.#members[from] = [];
    this.#ids[into] = union(this.#ids[into] ?? null, this.#ids[from] ?? null);
    this.#globals[into] = union(this.#globals[into] ?? null, this.#globals[from] ?? null);
    this.#ids[from] = null;
    this.#globals[from] = null;
  }

  /** New clusters (sorted by their smallest record id), attachments and merges. */
  assign(): Pick<LinkagePlan, 'newClusters' | 'attachments' | 'merges'> {
    const newClusters: number[][] = [];
    const attachments: { record: number; globalId: string }[] = [];
    const merges: { survivor: string; merged: string[] }[] = [];
    this.#records.forEach((_, i) => {
      if (this.find(i) !== i) return;
      const members = this.#members[i] as number[];
      const globals = [...(this.#globals[i] ?? [])].sort();
      if (globals.length === 0) {
        newClusters.push(members.sort((x, y) => cmp(this.#records[x]?.recordId, this.#records[y]?.recordId)));
        return;
      }
      const survivor = globals[0] as string;
      if (globals.length > 1) merges.push({ survivor, merged: globals.slice(1) });
      for (const m of members)
        if (this.#records[m]?.globalId === null) attachments.push({ record: m, globalId: survivor });
    });
    newClusters.sort((x, y) => cmp(this.#records[x[0] as number]?.recordId, this.#records[y[0] as number]?.recordId));
    return { newClusters, attachments, merges };
  }
}

function union(a: Set<string> | null, b: Set<string> | null): Set<string> | null {
  if (a === null) return b;
  if (b === null) return a;
  for (const x of b) a.add(x);
  return a;
}

function cmp(x: string | undefined, y: string | undefined): number {
  return (x ?? '') < (y ?? '') ? -1 : (x ?? '') > (y ?? '') ? 1 : 0;
}

function sharesFold(x: readonly string[] | undefined, y: readonly string[] | undefined): boolean {
  if (x === undefined || y === undefined) return false;
  for (const f of x) if (y.includes(f)) return true;
  return false;
}
