import assert from 'node:assert/strict';
import { createHash, type KeyObject } from 'node:crypto';
import { test } from 'node:test';
import {
  blockHeaderHash,
  buildBatch,
  buildReceipt,
  canonicalBytes,
  commitVote,
  entryLeafHash,
  entryProof,
  makeCommitCertificate,
  RECEIPT_CHECKS,
  type Receipt,
  type ReceiptVerification,
  signCommit,
  signForPurpose,
  toHex,
  toPublicKey,
  txHash,
  txTreeOf,
  type ValidatorSet,
  type ValidatorSetChange,
  validatorSetHash,
  verifyEntryInBatch,
  verifyReceipt,
  verifyValidatorSetChain,
} from '../../src/ledger/index.ts';
import { block, entries, entryReceipt, keyFor, scenario, setHistory, tx, txReceipt, validators } from './fixtures.ts';
import { edit, leafPaths, nodePaths, tweak } from './tamper.ts';

function assertFails(r: ReceiptVerification, what: string): void {
  assert.equal(r.ok, false, `${what} must not verify`);
  if (!r.ok) {
    assert.ok(RECEIPT_CHECKS.includes(r.check), what);
    assert.match(r.code, /^MER_LEDGER_/, what);
  }
}

/** Mutates every leaf of the receipt, removes every key and array element, and expects each to fail. */
function assertEveryTamperFails(receipt: Receipt, trusted: ValidatorSet | ValidatorSet[]): number {
  assert.ok(verifyReceipt(receipt, trusted).ok, 'the untampered receipt verifies');
  let count = 0;
  for (const path of leafPaths(receipt)) {
    const tampered = edit(receipt, path, (p, k) => {
      p[k] = tweak(p[k]);
    });
    assertFails(verifyReceipt(tampered, trusted), `tweak ${path.join('.')}`);
    count += 1;
  }
  for (const path of nodePaths(receipt)) {
    // Without its entry part, an entry receipt is the (valid, weaker) receipt of its transaction.
    if (path.length === 1 && path[0] === 'entry') continue;
    const removed = edit(receipt, path, (p, k) => {
      if (Array.isArray(p)) p.splice(k as number, 1);
      else delete p[k];
    });
    // Removing the only link of an empty chain is impossible; removing the whole chain is a schema error.
    assertFails(verifyReceipt(removed, trusted), `remove ${path.join('.')}`);
    count += 1;
  }
  return count;
}

test('I14: a transaction receipt and every entry receipt verify offline, also after a JSON round trip', () => {
  const s = scenario();
  for (let i = 0; i < s.txs.length; i += 1) {
    const r = verifyReceipt(JSON.parse(JSON.stringify(txReceipt(s, i))), s.vals.set);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.txHash, txHash(s.txs[i] as (typeof s.txs)[0]));
    assert.equal(r.txIndex, i);
    assert.equal(r.height, 7);
    assert.equal(r.headerHash, blockHeaderHash(s.header));
    assert.equal(r.txSignatureChecked, false);
  }
  for (let e = 0; e < 7; e += 1) {
    const r = verifyReceipt(JSON.parse(JSON.stringify(entryReceipt(s, e))), [s.vals.set]);
    assert.ok(r.ok && r.entry !== undefined, JSON.stringify(r));
    assert.equal(r.entry.index, e);
    assert.equal(r.entry.leafHash, toHex(entryLeafHash(entries(7)[e])));
    assert.deepEqual(r.entry.batch, s.batch.commitment);
  }
});

test('I14: receipt verification fails on every tampered field of a transaction receipt', () => {
  const s = scenario();
  assert.ok(assertEveryTamperFails(txReceipt(s), s.vals.set) > 60);
});

test('I14: receipt verification fails on every tampered field of an entry receipt (two-level proof)', () => {
  const s = scenario();
  assert.ok(assertEveryTamperFails(entryReceipt(s, 5), s.vals.set) > 80);
});

test('I14, I15: receipt verification fails on every tampered field of a receipt across two validator-set changes', () => {
  const { sets, chain } = setHistory();
  const s2 = sets[2] as (typeof sets)[0];
  const t = tx({ label: 'late', institution: 'hospital-d', kind: 'request.create' });
  const { header, certificate } = block({
    vals: s2,
    txs: [t],
    height: 25,
    signers: ['hospital-a', 'hospital-c', 'hub'],
  });
  const receipt = buildReceipt({
    txs: [t],
    txIndex: 0,
    header,
    certificate,
    validatorSet: s2.set,
    validatorSetChain: chain,
  });
  assert.ok(assertEveryTamperFails(receipt, (sets[0] as (typeof sets)[0]).set) > 200);
});

test('I14: checks run in a fixed order and name the first failure with its code', () => {
  const s = scenario();
  const receipt = entryReceipt(s, 2);
  const expect = (input: unknown, check: string, code: string, trusted: ValidatorSet | ValidatorSet[] = s.vals.set) => {
    const r = verifyReceipt(input, trusted);
    assert.equal(r.ok, false);
    if (!r.ok) assert.deepEqual({ check: r.check, code: r.code }, { check, code }, r.message);
  };
  expect({ ...receipt, version: 2 }, 'schema', 'MER_LEDGER_MALFORMED_RECEIPT');
  expect({ ...receipt, unknown: 1 }, 'schema', 'MER_LEDGER_MALFORMED_RECEIPT');
  expect('{}', 'schema', 'MER_LEDGER_MALFORMED_RECEIPT');
  expect({ ...receipt, entry: { ...receipt.entry, index: 3 } }, 'entry-proof', 'MER_LEDGER_BAD_PROOF');
  expect({ ...txReceipt(s, 0), entry: receipt.entry }, 'entry-proof', 'MER_LEDGER_BAD_PROOF');
  expect({ ...receipt, txProof: { ...receipt.txProof, index: 1 } }, 'tx-proof', 'MER_LEDGER_BAD_PROOF');
  const other = validators(['hospital-a', 'hospital-b', 'hospital-c', 'hub'], 'meridian-staging');
  expect(receipt, 'validator-set', 'MER_LEDGER_UNTRUSTED_VALIDATOR_SET', other.set);
  expect(receipt, 'validator-set', 'MER_LEDGER_UNTRUSTED_VALIDATOR_SET', [other.set]);
});

test('I14: negative inclusion vectors inside a receipt fail as MER_LEDGER_BAD_PROOF', () => {
  const s = scenario();
  const r = txReceipt(s, 3);
  const { proof } = r.txProof;
  const probes: [string, Receipt][] = [
    ['proof too long', { ...r, txProof: { ...r.txProof, proof: [...proof, proof[0] as string] } }],
    ['proof too short', { ...r, txProof: { ...r.txProof, proof: proof.slice(0, -1) } }],
    ['empty proof', { ...r, txProof: { ...r.txProof, proof: [] } }],
    ['reordered proof', { ...r, txProof: { ...r.txProof, proof: [...proof].reverse() } }],
    ['index ≥ size', { ...r, txProof: { ...r.txProof, index: s.txs.length } }],
    ['other index', { ...r, txProof: { ...r.txProof, index: 2 } }],
    ['another transaction', { ...r, tx: s.txs[2] as (typeof s.txs)[0] }],
  ];
  for (const [name, probe] of probes) {
    const v = verifyReceipt(probe, s.vals.set);
    assert.ok(!v.ok && v.check === 'tx-proof' && v.code === 'MER_LEDGER_BAD_PROOF', name);
  }
  // A different txCount may still let the path verify (RFC 9162 does not bind sizes), but the header is signed.
  const resized = verifyReceipt({ ...r, header: { ...r.header, txCount: 6 } }, s.vals.set);
  assert.ok(!resized.ok && resized.code !== 'MER_LEDGER_MALFORMED_RECEIPT');
});

test('I14: too few signatures, forged signatures, a non-validator and a signature for another purpose are refused', () => {
  const s = scenario();
  const receipt = txReceipt(s);
  const { header, certificate } = receipt;
  const failing = (signatures: Receipt['certificate']['signatures']) => {
    const r = verifyReceipt({ ...receipt, certificate: { ...certificate, signatures } }, s.vals.set);
    assert.ok(!r.ok && r.check === 'commit-certificate');
    return r.code;
  };
  assert.equal(failing(certificate.signatures.slice(1)), 'MER_LEDGER_INSUFFICIENT_SIGNATURES');
  assert.equal(
    failing([...certificate.signatures.slice(1), certificate.signatures[1] as never]),
    'MER_LEDGER_DUPLICATE_SIGNATURE',
  );
  const forged = { signer: 'hospital-b', signature: createHash('sha512').update('x').digest('hex') };
  assert.equal(failing([...certificate.signatures.slice(1), forged]), 'MER_LEDGER_BAD_SIGNATURE');
  const outsider = signCommit({ header, view: 0, signer: 'hospital-z', privateKey: keyFor('validator:hospital-z') });
  assert.equal(failing([...certificate.signatures.slice(1), outsider]), 'MER_LEDGER_UNKNOWN_SIGNER');
  const payload = canonicalBytes(commitVote(header, certificate.view));
  for (const purpose of ['tx', 'vote', 'receipt'] as const) {
    const privateKey = s.vals.keys.get('hospital-b') as KeyObject;
    const wrongPurpose = { signer: 'hospital-b', signature: signForPurpose({ purpose, payload, privateKey }) };
    assert.equal(failing([...certificate.signatures.slice(1), wrongPurpose]), 'MER_LEDGER_BAD_SIGNATURE', purpose);
  }
  // Signatures over the header that a forger could get: a block at the same height with other transactions.
  const rival = block({ vals: s.vals, txs: [tx({ label: 'rival' })] });
  const spliced = verifyReceipt({ ...receipt, certificate: rival.certificate }, s.vals.set);
  assert.ok(!spliced.ok && spliced.code === 'MER_LEDGER_BAD_SIGNATURE');
});

test('I14: chain id, header–set binding, and the optional check of the transaction signature', () => {
  const s = scenario();
  // Validators (mis)certifying a block that holds another chain's transaction.
  const foreign = tx({ label: 'foreign', chainId: 'meridian-staging' });
  const fb = block({ vals: s.vals, txs: [foreign] });
  const foreignReceipt = buildReceipt({ txs: [foreign], txIndex: 0, ...fb, validatorSet: s.vals.set });
  const r1 = verifyReceipt(foreignReceipt, s.vals.set);
  assert.ok(!r1.ok && r1.check === 'chain-id' && r1.code === 'MER_LEDGER_WRONG_CHAIN');
  // A header naming another set but signed by this one's members.
  const t = tx({ label: 'mismatch' });
  const mb = block({ vals: s.vals, txs: [t] });
  const header = { ...mb.header, validatorSetHash: 'ee'.repeat(32) };
  const certificate = makeCommitCertificate(
    header,
    0,
    ['hospital-a', 'hospital-b', 'hub'].map((validator) =>
      signCommit({ header, view: 0, signer: validator, privateKey: s.vals.keys.get(validator) as KeyObject }),
    ),
  );
  const r2 = verifyReceipt(
    { ...buildReceipt({ txs: [t], txIndex: 0, ...mb, validatorSet: s.vals.set }), header, certificate },
    s.vals.set,
  );
  assert.ok(!r2.ok && r2.check === 'header-validator-set' && r2.code === 'MER_LEDGER_VALIDATOR_SET_MISMATCH');
  // The transaction's own signature, when institution keys are given.
  const receipt = txReceipt(s, 1);
  const institutionKeys = { 'hospital-b': toPublicKey(keyFor('institution:hospital-b')) };
  const good = verifyReceipt(receipt, s.vals.set, { institutionKeys });
  assert.ok(good.ok && good.txSignatureChecked);
  const wrongKey = verifyReceipt(receipt, s.vals.set, { institutionKeys: { 'hospital-b': keyFor('x') } });
  assert.ok(!wrongKey.ok && wrongKey.check === 'tx-signature' && wrongKey.code === 'MER_LEDGER_BAD_SIGNATURE');
  const unknown = verifyReceipt(receipt, s.vals.set, { institutionKeys: {} });
  assert.ok(!unknown.ok && unknown.check === 'tx-signature' && unknown.code === 'MER_LEDGER_UNKNOWN_SIGNER');
});

test('I15: a verifier holding an older set follows the chain of certified set changes', () => {
  const { sets, chain } = setHistory();
  const [s0, s1, s2] = sets as [(typeof sets)[0], (typeof sets)[0], (typeof sets)[0]];
  const followed = verifyValidatorSetChain(s0.set, chain);
  assert.ok(followed.ok);
  assert.deepEqual(followed.validatorSet, s2.set);
  assert.equal(followed.validatorSetHash, validatorSetHash(s2.set));
  assert.equal(followed.activeFromHeight, 21);
  const none = verifyValidatorSetChain(s1.set, []);
  assert.ok(none.ok && none.activeFromHeight === 0 && none.validatorSetHash === validatorSetHash(s1.set));

  const t = tx({ label: 'after', institution: 'hospital-d' });
  const b = block({ vals: s2, txs: [t], height: 21, signers: ['hospital-c', 'hospital-d', 'hub'] });
  const receipt = buildReceipt({ txs: [t], txIndex: 0, ...b, validatorSet: s2.set, validatorSetChain: chain });
  assert.ok(verifyReceipt(receipt, s0.set).ok, 'from the oldest set');
  assert.ok(verifyReceipt({ ...receipt, validatorSetChain: chain.slice(1) }, s1.set).ok, 'from the middle set');
  assert.ok(verifyReceipt({ ...receipt, validatorSetChain: [] }, s2.set).ok, 'from the current set');
  assert.ok(verifyReceipt({ ...receipt, validatorSetChain: [] }, [s0.set, s2.set]).ok, 'from several trusted sets');
});

test('I15: broken, reordered, skipped, misdated or cross-chain set changes are refused', () => {
  const { sets, chain } = setHistory();
  const [s0, s1, s2] = sets as [(typeof sets)[0], (typeof sets)[0], (typeof sets)[0]];
  const [l10, l20] = chain as [ValidatorSetChange, ValidatorSetChange];
  const code = (r: ReturnType<typeof verifyValidatorSetChain>) => (r.ok ? 'ok' : `${r.link}:${r.code}`);
  assert.equal(code(verifyValidatorSetChain(s0.set, [l20])), '0:MER_LEDGER_UNTRUSTED_VALIDATOR_SET', 'skipped link');
  assert.equal(code(verifyValidatorSetChain(s0.set, [l20, l10])), '0:MER_LEDGER_UNTRUSTED_VALIDATOR_SET', 'reordered');
  assert.equal(code(verifyValidatorSetChain(s0.set, [l10, l10])), '1:MER_LEDGER_VALIDATOR_SET_MISMATCH', 'repeated');
  assert.equal(code(verifyValidatorSetChain(s1.set, [l10])), '0:MER_LEDGER_UNTRUSTED_VALIDATOR_SET');
  // The next set carried is not the one the certified header names.
  assert.equal(
    code(verifyValidatorSetChain(s0.set, [{ ...l10, nextValidatorSet: s2.set }])),
    '0:MER_LEDGER_BAD_VALIDATOR_SET_CHAIN',
  );
  // A link certified by too few of the outgoing set.
  const weak = block({ vals: s0, txs: [], height: 10, nextSet: s1.set, signers: ['hospital-a', 'hub'] });
  assert.equal(
    code(verifyValidatorSetChain(s0.set, [{ ...weak, nextValidatorSet: s1.set }])),
    '0:MER_LEDGER_INSUFFICIENT_SIGNATURES',
  );
  // A link whose height does not advance past the previous change.
  const early = block({ vals: s1, txs: [], height: 10, nextSet: s2.set });
  assert.equal(
    code(verifyValidatorSetChain(s0.set, [l10, { ...early, nextValidatorSet: s2.set }])),
    '1:MER_LEDGER_BAD_VALIDATOR_SET_CHAIN',
  );
  // A hand-over to another chain's validators, certified by this chain's set.
  const staging = validators(['hospital-a', 'hospital-b', 'hospital-c', 'hub'], 'meridian-staging');
  const hop = block({ vals: s0, txs: [], height: 10, nextSet: staging.set });
  assert.equal(
    code(verifyValidatorSetChain(s0.set, [{ ...hop, nextValidatorSet: staging.set }])),
    '0:MER_LEDGER_WRONG_CHAIN',
  );

  // A receipt from before the last change's start height, signed by the new set: refused.
  const t = tx({ label: 'backdated' });
  const b = block({ vals: s2, txs: [t], height: 20 });
  const backdated = verifyReceipt(
    buildReceipt({ txs: [t], txIndex: 0, ...b, validatorSet: s2.set, validatorSetChain: chain }),
    s0.set,
  );
  assert.ok(
    !backdated.ok && backdated.check === 'validator-set' && backdated.code === 'MER_LEDGER_BAD_VALIDATOR_SET_CHAIN',
  );
  // A receipt whose carried set is not where the chain ends.
  const b2 = block({ vals: s2, txs: [t], height: 30 });
  const r = buildReceipt({ txs: [t], txIndex: 0, ...b2, validatorSet: s2.set, validatorSetChain: chain });
  const mismatch = verifyReceipt({ ...r, validatorSet: s1.set }, s0.set);
  assert.ok(!mismatch.ok && mismatch.code === 'MER_LEDGER_VALIDATOR_SET_MISMATCH');
  // A validator that was removed (hospital-b left at height 20) cannot help certify a later block.
  const late = block({ vals: s1, txs: [t], height: 30, signers: ['hospital-a', 'hospital-b', 'hospital-c', 'hub'] });
  const withRemoved = {
    ...r,
    certificate: {
      ...r.certificate,
      signatures: [
        ...r.certificate.signatures.slice(0, 2),
        signCommit({
          header: r.header,
          view: 0,
          signer: 'hospital-b',
          privateKey: s1.keys.get('hospital-b') as KeyObject,
        }),
      ],
    },
  };
  const removed = verifyReceipt(withRemoved, s0.set);
  assert.ok(!removed.ok && removed.code === 'MER_LEDGER_UNKNOWN_SIGNER');
  // The old set signing a block after it was replaced is not trusted by a verifier that knows the new set.
  const stale = buildReceipt({ txs: [t], txIndex: 0, ...late, validatorSet: s1.set });
  const staleResult = verifyReceipt(stale, s2.set);
  assert.ok(!staleResult.ok && staleResult.code === 'MER_LEDGER_UNTRUSTED_VALIDATOR_SET');
});

test('I6: two-level receipts: every entry of a batch is proven, a changed entry is not', () => {
  const list = entries(33, 'big');
  const batch = buildBatch(list);
  for (let i = 0; i < list.length; i += 1) {
    const p = entryProof(batch, i);
    assert.ok(verifyEntryInBatch(list[i], p, batch.commitment));
    assert.equal(verifyEntryInBatch({ ...list[i], time: 0 }, p, batch.commitment), false);
    assert.equal(verifyEntryInBatch(list[i], { ...p, index: (i + 1) % 33 }, batch.commitment), false);
  }
  assert.equal(verifyEntryInBatch(list[0], entryProof(batch, 0), { ...batch.commitment, root: 'zz' }), false);
  // Receipts for many entries of one block reuse one tree.
  const s = scenario();
  const txTree = txTreeOf(s.txs);
  for (let e = 0; e < 7; e += 1) {
    const receipt = buildReceipt({
      txs: s.txs,
      txIndex: 2,
      header: s.header,
      certificate: s.certificate,
      validatorSet: s.vals.set,
      txTree,
      entry: { batch: s.batch, index: e },
    });
    assert.ok(verifyReceipt(receipt, s.vals.set).ok);
  }
});
