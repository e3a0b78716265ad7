/**
 * A hospital's decisions on data-use requests: the hub relays its steward's decision (`requests.decide`), and the
 * node signs `request.decide` with the hospital's own institution key, the steward as the signed body's user, and
 * commits it on the consortium ledger. The hub cannot decide for a hospital: only this key can. Every decision,
 * committed or refused, is written to the node's audit log with the comment (the ledger holds its hash).
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { MeridianError } from '../errors/registry.ts';
import { commitContractTx, LedgerRefusal } from '../federation/ledger-authority.ts';
import { NodeDecisionSchema, REQUEST_DECIDE_TASK } from '../federation/request-decision.ts';
import { contractHash, signContractTx } from '../ledger/contracts/index.ts';
import type { LedgerClient } from '../ledger/host/index.ts';
import type { PrivateKeyInput } from '../ledger/signing.ts';
import type { TaskHandler } from './hub-channel.ts';
import type { NodeDatabase } from './schema.ts';

/** The `requests.decide` handler of a node with a ledger. */
export function requestDecisionHandlers(opts: {
  node: string;
  chainId: string;
  signingKey: PrivateKeyInput;
  client: Pick<LedgerClient, 'commit' | 'get'>;
  validators: readonly string[];
  db: Kysely<NodeDatabase>;
  now?: () => Date;
}): Record<string, TaskHandler> {
  const now = opts.now ?? (() => new Date());
  return {
    [REQUEST_DECIDE_TASK]: async (payload) => {
      const d = NodeDecisionSchema.parse(payload);
      const at = now();
      const audit = (outcome: 'ok' | 'refused', detail: Record<string, unknown>) =>
        opts.db
          .insertInto('node_audit')
          .values({
            id: randomUUID(),
            at,
            actor: d.user.id,
            action: `request.${d.decision}`,
            target: d.requestId,
            outcome,
            detail: JSON.stringify({ comment: d.comment, ...detail }),
          })
          .execute();
      const tx = signContractTx({
        chainId: opts.chainId,
        kind: 'request.decide',
        institution: opts.node,
        user: d.user,
        payload: { requestId: d.requestId, decision: d.decision, commentHash: contractHash('comment', d.comment) },
        timeMs: at.getTime(),
        privateKey: opts.signingKey,
      });
      try {
        const { txHash, height } = await commitContractTx(
          opts.client,
          opts.validators,
          tx,
          `${opts.node}'s decision on ${d.requestId}`,
        );
        await audit('ok', { txHash, height });
        return { txHash, height };
      } catch (e) {
        if (!(e instanceof LedgerRefusal)) throw e;
        await audit('refused', { ledgerCode: e.ledgerCode });
        throw new MeridianError('MER_REQUEST_REFUSED', `the ledger refused ${opts.node}'s decision: ${e.message}`, {
          requestId: d.requestId,
          ledgerCode: e.ledgerCode,
        });
      }
    },
  };
}
