/**
 * A federated count's answer from its hospitals' lines, pure: each round outcome becomes one line (a released
 * count, or missing with the reason), and the totals follow from the lines. A re-run replaces the lines of the
 * hospitals it asked again and sums anew, so a first run and a re-run answer through the same code.
 *
 *   outcomes ──countLines──► lines ──(re-run: mergeCountLines)──► lines ──countTotals──► total, missing, partial …
 */
import { CountResultSchema } from '../../federation/analyses/count.ts';
import type { NodeOutcome } from './rounds.ts';
import type { HospitalCount } from './service.ts';

/** The hospital lines of a count and what every answer adds: the largest minimum cell, the unknown codes. */
export interface CountLines {
  readonly byHospital: readonly HospitalCount[];
  readonly minCell: number | null;
  readonly unknownCodes: readonly string[];
}

/** A count's totals as the researcher sees them, derived from its lines. */
export interface CountTotals extends CountLines {
  /** Sum of the released counts: a lower bound when a hospital's count was suppressed or missing. */
  readonly total: number;
  readonly suppressed: readonly string[];
  readonly missing: readonly string[];
  readonly partial: boolean;
  /** Hospitals whose obfuscated count was "at most" the floor; like suppressed ones they add nothing to `total`. */
  readonly atMost: readonly string[];
  /** Some released count carries noise (obfuscation or DP), so `total` estimates rather than bounds. */
  readonly noisy: boolean;
}

/**
 * One line per round outcome, in the round's order; an answer of the wrong shape, or released under a smaller
 * minimum cell than the task's consortium floor, counts as missing.
 */
export function countLines(outcomes: readonly NodeOutcome[], minCellFloor?: number): CountLines {
  const byHospital: HospitalCount[] = [];
  const unknown = new Set<string>();
  let minCell: number | null = null;
  for (const o of outcomes) {
    if (o.status === 'missing') {
      byHospital.push({ hospital: o.node, status: 'missing', code: o.code, message: o.message });
      continue;
    }
    const parsed = CountResultSchema.safeParse(o.result);
    if (!parsed.success) {
      const message = `hospital node ${o.node} answered the count with an unexpected shape; it is not used`;
      byHospital.push({ hospital: o.node, status: 'missing', code: 'MER_FED_BAD_ANSWER', message });
      continue;
    }
    if (minCellFloor !== undefined && parsed.data.minCell < minCellFloor) {
      const message = `hospital node ${o.node} released its count under a minimum cell of ${parsed.data.minCell}, below the consortium's ${minCellFloor}; it is not used`;
      byHospital.push({ hospital: o.node, status: 'missing', code: 'MER_FED_BAD_ANSWER', message });
      continue;
    }
    const { count, disclosure } = parsed.data;
    byHospital.push({ hospital: o.node, status: 'answered', count, disclosure });
    minCell = Math.max(minCell ?? 0, parsed.data.minCell);
    for (const c of parsed.data.unknownCodes) unknown.add(c);
  }
  return { byHospital, minCell, unknownCodes: [...unknown].sort() };
}

/** The earlier lines with each hospital asked again replaced by its new line (order kept); the rest unchanged. */
export function mergeCountLines(earlier: CountLines, again: CountLines): CountLines {
  const next = new Map(again.byHospital.map((l) => [l.hospital, l]));
  const minCells = [earlier.minCell, again.minCell].filter((m): m is number => m !== null);
  return {
    byHospital: earlier.byHospital.map((l) => next.get(l.hospital) ?? l),
    minCell: minCells.length === 0 ? null : Math.max(...minCells),
    unknownCodes: [...new Set([...earlier.unknownCodes, ...again.unknownCodes])].sort(),
  };
}

/** Total, suppressed, missing and partial of a count's lines. */
export function countTotals(lines: CountLines): CountTotals {
  let total = 0;
  const suppressed: string[] = [];
  const missing: string[] = [];
  const atMost: string[] = [];
  let noisy = false;
  for (const l of lines.byHospital) {
    if (l.status === 'missing') {
      missing.push(l.hospital);
      continue;
    }
    noisy ||= l.disclosure !== 'suppression';
    if (typeof l.count === 'number') total += l.count;
    else if ('atMost' in l.count) atMost.push(l.hospital);
    else suppressed.push(l.hospital);
  }
  return { ...lines, total, suppressed, missing, partial: missing.length > 0, atMost, noisy };
}
