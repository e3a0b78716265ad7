/**
 * Minimum cell size for every count a node releases: count vectors (histograms, counts by category) with
 * their total, two-way tables with row, column and grand totals, and Kaplan–Meier risk tables. Counts below
 * the minimum are withheld and marked `{ suppressed: true }` (primary suppression); more counts are withheld
 * (secondary suppression) so that no withheld count can be recomputed from the released ones, and so that
 * the withheld part of any released total is itself at least the minimum. The rule and its proof sketch are
 * in README.md; `planSuppression` does the work.
 */
import { MeridianError } from '../../errors/registry.ts';
import { planSuppression, type SumRelation } from './suppression-plan.ts';

/** Default minimum cell size (OHDSI and vantage6 use 5; DataSHIELD 3). */
export const MIN_CELL_DEFAULT = 5;

/** Largest minimum cell size accepted. */
export const MIN_CELL_MAX = 1_000;

/** Most counts (cells and totals together) one suppression call takes. */
export const SUPPRESSION_COUNTS_MAX = 20_000;

/** A released count: its true value, or the mark that it was withheld. */
export type ReleasedCount = number | { readonly suppressed: true };

/** Options of the suppression functions. */
export interface SuppressionOptions {
  /** Counts below this are withheld (default 5). */
  readonly minCell?: number;
}

/** A count vector as released: each count and their total. */
export interface ReleasedCounts {
  readonly counts: ReleasedCount[];
  readonly total: ReleasedCount;
}

/** A two-way table as released: cells, row totals, column totals and the grand total. */
export interface ReleasedTable {
  readonly cells: ReleasedCount[][];
  readonly rowTotals: ReleasedCount[];
  readonly columnTotals: ReleasedCount[];
  readonly total: ReleasedCount;
}

/** One row of a Kaplan–Meier risk table: at risk at `time`, events and censorings until the next row's time. */
export interface RiskTableRow {
  readonly time: number;
  readonly atRisk: number;
  readonly events: number;
  readonly censored: number;
}

/** A risk table row as released. */
export interface ReleasedRiskTableRow {
  readonly time: number;
  readonly atRisk: ReleasedCount;
  readonly events: ReleasedCount;
  readonly censored: ReleasedCount;
}

const SUPPRESSED: { readonly suppressed: true } = Object.freeze({ suppressed: true });

/** True when a released count was withheld. */
export function isSuppressed(count: ReleasedCount): count is { readonly suppressed: true } {
  return typeof count === 'object';
}

/** The minimum cell size of the options, validated. */
export function minCellOf(options: SuppressionOptions | undefined): number {
  const minCell = options?.minCell ?? MIN_CELL_DEFAULT;
  if (!Number.isInteger(minCell) || minCell < 1 || minCell > MIN_CELL_MAX) {
    throw new MeridianError(
      'MER_DISCLOSURE_INVALID_OPTION',
      `minCell must be a whole number from 1 to ${MIN_CELL_MAX}, not ${minCell}`,
      { field: 'minCell', value: minCell },
    );
  }
  return minCell;
}

function badInput(field: string, value: unknown, rule: string): never {
  throw new MeridianError('MER_DISCLOSURE_INVALID_INPUT', `${field} ${rule}, not ${String(value)}`, { field, value });
}

function checkCount(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) badInput(field, value, 'must be a whole number ≥ 0');
  return value;
}

function checkSize(what: string, counts: number): void {
  if (counts > SUPPRESSION_COUNTS_MAX) badInput(what, counts, `must hold at most ${SUPPRESSION_COUNTS_MAX} counts`);
}

function release(values: readonly number[], suppressed: readonly boolean[], index: number): ReleasedCount {
  return suppressed[index] ? SUPPRESSED : (values[index] as number);
}

/** Applies minimum cell size with secondary suppression to a count vector released with its total. */
export function suppressCounts(counts: readonly number[], options?: SuppressionOptions): ReleasedCounts {
  const minCell = minCellOf(options);
  checkSize('counts.length', counts.length + 1);
  const values = counts.map((c, i) => checkCount(`counts[${i}]`, c));
  const total = values.reduce((s, v) => s + v, 0);
  if (!Number.isSafeInteger(total)) badInput('sum of counts', total, 'must be a safe integer');
  values.push(total);
  const parts = counts.map((_, i) => i);
  const suppressed = planSuppression(values, [{ total: counts.length, parts }], minCell);
  return {
    counts: parts.map((i) => release(values, suppressed, i)),
    total: release(values, suppressed, counts.length),
  };
}

/** Applies minimum cell size with secondary suppression to a two-way table released with all its margins. */
export function suppressTable(cells: readonly (readonly number[])[], options?: SuppressionOptions): ReleasedTable {
  const minCell = minCellOf(options);
  const rows = cells.length;
  const columns = cells[0]?.length ?? 0;
  if (rows === 0 || columns === 0) badInput('table', `${rows}×${columns}`, 'must have at least one row and one column');
  checkSize('table size', (rows + 1) * (columns + 1));
  // Layout of `values`: cells row-major, then row totals, then column totals, then the grand total.
  const values: number[] = [];
  cells.forEach((row, i) => {
    if (row.length !== columns) badInput(`table[${i}].length`, row.length, `must equal the first row's ${columns}`);
    for (const [j, c] of row.entries()) values.push(checkCount(`table[${i}][${j}]`, c));
  });
  const cell = (i: number, j: number) => i * columns + j;
  const rowTotal = (i: number) => rows * columns + i;
  const columnTotal = (j: number) => rows * columns + rows + j;
  const grand = rows * columns + rows + columns;
  for (let i = 0; i < rows; i++) values.push(cells[i]?.reduce((s, v) => s + v, 0) as number);
  for (let j = 0; j < columns; j++) values.push(cells.reduce((s, row) => s + (row[j] as number), 0));
  values.push(values.slice(0, rows * columns).reduce((s, v) => s + v, 0));
  if (!Number.isSafeInteger(values[grand])) badInput('table total', values[grand], 'must be a safe integer');
  const range = (n: number) => Array.from({ length: n }, (_, k) => k);
  const relations: SumRelation[] = [
    ...range(rows).map((i) => ({ total: rowTotal(i), parts: range(columns).map((j) => cell(i, j)) })),
    ...range(columns).map((j) => ({ total: columnTotal(j), parts: range(rows).map((i) => cell(i, j)) })),
    { total: grand, parts: range(columns).map(columnTotal) },
    { total: grand, parts: range(rows).map(rowTotal) },
  ];
  const suppressed = planSuppression(values, relations, minCell);
  return {
    cells: range(rows).map((i) => range(columns).map((j) => release(values, suppressed, cell(i, j)))),
    rowTotals: range(rows).map((i) => release(values, suppressed, rowTotal(i))),
    columnTotals: range(columns).map((j) => release(values, suppressed, columnTotal(j))),
    total: release(values, suppressed, grand),
  };
}

/**
 * Applies minimum cell size with secondary suppression to a Kaplan–Meier risk table. The table must be
 * complete: each row's at-risk count is the previous one's minus its events and censorings, and the last
 * row's events and censorings use up its at-risk count (everyone leaves the table).
 */
export function suppressRiskTable(rows: readonly RiskTableRow[], options?: SuppressionOptions): ReleasedRiskTableRow[] {
  const minCell = minCellOf(options);
  if (rows.length === 0) badInput('riskTable.length', 0, 'must be at least 1');
  checkSize('riskTable counts', rows.length * 3);
  // Layout: row k holds atRisk at 3k, events at 3k+1, censored at 3k+2.
  const values: number[] = [];
  rows.forEach((r, k) => {
    if (!Number.isFinite(r.time) || (k > 0 && r.time <= (rows[k - 1] as RiskTableRow).time)) {
      badInput(`riskTable[${k}].time`, r.time, 'must be finite and later than the previous row');
    }
    values.push(
      checkCount(`riskTable[${k}].atRisk`, r.atRisk),
      checkCount(`riskTable[${k}].events`, r.events),
      checkCount(`riskTable[${k}].censored`, r.censored),
    );
    const next = rows[k + 1]?.atRisk ?? 0;
    if (r.atRisk - r.events - r.censored !== next) {
      badInput(
        k + 1 < rows.length ? `riskTable[${k + 1}].atRisk` : `riskTable[${k}].events + censored`,
        k + 1 < rows.length ? next : r.events + r.censored,
        `must match riskTable[${k}]: atRisk ${r.atRisk} − events ${r.events} − censored ${r.censored}`,
      );
    }
  });
  const relations: SumRelation[] = rows.map((_, k) => ({
    total: 3 * k,
    parts: k + 1 < rows.length ? [3 * k + 1, 3 * k + 2, 3 * (k + 1)] : [3 * k + 1, 3 * k + 2],
  }));
  const suppressed = planSuppression(values, relations, minCell);
  return rows.map((r, k) => ({
    time: r.time,
    atRisk: release(values, suppressed, 3 * k),
    events: release(values, suppressed, 3 * k + 1),
    censored: release(values, suppressed, 3 * k + 2),
  }));
}
