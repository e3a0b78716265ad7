/**
 * The node's hub task for the catalog and the dashboard (`catalog.aggregates`): the hub asks every node
 * periodically and keeps the answers in memory, so portal reads never wait for a node.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { TaskHandler } from '../node/hub-channel.ts';
import type { IngestService } from '../pipeline/service.ts';
import type { Lake } from '../store/index.ts';
import { nodeAggregates } from './aggregates.ts';

/** The task kind the hub sends. */
export const CATALOG_AGGREGATES_TASK = 'catalog.aggregates';

/** The hub's consortium minimum cell (decision 0011): the node applies the larger of it and its own. */
const PayloadSchema = z.strictObject({ minCellFloor: z.int().min(1).max(1_000).optional() });

/** Task handlers of the catalog: `catalog.aggregates` answers the node's aggregates (aggregates.ts). */
export function catalogTaskHandlers(deps: {
  lake: Lake;
  ingest: Pick<IngestService, 'loads'>;
  dataDir: string;
  minCell: number;
  now?: () => Date;
}): Record<string, TaskHandler> {
  return {
    [CATALOG_AGGREGATES_TASK]: async (payload) => {
      const { minCellFloor = 1 } = PayloadSchema.parse(payload ?? {});
      return nodeAggregates({
        lake: deps.lake,
        loads: (limit) => deps.ingest.loads(limit),
        odsDir: join(deps.dataDir, 'ods'),
        minCell: Math.max(deps.minCell, minCellFloor),
        now: deps.now ?? (() => new Date()),
      });
    },
  };
}
