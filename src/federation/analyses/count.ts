/**
 * The `count` analysis on a node: the cohort's size at this hospital, compiled from the condition tree to one
 * DuckDB query over DWD, released under the consortium's disclosure rule before it leaves the node:
 *  - `suppress` (default): the exact count, or `{ suppressed: true }` under the minimum cell size;
 *  - `obfuscate` (SHRINE): clamped Gaussian noise, rounded to 5, `{ atMost: 10 }` for 10 or fewer (the floor
 *    is raised to the minimum cell when that is larger);
 *  - a task asking for differential privacy (its ledger charge checked in `admitTask`): discrete Laplace or
 *    Gaussian noise of sensitivity 1 from the secure random source, then the minimum cell applied to the noisy
 *    value (post-processing, so the DP guarantee is kept, and no small number leaves the node).
 * Every answer says which rule produced it (`disclosure`). Codes the node's data never uses are reported by name
 * so a researcher sees why a criterion matched nobody; a code's absence is not disclosive, a small count is.
 *
 * With the node's analysis layer (src/federation/ads) the query runs over its tables, built from exactly the DWD
 * files present when the task starts (the layer rebuilds first if a load changed them); without it, over the DWD
 * views. Both give the same count (test/federation/ads: random cohorts against the reference evaluator).
 */

import { z } from 'zod';
import type { Lake } from '../../store/index.ts';
import type { AnalysisLayer } from '../ads/index.ts';
import { type CohortDefinition, compileCohortCount, parseCohort, unknownCohortCodes } from '../cohort/index.ts';
import { suppressCounts } from '../disclosure/cell-suppression.ts';
import { dpCount } from '../disclosure/dp-mechanisms.ts';
import { OBFUSCATION_FLOOR_DEFAULT, type ObfuscationOptions, obfuscateCount } from '../disclosure/obfuscation.ts';
import { cryptoRandomBytes, type RandomBytes } from '../disclosure/random-source.ts';
import { type DpTaskParameters, dpMechanismOf, dpOfTask } from '../dp-task.ts';
import type { AnalysisRunner } from '../node.ts';

/** How a node releases counts (node config `federation.countRelease`): minimum-cell suppression or SHRINE obfuscation. */
export const COUNT_RELEASE_MODES = ['suppress', 'obfuscate'] as const;

/** One of {@link COUNT_RELEASE_MODES}. */
export type CountReleaseMode = (typeof COUNT_RELEASE_MODES)[number];

/** Which rule produced a released count: exact under suppression, SHRINE obfuscation, or DP noise. */
export const COUNT_DISCLOSURES = ['suppression', 'obfuscation', 'dp'] as const;

/** Zod schema of one released count: exact or noisy number, suppressed, or "at most" the obfuscation floor. */
export const ReleasedCountValueSchema = z.union([
  z.number().int().nonnegative(),
  z.strictObject({ suppressed: z.literal(true) }),
  z.strictObject({ atMost: z.number().int().nonnegative() }),
]);

/** One released count. */
export type ReleasedCountValue = z.infer<typeof ReleasedCountValueSchema>;

/** Zod schema of what a node answers to a `count` task (the hub parses every answer with it). */
export const CountResultSchema = z.strictObject({
  count: ReleasedCountValueSchema,
  /** The rule the count was released under; only `suppression` gives an exact number. */
  disclosure: z.enum(COUNT_DISCLOSURES),
  minCell: z.number().int().min(1),
  /** Codes of the definition that no consortium vocabulary knows (a typo, most often). */
  unknownCodes: z.array(z.string().max(80)).max(1_000),
});

/** What a node answers to a `count` task. */
export type CountResult = z.infer<typeof CountResultSchema>;

/** Where the runner counts: the analysis layer (fast) or the lake's DWD views. */
export type CountSource = { analysisLayer: Pick<AnalysisLayer, 'read'> } | { lake: Pick<Lake, 'query' | 'tables'> };

/** How counts leave the node: the mode, SHRINE's parameters, and the random source (the OS CSPRNG by default). */
export interface CountReleaseOptions {
  readonly mode?: CountReleaseMode;
  readonly obfuscation?: ObfuscationOptions;
  readonly random?: RandomBytes;
}

/**
 * Releases one exact count under the node's rule, or under DP when the task asks for it; pure but for the
 * injected random source. The caller has checked the DP charge on the ledger.
 */
export function releaseCount(
  n: number,
  opts: { minCell: number; mode: CountReleaseMode; dp?: DpTaskParameters; obfuscation?: ObfuscationOptions },
  random: RandomBytes,
): Pick<CountResult, 'count' | 'disclosure'> {
  if (opts.dp !== undefined) {
    const noisy = dpCount(n, dpMechanismOf(opts.dp), random).value;
    return { count: noisy < opts.minCell ? { suppressed: true } : noisy, disclosure: 'dp' };
  }
  if (opts.mode === 'obfuscate') {
    // The floor ("≤ 10") is never below the minimum cell, so no printed count is under it in this mode either.
    const floor = opts.obfuscation?.floor ?? Math.max(OBFUSCATION_FLOOR_DEFAULT, opts.minCell);
    return { count: obfuscateCount(n, random, { ...opts.obfuscation, floor }), disclosure: 'obfuscation' };
  }
  const released = suppressCounts([n], { minCell: opts.minCell }).counts[0];
  return { count: released ?? { suppressed: true }, disclosure: 'suppression' };
}

/** The `count` runner over this node's data, with the consortium's minimum cell size and release rule. */
export function countRunner(deps: CountSource & { minCell: number; release?: CountReleaseOptions }): AnalysisRunner {
  const random = deps.release?.random ?? cryptoRandomBytes;
  const mode = deps.release?.mode ?? 'suppress';
  return async ({ task }): Promise<CountResult> => {
    const def = parseCohort(task.cohort);
    const dp = dpOfTask(task);
    const n =
      'analysisLayer' in deps ? await countOverLayer(deps.analysisLayer, def) : await countOverDwd(deps.lake, def);
    const options = {
      minCell: deps.minCell,
      mode,
      ...(dp === undefined ? {} : { dp }),
      ...(deps.release?.obfuscation === undefined ? {} : { obfuscation: deps.release.obfuscation }),
    };
    return {
      ...releaseCount(n, options, random),
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
