/**
 * k-anonymity and l-diversity over the quasi-identifiers of a record-level extract. Rows with equal
 * quasi-identifier values form an equivalence class; the extract is k-anonymous when every class has at
 * least k rows (nobody can be narrowed to fewer than k people by those attributes), and distinct-l-diverse
 * for a sensitive attribute when every class holds at least l different values of it (so membership alone
 * does not reveal the value). One pass with a Map: linear in the rows.
 */
import { MeridianError } from '../errors/registry.ts';

/** Largest k (and l) accepted. */
export const K_MAX = 10_000;
/** Smallest classes listed in a report unless asked otherwise. */
const SHOW_DEFAULT = 5;
/** Most classes a report lists. */
const SHOW_MAX = 1_000;

/** One equivalence class as a report shows it: its quasi-identifier values and size. */
export interface EquivalenceClass {
  values: Record<string, unknown>;
  size: number;
  /** Distinct values of the sensitive attribute in the class (when one was given). */
  distinctSensitive?: number;
}

/** Options of {@link checkKAnonymity}. */
export interface KAnonymityOptions {
  quasiIdentifiers: readonly string[];
  /** Target k: the report counts the classes and rows below it. */
  k?: number;
  /** Sensitive attribute for l-diversity. */
  sensitive?: string;
  /** How many of the smallest classes to list (default 5). */
  show?: number;
}

/** The result of a k-anonymity check. */
export interface KAnonymityReport {
  records: number;
  classes: number;
  /** Size of the smallest class (0 for an empty extract: nothing to re-identify, nothing to release). */
  k: number;
  /** The smallest classes, smallest first (ties in first-seen order). */
  smallest: EquivalenceClass[];
  /** Classes and records below the target k (0 without a target). */
  belowK: { classes: number; records: number };
  /** Smallest number of distinct sensitive values in a class; null without a sensitive attribute. */
  l: number | null;
  /** The classes with the fewest distinct sensitive values, fewest first; empty without one. */
  leastDiverse: EquivalenceClass[];
}

interface ClassAcc {
  values: Record<string, unknown>;
  size: number;
  sensitive: Set<string> | null;
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min || value > K_MAX)
    throw new MeridianError('MER_PRIVACY_INVALID_OPTION', `${name} must be a whole number from ${min} to ${K_MAX}`);
}

function checkColumns(rows: readonly Readonly<Record<string, unknown>>[], columns: readonly string[]): void {
  if (columns.length === 0)
    throw new MeridianError('MER_PRIVACY_INVALID_OPTION', 'at least one quasi-identifier is needed');
  const first = rows[0];
  if (first === undefined) return;
  const missing = columns.filter((c) => !Object.hasOwn(first, c));
  if (missing.length > 0)
    throw new MeridianError(
      'MER_PRIVACY_SPEC_INVALID',
      `not a column of the extract: ${missing.join(', ')} (columns: ${Object.keys(first).join(', ')})`,
    );
}

/** A value as it takes part in a class key (Dates by instant, bigints as text, undefined as null). */
function keyPart(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof Date) return `date:${value.toISOString()}`;
  if (typeof value === 'bigint') return `bigint:${value}`;
  return value;
}

/** The equivalence-class key of a row. */
export function classKey(row: Readonly<Record<string, unknown>>, quasiIdentifiers: readonly string[]): string {
  return JSON.stringify(quasiIdentifiers.map((q) => keyPart(row[q])));
}

function buildClasses(
  rows: readonly Readonly<Record<string, unknown>>[],
  quasiIdentifiers: readonly string[],
  sensitive: string | undefined,
): { keys: string[]; classes: Map<string, ClassAcc> } {
  const classes = new Map<string, ClassAcc>();
  const keys: string[] = new Array(rows.length);
  rows.forEach((row, i) => {
    const key = classKey(row, quasiIdentifiers);
    keys[i] = key;
    let acc = classes.get(key);
    if (acc === undefined) {
      const values: Record<string, unknown> = {};
      for (const q of quasiIdentifiers) values[q] = row[q] ?? null;
      acc = { values, size: 0, sensitive: sensitive === undefined ? null : new Set() };
      classes.set(key, acc);
    }
    acc.size++;
    acc.sensitive?.add(JSON.stringify(keyPart(row[sensitive as string])));
  });
  return { keys, classes };
}

function shown(acc: ClassAcc): EquivalenceClass {
  return acc.sensitive === null
    ? { values: acc.values, size: acc.size }
    : { values: acc.values, size: acc.size, distinctSensitive: acc.sensitive.size };
}

/** Checks k-anonymity (and l-diversity when `sensitive` is given) of `rows` over the quasi-identifiers. */
export function checkKAnonymity(
  rows: readonly Readonly<Record<string, unknown>>[],
  opts: KAnonymityOptions,
): KAnonymityReport {
  const show = opts.show ?? SHOW_DEFAULT;
  checkCount('show', show, 0);
  if (show > SHOW_MAX) throw new MeridianError('MER_PRIVACY_INVALID_OPTION', `show must be at most ${SHOW_MAX}`);
  if (opts.k !== undefined) checkCount('k', opts.k, 1);
  checkColumns(rows, opts.sensitive === undefined ? opts.quasiIdentifiers : [...opts.quasiIdentifiers, opts.sensitive]);
  const { classes } = buildClasses(rows, opts.quasiIdentifiers, opts.sensitive);
  const all = [...classes.values()];
  const bySize = [...all].sort((a, b) => a.size - b.size);
  const target = opts.k ?? 0;
  const below = all.filter((c) => c.size < target);
  const byDiversity =
    opts.sensitive === undefined ? [] : [...all].sort((a, b) => (a.sensitive?.size ?? 0) - (b.sensitive?.size ?? 0));
  return {
    records: rows.length,
    classes: all.length,
    k: bySize[0]?.size ?? 0,
    smallest: bySize.slice(0, show).map(shown),
    belowK: { classes: below.length, records: below.reduce((n, c) => n + c.size, 0) },
    l: opts.sensitive === undefined ? null : (byDiversity[0]?.sensitive?.size ?? 0),
    leastDiverse: byDiversity.slice(0, show).map(shown),
  };
}

/** What {@link suppressToK} returns. */
export interface SuppressionResult<R> {
  /** The rows kept, in input order. */
  rows: R[];
  /** How many rows were removed. */
  suppressed: number;
  /** The classes removed, smallest first. */
  suppressedClasses: EquivalenceClass[];
  /** The check of the kept rows (k ≥ target unless nothing is left). */
  report: KAnonymityReport;
}

/**
 * Removes every row of every class smaller than `k` (local record suppression); the classes left are all
 * at least `k`, since removing a whole class leaves the others untouched.
 */
export function suppressToK<R extends Readonly<Record<string, unknown>>>(
  rows: readonly R[],
  opts: { quasiIdentifiers: readonly string[]; k: number; sensitive?: string; show?: number },
): SuppressionResult<R> {
  checkCount('k', opts.k, 1);
  checkColumns(rows, opts.quasiIdentifiers);
  const { keys, classes } = buildClasses(rows, opts.quasiIdentifiers, undefined);
  const kept = rows.filter((_, i) => (classes.get(keys[i] as string)?.size ?? 0) >= opts.k);
  const removed = [...classes.values()].filter((c) => c.size < opts.k).sort((a, b) => a.size - b.size);
  return {
    rows: kept,
    suppressed: rows.length - kept.length,
    suppressedClasses: removed.map(shown),
    report: checkKAnonymity(kept, opts),
  };
}

/** A class as one line, e.g. `age_band=40-49, gender=F (1 record)`. */
export function describeClass(c: EquivalenceClass): string {
  const values = Object.entries(c.values)
    .map(([q, v]) => `${q}=${v === null ? '∅' : String(v)}`)
    .join(', ');
  return `${values} (${c.size} record${c.size === 1 ? '' : 's'})`;
}
