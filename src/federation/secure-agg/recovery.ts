/**
 * The rules of dropout recovery (Bonawitz et al. 2017, adapted to multi-round tasks), as pure functions: the
 * threshold, what an honest hospital agrees to in a data round and in a recovery round, and how the hub removes
 * the masks once it holds the recovered secrets.
 *
 * A hospital u holds a pairwise key s_u and a self-mask seed b_u per task, Shamir-shared among the hospitals with
 * threshold t. In a recovery round for data round r the hub names the survivors S (whose vectors it holds) and
 * the dropped D; u reveals its shares of b_v for v ∈ S and of s_d for d ∈ D. The hub needs both b_u and s_u to
 * unmask u alone, so an honest u's peers reveal per task and per peer only one kind ever:
 *
 *   never s_d after b_d (nor b_d after s_d);   never s of itself (it knows it answered);
 *   never when |S| < t;                        a peer leaves the participant set only through such a recovery.
 *
 * With t > n/2 two honest majorities cannot be told contradicting stories, so b_u and s_u are never both open.
 */
import type { KeyObject } from 'node:crypto';
import { MeridianError } from '../../errors/registry.ts';
import { pairwiseMask, participantsDigest, type SecAggParticipant } from './pairwise-masks.ts';
import { selfMask } from './self-mask.ts';

/** The Shamir threshold for n hospitals: more than half of them, and at least 2. */
export function recoveryThreshold(hospitals: number): number {
  return Math.max(2, Math.floor(hospitals / 2) + 1);
}

/** What one hospital has agreed to so far in one task (immutable; each accepted request returns the next). */
export interface RecoveryState {
  readonly self: string;
  readonly hospitals: readonly string[];
  readonly threshold: number;
  /** Who the next data round must name: every hospital, less those whose s-shares this hospital revealed. */
  readonly participants: readonly string[];
  /** The last data round this hospital answered and its participants (what a recovery may name). */
  readonly lastData: { readonly round: number; readonly participants: readonly string[] } | null;
  /** Peers whose b-shares it revealed (told they answered), and whose s-shares it revealed (told they dropped). */
  readonly revealedB: readonly string[];
  readonly revealedS: readonly string[];
}

/** A recovery request: the data round it unmasks, who answered it and who did not. */
export interface RecoveryRequest {
  readonly round: number;
  readonly survivors: readonly string[];
  readonly dropped: readonly string[];
}

function refuse(state: RecoveryState, why: string, details: Record<string, unknown> = {}): never {
  throw new MeridianError('MER_SECAGG_RECOVERY_REFUSED', `${state.self} refuses: ${why}`, {
    node: state.self,
    ...details,
  });
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && new Set(a).size === a.length && a.every((x) => b.includes(x));
}

/** A hospital's state when the task starts (after it handed out its shares). */
export function recoveryStart(opts: { self: string; hospitals: readonly string[] }): RecoveryState {
  return {
    self: opts.self,
    hospitals: [...opts.hospitals],
    threshold: recoveryThreshold(opts.hospitals.length),
    participants: [...opts.hospitals],
    lastData: null,
    revealedB: [],
    revealedS: [],
  };
}

/** Accepts a data round over `participants` (exactly the expected set, rounds increasing) or refuses it. */
export function acceptDataRound(
  state: RecoveryState,
  opts: { round: number; participants: readonly string[] },
): RecoveryState {
  if (!sameSet(opts.participants, state.participants)) {
    refuse(
      state,
      `data round ${opts.round} names participants ${opts.participants.join(', ')}; expected ${state.participants.join(', ')} (a hospital leaves only through a recovery this hospital took part in)`,
      { round: opts.round },
    );
  }
  if (state.lastData !== null && opts.round <= state.lastData.round) {
    refuse(state, `data round ${opts.round} does not follow round ${state.lastData.round}`, { round: opts.round });
  }
  return { ...state, lastData: { round: opts.round, participants: [...opts.participants] } };
}

/** Accepts a recovery request under the rules of the module comment, or refuses it (naming the rule). */
export function acceptRecovery(state: RecoveryState, request: RecoveryRequest): RecoveryState {
  const { round, survivors, dropped } = request;
  const last = state.lastData;
  if (last === null || last.round !== round) {
    refuse(state, `it answered no data round ${round} to recover (last: ${last?.round ?? 'none'})`, { round });
  }
  if (!sameSet([...survivors, ...dropped], last.participants)) {
    refuse(
      state,
      `survivors and dropped of round ${round} must split its participants ${last.participants.join(', ')}`,
      {
        round,
      },
    );
  }
  if (!survivors.includes(state.self)) refuse(state, `it answered round ${round}, so it is a survivor`, { round });
  if (survivors.length < state.threshold) {
    refuse(state, `${survivors.length} survivors are fewer than the threshold ${state.threshold}`, { round });
  }
  for (const d of dropped) {
    if (state.revealedB.includes(d)) {
      refuse(state, `it already revealed ${d}'s self-mask shares (told ${d} answered); never its key shares too`, {
        peer: d,
      });
    }
  }
  for (const v of survivors) {
    if (state.revealedS.includes(v)) {
      refuse(state, `it already revealed ${v}'s key shares (told ${v} dropped); never its self-mask shares too`, {
        peer: v,
      });
    }
  }
  return {
    ...state,
    participants: [...survivors],
    revealedB: [...new Set([...state.revealedB, ...survivors])],
    revealedS: [...new Set([...state.revealedS, ...dropped])],
  };
}

/** Everything the hub needs to remove the masks of one recovered data round. */
export interface UnmaskInput {
  /** Σ of the survivors' masked words mod 2^64. */
  readonly sum: BigUint64Array;
  readonly roundId: string;
  readonly context: string;
  /** The round's participants with their X25519 keys (survivors and dropped). */
  readonly participants: readonly SecAggParticipant[];
  /** The survivors' reconstructed self-mask seeds. */
  readonly seeds: ReadonlyMap<string, Uint8Array>;
  /** The dropped hospitals' reconstructed X25519 private keys. */
  readonly droppedKeys: ReadonlyMap<string, KeyObject>;
}

/** The survivors' encoded sum: Σ masked − their self-masks ∓ the pair masks they share with the dropped. */
export function unmaskSum(input: UnmaskInput): BigUint64Array {
  const out = BigUint64Array.from(input.sum);
  const digest = participantsDigest(input.participants);
  const survivors = input.participants.filter((p) => !input.droppedKeys.has(p.id));
  for (const v of survivors) {
    const seed = input.seeds.get(v.id);
    if (seed === undefined) throw new MeridianError('MER_SECAGG_RECOVERY_FAILED', `no self-mask seed of ${v.id}`);
    const mask = selfMask({ seed, roundId: input.roundId, context: input.context, length: out.length });
    for (let i = 0; i < out.length; i++) out[i] = (out[i] as bigint) - (mask[i] as bigint);
  }
  for (const [d, privateKey] of input.droppedKeys) {
    for (const v of survivors) {
      const mask = pairwiseMask({
        privateKey,
        peerPublicKey: v.publicKey,
        selfId: d,
        peerId: v.id,
        roundId: input.roundId,
        context: input.context,
        participants: digest,
        length: out.length,
      });
      // v added the pair mask when v < d and subtracted it otherwise; undo what v did.
      if (v.id < d) for (let i = 0; i < out.length; i++) out[i] = (out[i] as bigint) - (mask[i] as bigint);
      else for (let i = 0; i < out.length; i++) out[i] = (out[i] as bigint) + (mask[i] as bigint);
    }
  }
  return out;
}
