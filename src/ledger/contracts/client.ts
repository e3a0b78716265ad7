/**
 * Helpers for clients (node, hub, tools) that build contract transactions: typed payloads checked against their
 * kind's schema before signing, nonces that carry their creation time (replay.ts), proposal ids, and the
 * domain-separated hashes payloads refer to (task, cohort, comment, result). These run at the edge, so unlike the
 * contracts they may read the clock and draw randomness — the caller passes the time in.
 */
import { randomBytes } from 'node:crypto';
import { MeridianError } from '../../errors/registry.ts';
import { canonicalBytes, type JsonObject } from '../canonical-json.ts';
import { sha256, toHex } from '../hash.ts';
import type { PrivateKeyInput } from '../signing.ts';
import { type SignedTransaction, signTransaction, type TxBody, type TxUser, txContentHash } from '../transaction.ts';
import { nonceWithTime } from './replay.ts';
import {
  EPSILON_MICROS_MAX,
  MICRO_EPSILON_PER_EPSILON,
  PAYLOAD_SCHEMAS,
  type PayloadOf,
  type TxKind,
} from './schemas.ts';

/** What a contract transaction is built from. */
export interface ContractTxOptions<K extends TxKind> {
  chainId: string;
  kind: K;
  institution: string;
  payload: PayloadOf<K>;
  /** The user acting through the institution (researcher, ethics, clinician…), signed into the body. */
  user?: TxUser;
  /** Creation time (ms since epoch) written into the nonce; the ledger accepts it within its nonce window. */
  timeMs: number;
  /** 10 random bytes for the nonce (default: fresh from the CSPRNG). */
  random?: Uint8Array;
}

/** Builds a transaction body, checking the payload against its kind's schema (MER_CONTRACT_INVALID_PAYLOAD). */
export function contractTxBody<K extends TxKind>(opts: ContractTxOptions<K>): TxBody {
  const parsed = PAYLOAD_SCHEMAS[opts.kind].safeParse(opts.payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = ['payload', ...(issue?.path ?? [])].map(String).join('.');
    throw new MeridianError('MER_CONTRACT_INVALID_PAYLOAD', `${opts.kind}: ${path}: ${issue?.message ?? 'invalid'}`, {
      path,
    });
  }
  return {
    chainId: opts.chainId,
    kind: opts.kind,
    institution: opts.institution,
    nonce: nonceWithTime(opts.timeMs, opts.random ?? randomBytes(10)),
    payload: opts.payload as unknown as JsonObject,
    ...(opts.user === undefined ? {} : { user: { id: opts.user.id, role: opts.user.role } }),
  };
}

/** Builds and signs a contract transaction with the institution's Ed25519 key. */
export function signContractTx<K extends TxKind>(
  opts: ContractTxOptions<K> & { privateKey: PrivateKeyInput },
): SignedTransaction {
  return signTransaction(contractTxBody(opts), opts.privateKey);
}

/** The id of the proposal a `membership.add`, `membership.suspend` or `validators.update` transaction opens. */
export function proposalIdOf(tx: SignedTransaction): string {
  return txContentHash(tx.body);
}

/** ε as integer micro-ε (rounded to the nearest micro-ε); MER_CONTRACT_INVALID_PAYLOAD outside 0..10⁶. */
export function epsilonToMicros(epsilon: number): number {
  const micros = Math.round(epsilon * MICRO_EPSILON_PER_EPSILON);
  if (!Number.isFinite(epsilon) || micros < 0 || micros > EPSILON_MICROS_MAX) {
    throw new MeridianError('MER_CONTRACT_INVALID_PAYLOAD', `ε ${epsilon} is not in 0..${EPSILON_MICROS_MAX / 1e6}`);
  }
  return micros;
}

/** What a payload hash may stand for; each gets its own hash prefix. */
export const CONTRACT_HASH_DOMAINS = ['task', 'cohort', 'comment', 'result', 'consent-evidence'] as const;

/** One of {@link CONTRACT_HASH_DOMAINS}. */
export type ContractHashDomain = (typeof CONTRACT_HASH_DOMAINS)[number];

/** SHA-256 (hex) of `meridian/v1/contracts/<domain>\n` ‖ canonical(value): task, cohort, comment, result hashes. */
export function contractHash(domain: ContractHashDomain, value: unknown): string {
  return toHex(sha256(Buffer.from(`meridian/v1/contracts/${domain}\n`, 'utf8'), canonicalBytes(value)));
}
