/**
 * The code dictionary of one analysis-layer generation: per code column, every distinct code in DuckDB's order
 * (byte order), its position being its integer id. Because the order is byte order, the codes under a prefix are
 * one run of ids, so a descendants test becomes `id between a and b`, which the table's min/max per row group
 * (zonemaps; event tables are sorted by code) turns into skipping every other row group. Correctness needs only
 * that ids are positions: in another order the same codes would come out as more runs. Pure.
 */
import type { CodeColumn } from '../cohort/index.ts';

/** An inclusive run of ids. */
export interface IdRange {
  from: number;
  to: number;
}

/** Distinct codes of each code column, ids = positions, ascending in DuckDB's (byte) order. */
export type CodeDictionary = Readonly<Partial<Record<CodeColumn, readonly string[]>>>;

/**
 * The ids of the codes equal to one of `codes`, or (descendants) starting with one, as ascending runs; empty when the
 * generation holds none of them.
 *
 * @example
 * idRanges({ condition_code: ['C34.900', 'E11.200', 'E11.900', 'I10.x00'] }, 'condition_code', ['E11'], true)
 * // → [{ from: 1, to: 2 }]
 */
export function idRanges(
  dictionary: CodeDictionary,
  column: CodeColumn,
  codes: readonly string[],
  descendants: boolean,
): IdRange[] {
  const known = dictionary[column] ?? [];
  const wanted = new Set(codes);
  const matches = (code: string) => (descendants ? codes.some((c) => code.startsWith(c)) : wanted.has(code));
  const ranges: IdRange[] = [];
  for (let id = 0; id < known.length; id++) {
    if (!matches(known[id] as string)) continue;
    const last = ranges.at(-1);
    if (last !== undefined && last.to === id - 1) last.to = id;
    else ranges.push({ from: id, to: id });
  }
  return ranges;
}
