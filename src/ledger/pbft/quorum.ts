/**
 * Quorum arithmetic and validator sets per epoch. A set of n validators tolerates f = ⌊(n−1)/3⌋ Byzantine
 * ones; a quorum is the smallest size whose pairwise intersections contain f+1 validators (2f+1 when
 * n = 3f+1), and a weak quorum (f+1) contains at least one correct validator.
 */
import assert from 'node:assert/strict';
import type { CommittedBlock, CommitVote, Epoch, NodeId, Signature } from './types.ts';

/** Byzantine validators a set of `n` tolerates. */
export function faultsTolerated(n: number): number {
  assert.ok(Number.isInteger(n) && n >= 1, `validator count ${n}`);
  return Math.floor((n - 1) / 3);
}

/** Size of a quorum among `n` validators: any two quorums share f+1 validators. */
export function quorumSize(n: number): number {
  return Math.ceil((n + faultsTolerated(n) + 1) / 2);
}

/** Size of a weak quorum (f+1): it contains at least one correct validator. */
export function weakQuorumSize(n: number): number {
  return faultsTolerated(n) + 1;
}

/** The epoch that orders `height` (epochs are sorted by `fromHeight`, the first starts at 1). */
export function epochAt(epochs: readonly Epoch[], height: number): Epoch {
  assert.ok(epochs.length > 0 && (epochs[0] as Epoch).fromHeight <= Math.max(1, height), 'no epoch for height');
  let found = epochs[0] as Epoch;
  for (const e of epochs) {
    if (e.fromHeight <= height) found = e;
    else break;
  }
  return found;
}

/** The validators that order `height`. */
export function validatorsAt(epochs: readonly Epoch[], height: number): readonly NodeId[] {
  return epochAt(epochs, height).validators;
}

/**
 * The first height a validator-set change ordered at `height` governs: the first height after a checkpoint
 * boundary at least `distance` heights later, so the change never falls inside a window already in flight.
 */
export function reconfigEffectiveHeight(height: number, checkpointInterval: number, distance: number): number {
  return Math.ceil((height + distance) / checkpointInterval) * checkpointInterval + 1;
}

/** Validator-set changes a chain may hold; a replica stops loudly beyond it rather than forget an old set. */
export const EPOCHS_MAX = 1024;

/** Adds the validator set `validators` effective at `fromHeight`, replacing a change scheduled at the same height. */
export function scheduleEpoch(epochs: readonly Epoch[], fromHeight: number, validators: readonly NodeId[]): Epoch[] {
  const last = epochs[epochs.length - 1] as Epoch;
  assert.ok(fromHeight >= last.fromHeight, 'validator-set changes are scheduled in height order');
  const kept = last.fromHeight === fromHeight && epochs.length > 1 ? epochs.slice(0, -1) : [...epochs];
  const previous = kept[kept.length - 1] as Epoch;
  kept.push({ epoch: previous.epoch + 1, fromHeight, validators: [...validators] });
  assert.ok(kept.length <= EPOCHS_MAX, `more than ${EPOCHS_MAX} validator sets`);
  return kept;
}

/**
 * Whether a commit certificate proves `block`: a quorum of distinct validators of the block's height signed
 * (height, view, digest) in one view. The default core of an injected `verifyBlock`.
 */
export function certificateValid(
  block: CommittedBlock,
  validators: readonly NodeId[],
  verifyCommit: (signer: NodeId, vote: CommitVote, signature: Signature) => boolean,
): boolean {
  const signers = new Set<NodeId>();
  const vote = { height: block.height, view: block.certificate.view, digest: block.digest };
  for (const { signer, signature } of block.certificate.signatures) {
    if (signers.has(signer) || !validators.includes(signer) || !verifyCommit(signer, vote, signature)) return false;
    signers.add(signer);
  }
  return signers.size >= quorumSize(validators.length);
}
