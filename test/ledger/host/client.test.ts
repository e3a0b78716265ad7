/**
 * LedgerClient.commit against four validator processes: transactions committed at the same moment travel
 * together (one submission per validator, one receipt wait for the lot) and each still gets its own verified
 * receipt and outcome; a refusal at admission is reported at once; the validators' batch receipt route answers
 * only what is certified and names a malformed request.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { httpsRequestJson } from '../../../src/ca/index.ts';
import { LedgerClient, TxRefused } from '../../../src/ledger/host/index.ts';
import { type Receipt, verifyReceipt } from '../../../src/ledger/receipt.ts';
import { signTransaction } from '../../../src/ledger/transaction.ts';
import type { Proc } from '../../integration/processes.ts';
import { type ClusterFiles, makeClusterFiles, notarizeTx, startValidatorProcess } from './cluster.ts';

let files: ClusterFiles;
let client: LedgerClient;
const procs: Proc[] = [];

before(async () => {
  files = await makeClusterFiles({ n: 4 });
  for (const v of files.config.validators) procs.push(await startValidatorProcess(files, v.name));
  client = new LedgerClient({ config: files.config, tls: files.clientTls });
});

after(async () => {
  client?.close();
  for (const p of procs) p.child.kill('SIGKILL');
  await files?.cleanup();
});

test('forty transactions committed at once each resolve with their own verified receipt and outcome', {
  timeout: 60_000,
}, async () => {
  const txs = Array.from({ length: 40 }, () => notarizeTx(files, { root: randomBytes(32).toString('hex'), size: 8 }));
  const committed = await Promise.all(txs.map((tx) => client.commit(tx, { timeoutMs: 30_000 })));
  const set = { chainId: files.config.chainId, validators: committed[0]?.receipt.validatorSet.validators ?? [] };
  assert.equal(new Set(committed.map((c) => c.txHash)).size, 40, 'forty distinct transactions');
  committed.forEach((c, i) => {
    assert.deepEqual(c.receipt.tx, txs[i], `receipt ${i} is of transaction ${i}`);
    const check = verifyReceipt(c.receipt, [set]);
    assert.ok(check.ok, `receipt ${i} verifies: ${JSON.stringify(check)}`);
    assert.equal(check.ok && check.height, c.height);
    assert.deepEqual(c.outcome, { ok: true });
  });
  // They shared blocks: far fewer blocks than transactions.
  assert.ok(new Set(committed.map((c) => c.height)).size < 40);
  // The same transaction again resolves with the receipt it already has.
  const again = await client.commit(txs[0] as (typeof txs)[number], { timeoutMs: 10_000 });
  assert.equal(again.txHash, committed[0]?.txHash);
  assert.equal(again.height, committed[0]?.height);
});

test('a transaction the validators refuse at admission rejects at once with their code', {
  timeout: 30_000,
}, async () => {
  const stranger = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forged = signTransaction(
    {
      chainId: files.config.chainId,
      kind: 'notarize.batch',
      institution: files.clientName,
      nonce: randomBytes(16).toString('hex'),
      payload: { batch: { root: randomBytes(32).toString('hex'), size: 1 }, source: 'test' },
    },
    stranger,
  );
  const good = notarizeTx(files, { root: randomBytes(32).toString('hex'), size: 2 });
  const [bad, fine] = await Promise.allSettled([
    client.commit(forged, { timeoutMs: 20_000 }),
    client.commit(good, { timeoutMs: 20_000 }),
  ]);
  assert.equal(bad.status, 'rejected');
  const e = (bad as PromiseRejectedResult).reason;
  assert.ok(e instanceof TxRefused, String(e));
  assert.equal(e.code, 'MER_LEDGER_BAD_SIGNATURE');
  assert.equal(fine.status, 'fulfilled', 'a refused neighbour in the same batch does not hold the others back');
});

test('POST /v1/receipts answers the certified among the hashes asked, and names a malformed body', {
  timeout: 30_000,
}, async () => {
  const tx = notarizeTx(files, { root: randomBytes(32).toString('hex'), size: 3 });
  const { txHash } = await client.commit(tx, { timeoutMs: 20_000 });
  const unknown = randomBytes(32).toString('hex');
  const v = files.config.validators[0] as (typeof files.config.validators)[number];
  const url = `https://${v.host}:${v.apiPort}/v1/receipts`;
  const ask = (body: unknown) =>
    httpsRequestJson({ url, method: 'POST', body, tls: files.clientTls, expect: { name: v.name }, timeoutMs: 10_000 });
  const started = Date.now();
  const res = await ask({ txHashes: [unknown, txHash], waitMs: 5_000 });
  assert.ok(Date.now() - started < 4_000, 'a certified hash is answered without waiting out waitMs');
  assert.equal(res.status, 200);
  const receipts = (res.body as { receipts: Record<string, { receipt: Receipt; outcome: unknown }> }).receipts;
  assert.deepEqual(Object.keys(receipts), [txHash]);
  assert.deepEqual(receipts[txHash]?.outcome, { ok: true });
  assert.deepEqual(receipts[txHash]?.receipt.tx, tx);

  const none = await ask({ txHashes: [unknown], waitMs: 300 });
  assert.deepEqual(none.body, { receipts: {} });

  const bad = await ask({ txHashes: ['not-a-hash'], waitMs: 0 });
  assert.equal(bad.status, 400);
  assert.equal((bad.body as { error: { code: string } }).error.code, 'MER_LEDGER_MALFORMED_RECEIPT');
  assert.match((bad.body as { error: { message: string } }).error.message, /txHashes/);
});
