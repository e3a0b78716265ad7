/**
 * The `count` analysis on a node: the cohort's size at this hospital, compiled from the condition tree to one
 * DuckDB query over DWD, released under the consortium's minimum cell size (a count under it leaves the node
 * only as `{ suppressed: true }`). Codes the node's data never uses are reported by name so a researcher sees
 * why a criterion matched nobody; a code's absence is not disclosive, a small count is.
 *
 * With the node's analysis layer (src/federation/ads) the query runs over its tables, built from exactly the DWD
 * files present when the task starts (the layer rebuilds first if a load changed them); without it, over the DWD
 * views. Both give the same count (test/federation/ads: random cohorts against the reference evaluator).
 */

import { z } from 'zod';
import type { Lake } from '../../store/index.ts';
import type { AnalysisLayer } from '../ads/index.ts';
import { type CohortDefinition, compileCohortCount, parseCohort, unknownCohortCodes } from '../cohort/index.ts';
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

/** Where the runner counts: the analysis layer (fast) or the lake's DWD views. */
export type CountSource = { analysisLayer: Pick<AnalysisLayer, 'read'> } | { lake: Pick<Lake, 'query' | 'tables'> };

/** The `count` runner over this node's data, with the consortium's minimum cell size. */
export function countRunner(deps: CountSource & { minCell: number }): AnalysisRunner {
  return async ({ task }): Promise<CountResult> => {
    const def = parseCohort(task.cohort);
    const n =
      'analysisLayer' in deps ? await countOverLayer(deps.analysisLayer, def) : await countOverDwd(deps.lake, def);
    const released = suppressCounts([n], { minCell: deps.minCell });
    return {
      count: released.counts[0] as ReleasedCount,
      minCell: deps.minCell,
      unknownCodes: unknownCohortCodes(def).map((c) => `${c.vocabulary}:${c.code}`),
    };
  };
}

async function countOverLayer(layer: Pick<AnalysisLayer, 'read'>, def: CohortDefinition): Promise<number> {
  return layer.read(async (snapshot) => {
    const { sql, params } = compileCohortCount(def, { source: snapshot.source });
    const [row] = await snapshot.query<{ n: bigint | number }>(sql, params);
    return Number(row?.n ?? 0);
  });
}

async function countOverDwd(lake: Pick<Lake, 'query' | 'tables'>, def: CohortDefinition): Promise<number> {
  const { sql, params } = compileCohortCount(def, { present: new Set(await lake.tables()) });
  const [row] = await lake.query<{ n: bigint | number }>(sql, params);
  return Number(row?.n ?? 0);
}
