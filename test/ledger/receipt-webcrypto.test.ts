/**
 * The portal's WebCrypto receipt verifier (src/ledger/receipt-webcrypto.ts), run under Node's WebCrypto: it
 * accepts real receipts (transaction, entry, across validator-set changes) and, on every tampered or removed
 * field, reaches the same verdict, check and error code as the node:crypto verifier (receipt.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  blockHeaderHash,
  buildReceipt,
  type Receipt,
  txHash,
  type ValidatorSet,
  validatorSetHash,
  verifyReceipt,
} from '../../src/ledger/index.ts';
import { validatorSetHashWeb, verifyReceiptWeb, WEB_RECEIPT_CHECKS } from '../../src/ledger/receipt-webcrypto.ts';
import { block, entryReceipt, scenario, setHistory, tx, txReceipt, validators } from './fixtures.ts';
import { edit, leafPaths, nodePaths, tweak } from './tamper.ts';

/** Both verifiers on one input: the same verdict, and on failure the same check and code. */
async function assertSameVerdict(input: unknown, trusted: ValidatorSet[], what: string): Promise<boolean> {
  const node = verifyReceipt(input, trusted);
  const web = await verifyReceiptWeb(input, trusted);
  assert.equal(web.ok, node.ok, `${what}: web ${JSON.stringify(web)} vs node ${JSON.stringify(node)}`);
  if (!web.ok && !node.ok) {
    assert.ok((WEB_RECEIPT_CHECKS as readonly string[]).includes(web.check), what);
    assert.equal(web.check, node.check, `${what}: ${web.message} / ${node.message}`);
    assert.equal(web.code, node.code, `${what}: ${web.message} / ${node.message}`);
  }
  return web.ok;
}

/** Tweaks every leaf and removes every node of the receipt; each must fail in both verifiers alike. */
async function assertEveryTamperFails(receipt: Receipt, trusted: ValidatorSet[]): Promise<number> {
  assert.equal(await assertSameVerdict(receipt, trusted, 'untampered'), true);
  let count = 0;
  for (const path of leafPaths(receipt)) {
    const tampered = edit(receipt, path, (p, k) => {
      p[k] = tweak(p[k]);
    });
    assert.equal(await assertSameVerdict(tampered, trusted, `tweak ${path.join('.')}`), false);
    count += 1;
  }
  for (const path of nodePaths(receipt)) {
    // Without its entry part, an entry receipt is the (valid, weaker) receipt of its transaction.
    if (path.length === 1 && path[0] === 'entry') continue;
    const removed = edit(receipt, path, (p, k) => {
      if (Array.isArray(p)) p.splice(k as number, 1);
      else delete p[k];
    });
    assert.equal(await assertSameVerdict(removed, trusted, `remove ${path.join('.')}`), false);
    count += 1;
  }
  return count;
}

test('I14: the WebCrypto verifier accepts real transaction and entry receipts and says what they prove', async () => {
  const s = scenario();
  for (let i = 0; i < s.txs.length; i += 1) {
    const r = await verifyReceiptWeb(JSON.parse(JSON.stringify(txReceipt(s, i))), [s.vals.set]);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.txHash, txHash(s.txs[i] as (typeof s.txs)[0]));
    assert.equal(r.txIndex, i);
    assert.equal(r.headerHash, blockHeaderHash(s.header));
    assert.equal(r.validatorSetHash, validatorSetHash(s.vals.set));
    assert.deepEqual([...r.signers].sort(), ['hospital-a', 'hospital-c', 'hub']);
  }
  const e = await verifyReceiptWeb(entryReceipt(s, 3), [s.vals.set]);
  assert.ok(e.ok && e.entry?.index === 3, JSON.stringify(e));
  assert.equal(await validatorSetHashWeb(s.vals.set), validatorSetHash(s.vals.set));
});

test('I14: the WebCrypto verifier fails on every tampered field of a transaction receipt, as receipt.ts does', async () => {
  const s = scenario();
  assert.ok((await assertEveryTamperFails(txReceipt(s), [s.vals.set])) > 60);
});

test('I14: the WebCrypto verifier fails on every tampered field of an entry receipt, as receipt.ts does', async () => {
  const s = scenario();
  assert.ok((await assertEveryTamperFails(entryReceipt(s, 5), [s.vals.set])) > 80);
});

test('I15: the WebCrypto verifier follows validator-set changes and fails on every tampered link', async () => {
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
  const oldest = (sets[0] as (typeof sets)[0]).set;
  const ok = await verifyReceiptWeb(receipt, [oldest]);
  assert.ok(ok.ok && ok.validatorSetHash === validatorSetHash(s2.set), JSON.stringify(ok));
  assert.ok((await assertEveryTamperFails(receipt, [oldest])) > 200);
});

test('I14: forged, too few and non-member signatures, and an untrusted set, are named by code', async () => {
  const s = scenario();
  const receipt = txReceipt(s);
  const other = scenario(['hospital-a', 'hospital-b', 'hospital-c']);
  const tooFew = JSON.parse(JSON.stringify(receipt)) as Receipt;
  tooFew.certificate.signatures.pop();
  const cases: [unknown, ValidatorSet[], string][] = [
    [tooFew, [s.vals.set], 'MER_LEDGER_INSUFFICIENT_SIGNATURES'],
    [receipt, [validators(['hospital-x', 'hospital-y', 'hub-2']).set], 'MER_LEDGER_UNTRUSTED_VALIDATOR_SET'],
    [
      edit(receipt, ['certificate', 'signatures', 1, 'signature'], (p, k) => {
        p[k] = (other.certificate.signatures[1] as { signature: string }).signature;
      }),
      [s.vals.set],
      'MER_LEDGER_BAD_SIGNATURE',
    ],
    [
      edit(receipt, ['certificate', 'signatures', 2, 'signer'], (p, k) => {
        p[k] = 'hospital-z';
      }),
      [s.vals.set],
      'MER_LEDGER_UNKNOWN_SIGNER',
    ],
  ];
  for (const [input, trusted, code] of cases) {
    const r = await verifyReceiptWeb(input, trusted);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.code, code, r.message);
  }
});
