/** Deterministic keys, transactions, blocks and receipts for the ledger tests (no clock, no randomness). */
import { createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import {
  type Batch,
  type BlockHeader,
  blockHeaderHash,
  buildBatch,
  buildReceipt,
  type CommitCertificate,
  makeCommitCertificate,
  makeValidatorSet,
  quorumSize,
  type Receipt,
  type SignedTransaction,
  signCommit,
  signTransaction,
  type TxBody,
  txRootOf,
  type ValidatorSet,
  type ValidatorSetChange,
  validatorSetHash,
  ZERO_HASH_HEX,
} from '../../src/ledger/index.ts';

/** The chain id every fixture uses. */
export const CHAIN_ID = 'meridian-test';

// PKCS#8 DER header of an Ed25519 private key (RFC 8410); the 32-byte seed follows.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** An Ed25519 private key derived from `label`, the same on every run. */
export function keyFor(label: string): KeyObject {
  const seed = createHash('sha256').update(`meridian-test-key:${label}`).digest();
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** A 32-hex-character nonce derived from `label`. */
export function nonceFor(label: string): string {
  return createHash('sha256').update(`nonce:${label}`).digest('hex').slice(0, 32);
}

/** A set of validators `names` (keys from {@link keyFor}) with their private keys. */
export interface Validators {
  set: ValidatorSet;
  keys: Map<string, KeyObject>;
}

/** Validators with the given names on {@link CHAIN_ID} (or `chainId`). */
export function validators(names: readonly string[], chainId = CHAIN_ID): Validators {
  const keys = new Map(names.map((n) => [n, keyFor(`validator:${n}`)]));
  const set = makeValidatorSet({
    chainId,
    validators: names.map((name) => ({ name, publicKey: keys.get(name) as KeyObject })),
  });
  return { set, keys };
}

/** The four hospital validators most tests use (n = 4, f = 1, quorum 3). */
export function fourValidators(): Validators {
  return validators(['hospital-a', 'hospital-b', 'hospital-c', 'hub']);
}

/** A signed transaction by `institution` (its key from {@link keyFor}). */
export function tx(opts: {
  institution?: string;
  kind?: string;
  payload?: TxBody['payload'];
  label?: string;
  user?: TxBody['user'];
  chainId?: string;
}): SignedTransaction {
  const institution = opts.institution ?? 'hospital-a';
  const body: TxBody = {
    chainId: opts.chainId ?? CHAIN_ID,
    kind: opts.kind ?? 'request.create',
    institution,
    nonce: nonceFor(opts.label ?? 'tx'),
    payload: opts.payload ?? { requestId: 'req-1' },
    ...(opts.user === undefined ? {} : { user: opts.user }),
  };
  return signTransaction(body, keyFor(`institution:${institution}`));
}

/** Notarized entries as the ingest pipeline would batch them. */
export function entries(count: number, label = 'e'): Record<string, string | number>[] {
  return Array.from({ length: count }, (_, i) => ({
    type: 'ods.file',
    contentHash: createHash('sha256').update(`${label}:${i}`).digest('hex'),
    time: 1_750_000_000_000 + i,
    patientToken: `pt-${label}-${i}`,
    location: `ods/2025/06/${label}-${i}.csv`,
  }));
}

/** A block header over `txs` at `height`, certified by `signers` of `vals`; defaults describe a stable set. */
export function block(opts: {
  vals: Validators;
  txs: readonly SignedTransaction[];
  height?: number;
  prevHash?: string;
  signers?: readonly string[];
  nextSet?: ValidatorSet;
  view?: number;
}): { header: BlockHeader; certificate: CommitCertificate } {
  const setHash = validatorSetHash(opts.vals.set);
  const height = opts.height ?? 7;
  const header: BlockHeader = {
    height,
    prevHash: opts.prevHash ?? (height === 0 ? ZERO_HASH_HEX : 'ab'.repeat(32)),
    ...txRootOf(opts.txs),
    stateRoot: createHash('sha256').update(`state:${height}`).digest('hex'),
    proposer: opts.vals.set.validators[height % opts.vals.set.validators.length]?.name as string,
    proposerTime: 1_750_000_000_000 + height * 1_000,
    validatorSetHash: setHash,
    nextValidatorSetHash: opts.nextSet === undefined ? setHash : validatorSetHash(opts.nextSet),
  };
  const signers = opts.signers ?? opts.vals.set.validators.map((v) => v.name);
  const view = opts.view ?? 0;
  const sigs = signers.map((signer) =>
    signCommit({ header, view, signer, privateKey: opts.vals.keys.get(signer) as KeyObject }),
  );
  return { header, certificate: makeCommitCertificate(header, view, sigs) };
}

/** A block of five transactions, the third of which notarizes a batch of seven entries. */
export interface Scenario {
  vals: Validators;
  txs: SignedTransaction[];
  batch: Batch;
  header: BlockHeader;
  certificate: CommitCertificate;
}

/** The standard scenario; `signers` defaults to exactly a quorum (3 of 4), so dropping any signature fails. */
export function scenario(signers: readonly string[] = ['hospital-a', 'hospital-c', 'hub']): Scenario {
  const vals = fourValidators();
  const batch = buildBatch(entries(7));
  const txs = [
    tx({ label: 't0' }),
    tx({ label: 't1', institution: 'hospital-b', user: { id: 'u-42', role: 'researcher' } }),
    tx({ label: 't2', kind: 'notarize.batch', payload: { batch: batch.commitment, source: 'his' } }),
    tx({ label: 't3', institution: 'hub', kind: 'request.approve', payload: { requestId: 'req-1', ok: true } }),
    tx({ label: 't4', institution: 'hospital-c', payload: { n: 3.5, list: [1, 'two', null] } }),
  ];
  const { header, certificate } = block({ vals, txs, signers });
  return { vals, txs, batch, header, certificate };
}

/** A transaction receipt for tx `txIndex` of the scenario. */
export function txReceipt(s: Scenario, txIndex = 1): Receipt {
  return buildReceipt({ txs: s.txs, txIndex, header: s.header, certificate: s.certificate, validatorSet: s.vals.set });
}

/** An entry receipt for entry `entryIndex` of the scenario's batch. */
export function entryReceipt(s: Scenario, entryIndex = 4): Receipt {
  return buildReceipt({
    txs: s.txs,
    txIndex: 2,
    header: s.header,
    certificate: s.certificate,
    validatorSet: s.vals.set,
    entry: { batch: s.batch, index: entryIndex },
  });
}

/** Validator-set history: set 0 (a, b, c, hub) → set 1 (+ d) at link height 10 → set 2 (− b) at height 20. */
export interface SetHistory {
  sets: Validators[];
  chain: ValidatorSetChange[];
}

/** The standard set history; each change is a header certified by the outgoing set naming the next one. */
export function setHistory(): SetHistory {
  const s0 = validators(['hospital-a', 'hospital-b', 'hospital-c', 'hub']);
  const s1 = validators(['hospital-a', 'hospital-b', 'hospital-c', 'hospital-d', 'hub']);
  const s2 = validators(['hospital-a', 'hospital-c', 'hospital-d', 'hub']);
  const link = (from: Validators, to: Validators, height: number): ValidatorSetChange => {
    const change = tx({ label: `set-change-${height}`, institution: 'hub', kind: 'validators.change', payload: {} });
    // Exactly a quorum signs, so dropping any one signature breaks the link.
    const signers = from.set.validators.slice(0, quorumSize(from.set.validators.length)).map((v) => v.name);
    const { header, certificate } = block({ vals: from, txs: [change], height, nextSet: to.set, signers });
    return { header, certificate, nextValidatorSet: to.set };
  };
  return { sets: [s0, s1, s2], chain: [link(s0, s1, 10), link(s1, s2, 20)] };
}

/** A hash-linked sequence check helper: the previous-header hash a block at `height + 1` would carry. */
export function nextPrevHash(header: BlockHeader): string {
  return blockHeaderHash(header);
}
