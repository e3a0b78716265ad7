/**
 * The `count` analysis on a node: the cohort's size at this hospital, compiled from the condition tree to one
 * DuckDB query over DWD, released under the consortium's minimum cell size (a count under it leaves the node
 * only as `{ suppressed: true }`). Codes the node's data never uses are reported by name so a researcher sees
 * why a criterion matched nobody; a code's absence is not disclosive, a small count is.
 */

import { z } from 'zod';
import type { Lake } from '../../store/index.ts';
import { compileCohortCount, parseCohort, unknownCohortCodes } from '../cohort/index.ts';
import { type ReleasedCount, suppressCounts } from '../disclosure/cell-suppression.ts';
import type { AnalysisRunner } from '../node.ts';

/** Zod schema of what a node answers to a `count` task (the hub parses every answer with it). */
export const CountResultSchema = z.strictObject({
  count: z.union([z.number().int().nonnegative(), z.strictObject({ suppressed: z.literal(true) })]),
  minCell: z.number().int().min(1),
  /** Codes of the definition that no consortium vocabulary knows (a typo, most often). */
  unknownCodes: z.array(z.string().max(80)).max(1_000),
});

/** What a node answers to a `count` task. */
export type CountResult = z.infer<typeof CountResultSchema>;

/** The `count` runner over this node's lake, with the consortium's minimum cell size. */
export function countRunner(deps: { lake: Pick<Lake, 'query' | 'tables'>; minCell: number }): AnalysisRunner {
  return async ({ task }): Promise<CountResult> => {
    const def = parseCohort(task.cohort);
    const { sql, params } = compileCohortCount(def, { present: new Set(await deps.lake.tables()) });
    const [row] = await deps.lake.query<{ n: bigint | number }>(sql, params);
    const n = Number(row?.n ?? 0);
    const released = suppressCounts([n], { minCell: deps.minCell });
    return {
      count: released.counts[0] as ReleasedCount,
      minCell: deps.minCell,
      unknownCodes: unknownCohortCodes(def).map((c) => `${c.vocabulary}:${c.code}`),
    };
  };
}
