/**
 * The research workflow on the consortium ledger. The hub submits a researcher's data-use request and the ethics
 * committee's decisions as its own institution (the user inside the signed body); a hospital decides as itself:
 * the hub hands its steward's decision to that hospital's node (`requests.decide`), which signs it with the
 * hospital's key. Request state is read back from the validators, never from the hub's tables. Project documents
 * are notarized as one-entry batches, so their hash is on the ledger with a receipt.
 *
 *   researcher ─► hub ─ request.submit (hub, user researcher) ─────────────► validators
 *   ethics     ─► hub ─ request.decide (hub, user ethics) ─────────────────► validators
 *   steward A  ─► hub ─ task requests.decide ─► node A ─ request.decide (A) ─► validators
 */
import { z } from 'zod';
import { MeridianError } from '../../errors/registry.ts';
import { commitContractTx, LedgerRefusal } from '../../federation/ledger-authority.ts';
import { type NodeDecision, NodeDecisionAnswerSchema, REQUEST_DECIDE_TASK } from '../../federation/request-decision.ts';
import { buildBatch } from '../../ledger/batch.ts';
import { contractHash, epsilonToMicros } from '../../ledger/contracts/index.ts';
import type { SignedTransaction, TxUser } from '../../ledger/transaction.ts';
import { type HubLedgerSigner, signAsHub } from '../federation/authorize.ts';
import type { NodeCaller } from '../quality/node-call.ts';

/** Longest wait for a node to sign and commit a steward's decision. */
export const NODE_DECISION_TIMEOUT_MS = 30_000;

/** Longest wait for one validator's view of a request. */
const VIEW_TIMEOUT_MS = 3_000;

/** A committed transaction. */
export interface LedgerTx {
  txHash: string;
  height: number;
}

/** A request as the ledger's `requests/<id>` view shows it. */
export const LedgerRequestViewSchema = z
  .object({
    requestId: z.string(),
    projectId: z.string(),
    status: z.enum(['pending', 'approved', 'refused', 'expired']),
    awaiting: z.array(z.string()),
    requiredApprovers: z.array(z.string()),
    decisions: z.record(
      z.string(),
      z.object({ decision: z.enum(['approve', 'refuse']), commentHash: z.string() }).passthrough(),
    ),
    expiresAt: z.number(),
    grantedEpsilonMicros: z.number().optional(),
    tasks: z.array(z.string()).optional(),
  })
  .passthrough();

/** A request as the ledger's `requests/<id>` view shows it. */
export type LedgerRequestView = z.infer<typeof LedgerRequestViewSchema>;

/** The request transactions of the hub and the relay of hospital decisions. */
export class RequestLedger {
  readonly #signer: HubLedgerSigner;
  readonly #call: NodeCaller;

  constructor(opts: { signer: HubLedgerSigner; call: NodeCaller }) {
    this.#signer = opts.signer;
    this.#call = opts.call;
  }

  async #commit(tx: SignedTransaction, what: string): Promise<LedgerTx> {
    try {
      return await commitContractTx(this.#signer.client, this.#signer.validators, tx, what);
    } catch (e) {
      if (!(e instanceof LedgerRefusal)) throw e;
      throw new MeridianError('MER_REQUEST_REFUSED', `the ledger refused ${what}: ${e.message}`, {
        ledgerCode: e.ledgerCode,
      });
    }
  }

  /** Submits a researcher's request (`request.submit` by the hub, the researcher as the signed user). */
  submit(
    r: {
      requestId: string;
      projectId: string;
      purpose: string;
      cohortHash: string;
      analysisKinds: string[];
      hospitals: string[];
      periodStart: string;
      periodEnd: string;
      epsilon: number;
    },
    user: TxUser,
  ): Promise<LedgerTx> {
    const payload = {
      requestId: r.requestId,
      projectId: r.projectId,
      purpose: r.purpose,
      cohortHash: r.cohortHash,
      analysisKinds: r.analysisKinds,
      hospitals: r.hospitals,
      periodStart: r.periodStart,
      periodEnd: r.periodEnd,
      epsilonMicros: epsilonToMicros(r.epsilon),
    };
    return this.#commit(signAsHub(this.#signer, 'request.submit', payload, user), `request ${r.requestId}`);
  }

  /** The ethics committee's decision (`request.decide` by the hub, the ethics user signed in the body). */
  decideAsEthics(
    d: { requestId: string; decision: 'approve' | 'refuse'; comment: string; epsilon?: number | undefined },
    user: TxUser,
  ): Promise<LedgerTx> {
    const payload = {
      requestId: d.requestId,
      decision: d.decision,
      commentHash: contractHash('comment', d.comment),
      ...(d.epsilon === undefined ? {} : { epsilonMicros: epsilonToMicros(d.epsilon) }),
    };
    return this.#commit(
      signAsHub(this.#signer, 'request.decide', payload, user),
      `the ethics decision on ${d.requestId}`,
    );
  }

  /** A hospital steward's decision, signed and committed by the hospital's own node. */
  async decideAsHospital(hospital: string, d: NodeDecision): Promise<LedgerTx> {
    return this.#call(hospital, REQUEST_DECIDE_TASK, d, NODE_DECISION_TIMEOUT_MS, NodeDecisionAnswerSchema);
  }

  /** Notarizes a project document's hash as a one-entry batch signed by the hub. */
  notarizeDocument(doc: { projectId: string; documentId: string; sha256: string; name: string }): Promise<LedgerTx> {
    const batch = buildBatch([{ projectId: doc.projectId, documentId: doc.documentId, sha256: doc.sha256 }]);
    const payload = {
      batch: batch.commitment,
      type: 'project-document',
      source: 'hub-projects',
      location: `${this.#signer.institution}:projects/${doc.projectId}/documents/${doc.documentId}`,
      at: new Date((this.#signer.now ?? Date.now)()).toISOString(),
    };
    return this.#commit(signAsHub(this.#signer, 'notarize.batch', payload), `the notarization of ${doc.name}`);
  }

  /** The ledger's view of a request, from the first validator that answers; undefined when none knows it. */
  async view(requestId: string): Promise<LedgerRequestView | undefined> {
    const problems: string[] = [];
    for (const v of this.#signer.validators) {
      const res = await this.#signer.client
        .get(v, `/v1/query/requests/${encodeURIComponent(requestId)}`, VIEW_TIMEOUT_MS)
        .catch((e: unknown) => {
          problems.push(`${v}: ${(e as Error).message}`);
          return undefined;
        });
      if (!res) continue;
      if (res.status === 404) return undefined;
      const parsed = LedgerRequestViewSchema.safeParse((res.body as { value?: unknown } | undefined)?.value);
      if (res.status === 200 && parsed.success) return parsed.data;
      problems.push(`${v}: answered ${res.status}`);
    }
    throw new MeridianError(
      'MER_LEDGER_UNAVAILABLE',
      `no validator answered for request ${requestId}: ${problems.join('; ')}`,
      {
        requestId,
      },
    );
  }
}
