/**
 * Turns analysis-table rows (compile.ts) into a numeric design: the model matrix X (optional intercept, numeric
 * covariates optionally centred and scaled, categorical covariates as indicator columns against a reference level),
 * the outcome y (and, for survival, the event indicator), with complete-case filtering. What was dropped is
 * reported as counts only, never as rows or person ids. Pure.
 *
 * ```
 * rows ─► every used column non-NULL?        no → dropped.missing (+ byColumn per NULL column)
 *          └► categorical level declared?     no → dropped.unknownLevel
 *               └► X row: [1, x₁, (x₂−c)/s, [sex=M], …], y, event
 * ```
 */
import { MeridianError } from '../../errors/registry.ts';

/** Most rows one design takes. */
export const DESIGN_ROWS_MAX = 5_000_000;
/** Most columns of X (intercept and indicator columns included). */
export const DESIGN_COLUMNS_MAX = 200;
/** Most levels one categorical covariate declares. */
export const CATEGORICAL_LEVELS_MAX = 100;
/** The name of the intercept column. */
export const INTERCEPT = '(intercept)';

/** A numeric covariate: a column, or a column entered as (value − center) / scale. */
export type Covariate = string | { column: string; center?: number; scale?: number };

/** A categorical covariate's levels (the same at every hospital, so designs align) and its reference level. */
export interface CategoricalLevels {
  levels: readonly string[];
  reference: string;
}

/** What {@link designMatrix} builds. */
export interface DesignSpec {
  /** The outcome column (for survival, the time column). */
  outcome: string;
  /** For survival: the 0/1 event column paired with the time outcome. */
  event?: string;
  /** Covariates in order; a column named in `categorical` becomes one indicator per non-reference level. */
  covariates: readonly Covariate[];
  /** Prepend a column of ones (default true). */
  intercept?: boolean;
  /** Categorical covariates by column. */
  categorical?: Readonly<Record<string, CategoricalLevels>>;
}

/** Rows left out of the design, by reason (counts only). */
export interface DroppedCounts {
  /** Rows with a NULL in any column the design uses. */
  missing: number;
  /** Complete rows whose categorical value is not a declared level. */
  unknownLevel: number;
  /** Per column, rows where it is NULL (a row missing two columns counts under both). */
  byColumn: Record<string, number>;
}

/** A numeric design over the complete cases. */
export interface Design {
  /** One row per complete case, one entry per name. */
  X: number[][];
  y: number[];
  /** The event indicator (0/1) per complete case, when the spec names an event column. */
  event?: number[];
  /** Column names of X: '(intercept)', covariate columns, and `column=level` indicators. */
  names: string[];
  dropped: DroppedCounts;
}

/** One column of X as it is computed from a row. */
type Term =
  | { kind: 'intercept' }
  | { kind: 'numeric'; column: string; center: number; scale: number }
  | { kind: 'level'; column: string; level: string };

/**
 * Builds the complete-case design of `rows`; throws MER_DATASET_DESIGN_INVALID for a column the rows lack, a value
 * that is not a number (or a level string), an event other than 0/1, or an inconsistent spec.
 *
 * @example
 * const d = designMatrix(rows, { outcome: 'complication', covariates: ['hba1c', 'age', 'bmi'] });
 * const fit = fitLogistic(d.X, d.y);   // d.names = ['(intercept)', 'hba1c', 'age', 'bmi']; d.dropped.missing
 */
export function designMatrix(rows: readonly Readonly<Record<string, unknown>>[], spec: DesignSpec): Design {
  if (!Array.isArray(rows)) throw invalid('rows', 'is not a list of rows');
  if (rows.length > DESIGN_ROWS_MAX) throw invalid('rows', `has ${rows.length} rows; at most ${DESIGN_ROWS_MAX}`);
  const { terms, used, categorical } = planTerms(spec);
  const names = terms.map(termName);
  const X: number[][] = [];
  const y: number[] = [];
  const event: number[] = [];
  const dropped: DroppedCounts = { missing: 0, unknownLevel: 0, byColumn: Object.fromEntries(used.map((c) => [c, 0])) };
  rows.forEach((row, i) => {
    if (row === null || typeof row !== 'object') throw invalid(`rows[${i}]`, 'is not an object');
    let missing = false;
    for (const column of used) {
      const value = row[column];
      if (value === undefined) throw invalid(`rows[${i}].${column}`, 'is not a column of the rows');
      if (value === null) {
        missing = true;
        dropped.byColumn[column] = (dropped.byColumn[column] ?? 0) + 1;
      }
    }
    if (missing) {
      dropped.missing++;
      return;
    }
    for (const [column, levels] of categorical) {
      const value = row[column];
      if (typeof value !== 'string') throw invalid(`rows[${i}].${column}`, `is ${kindOf(value)}, not a level string`);
      if (!levels.includes(value)) {
        dropped.unknownLevel++;
        return;
      }
    }
    X.push(terms.map((t) => termValue(t, row, i)));
    y.push(numberAt(row, spec.outcome, i));
    if (spec.event !== undefined) {
      const e = numberAt(row, spec.event, i);
      if (e !== 0 && e !== 1) throw invalid(`rows[${i}].${spec.event}`, `is ${e}; an event column holds 0 or 1`);
      event.push(e);
    }
  });
  return spec.event === undefined ? { X, y, names, dropped } : { X, y, event, names, dropped };
}

function planTerms(spec: DesignSpec): {
  terms: Term[];
  used: string[];
  categorical: Map<string, readonly string[]>;
} {
  if (spec === null || typeof spec !== 'object') throw invalid('spec', 'is not an object');
  if (typeof spec.outcome !== 'string' || spec.outcome === '') throw invalid('spec.outcome', 'is not a column name');
  if (spec.event !== undefined && (typeof spec.event !== 'string' || spec.event === '')) {
    throw invalid('spec.event', 'is not a column name');
  }
  if (!Array.isArray(spec.covariates)) throw invalid('spec.covariates', 'is not a list');
  const declared = spec.categorical ?? {};
  const terms: Term[] = spec.intercept === false ? [] : [{ kind: 'intercept' }];
  const used = [spec.outcome, ...(spec.event === undefined ? [] : [spec.event])];
  if (used.length === 2 && used[0] === used[1]) throw invalid('spec.event', `is the outcome column ${spec.outcome}`);
  const categorical = new Map<string, readonly string[]>();
  spec.covariates.forEach((c, i) => {
    const path = `spec.covariates[${i}]`;
    const column = typeof c === 'string' ? c : c?.column;
    if (typeof column !== 'string' || column === '') throw invalid(path, 'is not a column name or { column }');
    if (used.includes(column)) throw invalid(path, `names ${column}, which the design already uses`);
    used.push(column);
    const levels = Object.hasOwn(declared, column) ? declared[column] : undefined;
    if (levels !== undefined) {
      if (typeof c !== 'string') throw invalid(path, `is categorical (${column}); center and scale do not apply`);
      const checked = checkLevels(column, levels);
      categorical.set(column, checked);
      for (const level of checked) if (level !== levels.reference) terms.push({ kind: 'level', column, level });
      return;
    }
    const center = typeof c === 'string' ? 0 : (c.center ?? 0);
    const scale = typeof c === 'string' ? 1 : (c.scale ?? 1);
    if (!Number.isFinite(center)) throw invalid(`${path}.center`, `is ${String(center)}, not a finite number`);
    if (!Number.isFinite(scale) || scale === 0) {
      throw invalid(`${path}.scale`, `is ${String(scale)}, not a finite non-zero number`);
    }
    terms.push({ kind: 'numeric', column, center, scale });
  });
  for (const column of Object.keys(declared)) {
    if (!categorical.has(column)) throw invalid(`spec.categorical.${column}`, 'is not one of the covariates');
  }
  if (terms.length === 0) throw invalid('spec.covariates', 'give no column and the intercept is off');
  if (terms.length > DESIGN_COLUMNS_MAX) {
    throw invalid('spec.covariates', `make ${terms.length} columns; at most ${DESIGN_COLUMNS_MAX}`);
  }
  return { terms, used, categorical };
}

function checkLevels(column: string, spec: CategoricalLevels): readonly string[] {
  const path = `spec.categorical.${column}`;
  if (spec === null || typeof spec !== 'object' || !Array.isArray(spec.levels)) {
    throw invalid(`${path}.levels`, 'is not a list of level strings');
  }
  const { levels, reference } = spec;
  if (levels.length < 2 || levels.length > CATEGORICAL_LEVELS_MAX) {
    throw invalid(`${path}.levels`, `has ${levels.length} level(s); give 2 to ${CATEGORICAL_LEVELS_MAX}`);
  }
  levels.forEach((level, i) => {
    if (typeof level !== 'string' || level === '') throw invalid(`${path}.levels[${i}]`, 'is not a non-empty string');
    if (levels.indexOf(level) !== i)
      throw invalid(`${path}.levels[${i}]`, `repeats the level ${JSON.stringify(level)}`);
  });
  if (typeof reference !== 'string' || !levels.includes(reference)) {
    throw invalid(`${path}.reference`, `is ${JSON.stringify(reference)}, not one of the levels`);
  }
  return levels;
}

function termName(t: Term): string {
  switch (t.kind) {
    case 'intercept':
      return INTERCEPT;
    case 'numeric':
      return t.column;
    case 'level':
      return `${t.column}=${t.level}`;
  }
}

function termValue(t: Term, row: Readonly<Record<string, unknown>>, i: number): number {
  switch (t.kind) {
    case 'intercept':
      return 1;
    case 'numeric':
      return (numberAt(row, t.column, i) - t.center) / t.scale;
    case 'level':
      return row[t.column] === t.level ? 1 : 0;
  }
}

/** A row's value as a finite number: numbers, safe bigints, booleans (1/0). */
function numberAt(row: Readonly<Record<string, unknown>>, column: string, i: number): number {
  const value = row[column];
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (
    typeof value === 'bigint' &&
    value >= BigInt(Number.MIN_SAFE_INTEGER) &&
    value <= BigInt(Number.MAX_SAFE_INTEGER)
  ) {
    return Number(value);
  }
  if (typeof value === 'boolean') return value ? 1 : 0;
  throw invalid(`rows[${i}].${column}`, `is ${kindOf(value)}, not a finite number`);
}

/** What a value is, without showing it (it is patient data). */
function kindOf(value: unknown): string {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    return Number.isFinite(value) ? 'a number' : 'an infinite number';
  }
  if (typeof value === 'bigint') return 'a bigint beyond the safe-integer range';
  if (typeof value === 'string') return 'a string';
  if (value instanceof Date) return 'a date';
  return `a ${typeof value}`;
}

function invalid(field: string, message: string): MeridianError {
  return new MeridianError('MER_DATASET_DESIGN_INVALID', `Invalid design: ${field} ${message}`, { field });
}
