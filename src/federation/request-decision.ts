/**
 * The node task through which the hub relays a hospital steward's decision on a data-use request to that
 * hospital's node, which signs it with the hospital's key (src/node/request-decisions.ts); the hub's side is
 * src/hub/projects/ledger.ts.
 */
import { z } from 'zod';

/** The node task through which a hospital's steward decides on a request (the node signs it). */
export const REQUEST_DECIDE_TASK = 'requests.decide';

/** A steward's decision as the hub sends it to the hospital's node. */
export const NodeDecisionSchema = z.strictObject({
  requestId: z.string().min(1).max(128),
  decision: z.enum(['approve', 'refuse']),
  comment: z.string().max(4_000),
  user: z.strictObject({ id: z.string().min(1).max(128), role: z.literal('steward') }),
});

/** A steward's decision as the hub sends it to the hospital's node. */
export type NodeDecision = z.infer<typeof NodeDecisionSchema>;

/** What a node answers once the ledger committed its decision. */
export const NodeDecisionAnswerSchema = z.object({ txHash: z.string(), height: z.number() });
