import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BoundedLru,
  createLedgerApplication,
  digestsOfBody,
  nonceTimeMs,
  nonceWithTime,
  type PayloadOf,
  txDigests,
} from '../../../src/ledger/contracts/index.ts';
import {
  canonicalize,
  publicKeyHex,
  type SignedTransaction,
  txContentHash,
  txHash,
} from '../../../src/ledger/index.ts';
import { CHAIN_ID, tx as coreTx } from '../fixtures.ts';
import { Harness, h, institutionKey, T0, testGenesis } from './harness.ts';

function notarize(hx: Harness, label: string, opts: { timeMs?: number; institution?: string } = {}): SignedTransaction {
  return hx.tx(
    opts.institution ?? 'hospital-a',
    'notarize.batch',
    {
      batch: { root: h(label), size: 3 },
      type: 'ods-file',
      source: 'his',
      location: `ods/${label}`,
      at: '2025-06-15T08:00:00Z',
    },
    { ...(opts.timeMs === undefined ? {} : { timeMs: opts.timeMs }), label },
  );
}

test('txDigests equals the core txHash and txContentHash', () => {
  const hx = new Harness();
  const t = notarize(hx, 'digest');
  const d = txDigests(t);
  assert.ok('txHash' in d);
  assert.equal(d.txHash, txHash(t));
  assert.equal(d.contentHash, txContentHash(t.body));
});

test('a valid transaction passes checkTx and is applied', () => {
  const hx = new Harness();
  const t = notarize(hx, 'ok');
  assert.deepEqual(hx.app.checkTx(t), { ok: true });
  const out = hx.ok(t);
  assert.ok(out.ok && out.events?.[0]?.type === 'notary.batch');
});

test('a tampered transaction is refused MER_LEDGER_BAD_SIGNATURE by checkTx and by every validator in a block', () => {
  const hx = new Harness();
  const good = notarize(hx, 'tamper');
  const tampered: SignedTransaction = {
    ...good,
    body: { ...good.body, payload: { ...good.body.payload, location: 'ods/elsewhere' } },
  };
  // Validator 1 has the original in its signature cache (checkTx), validator 2 has never seen anything.
  const warm = createLedgerApplication(testGenesis());
  const cold = createLedgerApplication(testGenesis());
  assert.deepEqual(warm.checkTx(good), { ok: true });
  const checked = warm.checkTx(tampered);
  assert.equal(checked.ok, false);
  assert.equal(!checked.ok && checked.code, 'MER_LEDGER_BAD_SIGNATURE');
  const block = { height: 1, proposer: 'hub', proposerTime: T0 + 1_000, txs: [tampered, good] };
  const r1 = warm.finalizeBlock(block);
  const r2 = cold.finalizeBlock(block);
  assert.deepEqual(r1, r2);
  assert.equal(r1.results[0]?.ok, false);
  assert.match(JSON.stringify(r1.results[0]), /MER_LEDGER_BAD_SIGNATURE.*hospital-a's registered key/);
  assert.equal(r1.results[1]?.ok, true);
  // A signature swapped in from another transaction is refused too.
  const other = notarize(hx, 'other');
  const swapped = { body: good.body, signature: other.signature };
  const r3 = cold.finalizeBlock({ ...block, txs: [swapped] });
  assert.equal(!r3.results[0]?.ok && r3.results[0]?.code, 'MER_LEDGER_BAD_SIGNATURE');
});

test('a transaction signed by another institution key than the one it names is refused', () => {
  const hx = new Harness();
  const byB = notarize(hx, 'impostor', { institution: 'hospital-b' });
  const claimed = { ...byB, body: { ...byB.body, institution: 'hospital-a' } };
  assert.equal((hx.app.checkTx(claimed) as { code: string }).code, 'MER_LEDGER_BAD_SIGNATURE');
});

test('malformed envelopes are refused MER_LEDGER_MALFORMED_TX naming the field', () => {
  const hx = new Harness();
  const good = notarize(hx, 'shape');
  const cases: [unknown, RegExp][] = [
    [null, /object/],
    [{ ...good, extra: 1 }, /exactly the keys/],
    [{ ...good, signature: 'AB' }, /signature/],
    [{ ...good, body: { ...good.body, nonce: 'xyz' } }, /nonce/],
    [{ ...good, body: { ...good.body, extra: true } }, /body/],
    [{ ...good, body: { ...good.body, payload: { n: Number.NaN } } }, /canonical JSON/],
  ];
  for (const [t, pattern] of cases) {
    const out = hx.app.checkTx(t as SignedTransaction);
    assert.equal(out.ok, false);
    assert.equal(!out.ok && out.code, 'MER_LEDGER_MALFORMED_TX', JSON.stringify(out));
    assert.match(!out.ok ? out.message : '', pattern);
  }
});

test('unknown institution, wrong chain, unknown kind and bad payload are refused with their codes', () => {
  const hx = new Harness();
  const stranger = coreTx({ institution: 'hospital-z', kind: 'notarize.batch', label: 'z' });
  assert.match(JSON.stringify(hx.app.checkTx(stranger)), /MER_LEDGER_UNKNOWN_SIGNER.*hospital-z/);
  const wrongChain = coreTx({ chainId: 'meridian-other', kind: 'notarize.batch', label: 'c' });
  assert.match(JSON.stringify(hx.app.checkTx(wrongChain)), /MER_LEDGER_WRONG_CHAIN.*meridian-other/);
  const unknownKind = coreTx({ kind: 'request.create', label: 'k' });
  assert.match(JSON.stringify(hx.app.checkTx(unknownKind)), /MER_CONTRACT_UNKNOWN_KIND.*request\.create/);
  const badPayload = hx.raw('hospital-a', 'notarize.batch', {
    batch: { root: 'nothex', size: 3 },
    type: 'ods-file',
    source: 'his',
    location: 'x',
    at: '2025-06-15T08:00:00Z',
  });
  const out = hx.app.checkTx(badPayload);
  assert.equal(!out.ok && out.code, 'MER_CONTRACT_INVALID_PAYLOAD');
  assert.match(!out.ok ? out.message : '', /payload\.batch\.root/);
});

test('a replay of an applied transaction is refused MER_LEDGER_DUPLICATE_TX, in the same block too', () => {
  const hx = new Harness();
  const t = notarize(hx, 'replay');
  const res = hx.block([t, t]);
  assert.equal(res.results[0]?.ok, true);
  assert.equal(!res.results[1]?.ok && res.results[1]?.code, 'MER_LEDGER_DUPLICATE_TX');
  assert.equal((hx.app.checkTx(t) as { code: string }).code, 'MER_LEDGER_DUPLICATE_TX');
  hx.refused(t, 'MER_LEDGER_DUPLICATE_TX', /fresh nonce/);
  // The same payload under a fresh nonce is a new transaction: the contract, not replay refusal, decides.
  const again = hx.tx('hospital-a', 'notarize.batch', t.body.payload as PayloadOf<'notarize.batch'>, {
    label: 'fresh',
  });
  hx.refused(again, 'MER_CONTRACT_EXISTS', /was notarized by hospital-a at height 1/);
});

test('nonce time window: too old or too far ahead is refused; expired dedup keys are pruned', () => {
  const hx = new Harness();
  hx.block([], 60 * 60_000);
  const stale = notarize(hx, 'stale', { timeMs: hx.time - 11 * 60_000 });
  assert.match(JSON.stringify(hx.app.checkTx(stale)), /MER_LEDGER_NONCE_OUT_OF_WINDOW.*before the block time/);
  const future = notarize(hx, 'future', { timeMs: hx.time + 5 * 60_000 });
  assert.deepEqual(hx.app.checkTx(future), { ok: true }, 'checkTx does not check ahead (its time lags)');
  hx.refused(future, 'MER_LEDGER_NONCE_OUT_OF_WINDOW', /after the block time/);
  const t = notarize(hx, 'prune');
  hx.ok(t);
  const before = (hx.app.exportState() as { records: [string, unknown][] }).records.filter(([k]) =>
    k.startsWith('dedup/'),
  );
  assert.equal(before.length, 1);
  hx.block([], 11 * 60_000);
  const after = (hx.app.exportState() as { records: [string, unknown][] }).records.filter(([k]) =>
    k.startsWith('dedup/'),
  );
  assert.equal(after.length, 0, 'the dedup key expired with its nonce window');
  hx.refused(t, 'MER_LEDGER_NONCE_OUT_OF_WINDOW');
});

test('block time never goes backwards: a proposer time in the past uses the previous block time', () => {
  const hx = new Harness();
  hx.block([], 10 * 60_000);
  const t = notarize(hx, 'back');
  const res = hx.app.finalizeBlock({ height: 2, proposer: 'hub', proposerTime: T0, txs: [t] });
  assert.equal(res.results[0]?.ok, true);
  hx.app.commit();
  assert.equal((hx.app.query('status') as { blockTime: number }).blockTime, hx.time);
});

test('nonces carry their time in the first 48 bits', () => {
  const n = nonceWithTime(T0, Buffer.alloc(10, 0xab));
  assert.equal(n.length, 32);
  assert.equal(nonceTimeMs(n), T0);
  assert.throws(() => nonceWithTime(-1, Buffer.alloc(10)), { code: 'MER_LEDGER_MALFORMED_TX' });
});

test('BoundedLru keeps the most recently used entries within its capacity', () => {
  const lru = new BoundedLru<string, number>(2);
  lru.set('a', 1);
  lru.set('b', 2);
  assert.equal(lru.get('a'), 1);
  lru.set('c', 3);
  assert.equal(lru.get('b'), undefined);
  assert.equal(lru.get('a'), 1);
  assert.equal(lru.size, 2);
  assert.throws(() => new BoundedLru(0));
});

test('a signature cache of size 1 gives the same outcomes as a large one', () => {
  const a = createLedgerApplication(testGenesis(), { signatureCacheSize: 1 });
  const b = createLedgerApplication(testGenesis());
  const hx = new Harness();
  const txs = [notarize(hx, 'c1'), notarize(hx, 'c2'), notarize(hx, 'c3')];
  for (const t of txs) b.checkTx(t);
  const block = { height: 1, proposer: 'hub', proposerTime: T0 + 1_000, txs };
  assert.deepEqual(a.finalizeBlock(block), b.finalizeBlock(block));
  assert.equal(CHAIN_ID, txs[0]?.body.chainId);
});

test('C1: a refused transaction writes nothing, not even its dedup key', () => {
  const hx = new Harness();
  const before = canonicalize((hx.app.exportState() as { records: unknown }).records);
  const decide = hx.tx('hospital-a', 'request.decide', { requestId: 'r1', decision: 'approve', commentHash: h('c') });
  hx.refused(decide, 'MER_CONTRACT_NOT_FOUND', /payload\.requestId: no request "r1"/);
  assert.equal(canonicalize((hx.app.exportState() as { records: unknown }).records), before);
  // Once the request exists, the very same transaction (still within its nonce window) is accepted.
  hx.request('r1');
  hx.ok(decide);
});

test("the host's signature check stands only when it used the signer's registered key", () => {
  const hx = new Harness();
  const good = notarize(hx, 'host-checked');
  const tampered: SignedTransaction = {
    ...good,
    body: { ...good.body, payload: { ...good.body.payload, location: 'ods/elsewhere' } },
  };
  const bodyBytes = (t: SignedTransaction) => Buffer.from(canonicalize(t.body), 'utf8');
  const registered = publicKeyHex(institutionKey('hospital-a'));
  const app = createLedgerApplication(testGenesis());
  // Verified by the host under a key the ledger does not register for hospital-a: the app verifies for itself.
  const stranger = publicKeyHex(institutionKey('hospital-b'));
  const refused = app.checkTx(tampered, { bodyBytes: bodyBytes(tampered), verifiedWith: stranger });
  assert.equal(!refused.ok && refused.code, 'MER_LEDGER_BAD_SIGNATURE');
  // Under the registered key the host's check stands, and the block that carries it needs no second verification:
  // its digests are the same as from serializing the envelope, so the cache entry is found.
  assert.deepEqual(app.checkTx(good, { bodyBytes: bodyBytes(good), verifiedWith: registered }), { ok: true });
  const fresh = createLedgerApplication(testGenesis());
  const block = { height: 1, proposer: 'hub', proposerTime: T0 + 1_000, txs: [good] };
  assert.deepEqual(app.finalizeBlock(block), fresh.finalizeBlock(block));
  const d = txDigests(good);
  assert.ok('txHash' in d);
  assert.deepEqual(digestsOfBody(good.signature, bodyBytes(good)), d);
});
