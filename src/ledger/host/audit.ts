/**
 * Offline audit of a validator's data directory: every stored block is checked — height and previous-header
 * link, txRoot and txCount over the transactions, each transaction's signature (institution keys from the
 * config), the header's commit certificate against the validator set — and re-executed on a fresh application
 * to compare state roots. The first bad block is named; nothing is written.
 */
import type { LedgerApplication } from '../abci.ts';
import { blockHeaderHash, verifyCommitCertificate } from '../block.ts';
import { ZERO_HASH_HEX } from '../hash.ts';
import { toPublicKey } from '../signing.ts';
import { type SignedTransaction, verifyTransaction } from '../transaction.ts';
import { resolveValidatorSet } from '../validator-set.ts';
import { BlockStore, txTreeOfHashes } from './block-store.ts';
import { institutionKeysOf, type LedgerConfig, validatorSetOf } from './config.ts';
import { txHashOfBytes } from './validator.ts';

/** What {@link auditChain} found: the verified height, or the first bad block and why. */
export type AuditResult =
  | { readonly ok: true; readonly height: number; readonly txs: number; readonly uncertified: number }
  | { readonly ok: false; readonly height: number; readonly check: string; readonly message: string };

/** Re-verifies the whole chain in `dir` (see the module comment). */
export function auditChain(opts: {
  dir: string;
  config: LedgerConfig;
  createApplication: () => LedgerApplication;
}): AuditResult {
  const { store } = BlockStore.open(opts.dir);
  try {
    const set = resolveValidatorSet(validatorSetOf(opts.config));
    const keys = new Map([...institutionKeysOf(opts.config)].map(([n, k]) => [n, toPublicKey(k)]));
    const app = opts.createApplication();
    let prev = ZERO_HASH_HEX;
    let txCount = 0;
    let uncertified = 0;
    for (let h = 1; h <= store.height; h++) {
      const b = store.block(h);
      const fail = (check: string, message: string): AuditResult => ({ ok: false, height: h, check, message });
      if (!b) return fail('missing', `block ${h} cannot be read`);
      if (b.header.height !== h) return fail('height', `block at ${h} says height ${b.header.height}`);
      if (b.header.prevHash !== prev) return fail('prev-hash', `block ${h} does not link to block ${h - 1}`);
      const hashes = b.txs.map((t) => txHashOfBytes(Buffer.from(t, 'utf8')));
      if (hashes.some((x, i) => x !== b.txHashes[i]))
        return fail('tx-hash', `a transaction of block ${h} has another hash`);
      const tree = txTreeOfHashes(hashes);
      if (tree.root.toString('hex') !== b.header.txRoot || hashes.length !== b.header.txCount) {
        return fail('tx-root', `block ${h}'s transactions do not match its txRoot/txCount`);
      }
      const txs = b.txs.map((t) => JSON.parse(t) as SignedTransaction);
      for (const [i, tx] of txs.entries()) {
        const key = keys.get(tx.body.institution);
        if (!key || !verifyTransaction(tx, key))
          return fail('tx-signature', `transaction ${i} of block ${h} is not validly signed`);
      }
      if (b.certificate) {
        const v = verifyCommitCertificate(b.header, b.certificate, set);
        if (!v.ok) return fail('commit-certificate', `${v.code}: ${v.message}`);
      } else if (h < store.height) {
        uncertified++;
      }
      const res = app.finalizeBlock({
        height: h,
        proposer: b.header.proposer,
        proposerTime: b.header.proposerTime,
        txs,
      });
      app.commit();
      if (res.appHash !== b.header.stateRoot) {
        return fail('state-root', `re-execution gives ${res.appHash}, the header says ${b.header.stateRoot}`);
      }
      prev = blockHeaderHash(b.header);
      txCount += txs.length;
    }
    return { ok: true, height: store.height, txs: txCount, uncertified };
  } finally {
    store.close();
  }
}
