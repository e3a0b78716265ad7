/**
 * Pure helpers of the feasibility count: one row per hospital from the federation's count answer (exact,
 * noisy, suppressed under the minimum cell, "at most" under obfuscation, or missing with its reason), and the
 * bar values a chart draws for them. Suppressed counts are never shown as a number: the bar reaches the
 * minimum cell in grey and is labelled "< min cell".
 */
import type { CountAnswer } from '../api-types.ts';

/** How one hospital's count was released. */
export type CountRowKind = 'exact' | 'noisy' | 'atMost' | 'suppressed' | 'missing';

/** One hospital's count as the page shows it. */
export interface CountRow {
  hospital: string;
  kind: CountRowKind;
  /** The released number (exact, noisy, or the "at most" bound); null when suppressed or missing. */
  value: number | null;
  /** Why the hospital is missing (its error code and message). */
  reason?: { code: string; message: string };
}

/** One row per hospital, in the answer's order. */
export function countRows(answer: CountAnswer): CountRow[] {
  return answer.byHospital.map((h): CountRow => {
    if (h.status === 'missing') {
      return { hospital: h.hospital, kind: 'missing', value: null, reason: { code: h.code, message: h.message } };
    }
    const c = h.count;
    if (typeof c === 'number')
      return { hospital: h.hospital, kind: h.disclosure === 'dp' ? 'noisy' : 'exact', value: c };
    if ('atMost' in c) return { hospital: h.hospital, kind: 'atMost', value: c.atMost };
    return { hospital: h.hospital, kind: 'suppressed', value: null };
  });
}

/** The height of each hospital's bar: its number, the minimum cell for a suppressed count, 0 when missing. */
export function countBarValue(row: CountRow, minCell: number | null): number {
  if (row.kind === 'suppressed') return minCell ?? 0;
  return row.value ?? 0;
}

/** The counts as CSV rows (header first): hospital, status, count, reason code. */
export function countCsvRows(answer: CountAnswer): (string | number)[][] {
  const rows: (string | number)[][] = [['hospital', 'status', 'count', 'reason']];
  for (const r of countRows(answer)) {
    const count =
      r.kind === 'suppressed' ? `<${answer.minCell ?? ''}` : r.kind === 'atMost' ? `<=${r.value}` : (r.value ?? '');
    rows.push([r.hospital, r.kind, count, r.reason?.code ?? '']);
  }
  rows.push(['total', answer.partial ? 'partial' : 'complete', answer.total, '']);
  return rows;
}
