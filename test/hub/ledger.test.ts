/**
 * The hub's ledger explorer routes, in-process (inject) against a real cluster of four validator processes over
 * mutual TLS: roles, the validators' status (each asked itself; one stopped shows unreachable), block list and
 * detail without payloads, the bounded search by kind / institution / time with its cursor, receipts that verify
 * with both the node:crypto and the WebCrypto verifier, the audit trail, and a hub without a ledger.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { issueIdentity, loadTlsMaterial } from '../../src/ca/index.ts';
import { loadConfig } from '../../src/config/load.ts';
import { buildHubApp, type HubApps } from '../../src/hub/app.ts';
import type { BlockDetail, BlockList, TxSearch, ValidatorStatusList } from '../../src/hub/ledger/schemas.ts';
import { HUB_MIGRATIONS, type HubDatabase } from '../../src/hub/schema.ts';
import { LedgerClient } from '../../src/ledger/host/index.ts';
import { verifyReceipt } from '../../src/ledger/receipt.ts';
import { verifyReceiptWeb } from '../../src/ledger/receipt-webcrypto.ts';
import { signTransaction } from '../../src/ledger/transaction.ts';
import { openDatabase } from '../../src/store/index.ts';
import type { Proc } from '../integration/processes.ts';
import { type ClusterFiles, makeClusterFiles, notarizeTx, startValidatorProcess } from '../ledger/host/cluster.ts';
import { freshDatabase } from '../store/targets.ts';
import { signInUsers, startTestHub } from './test-hub.ts';

const PATIENT_TOKEN = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

let files: ClusterFiles;
const procs = new Map<string, Proc>();
let hub: HubApps;
let tokens: Record<string, string>;
let closeStore: () => Promise<void>;
let cleanupDb: () => Promise<void>;
let dataDir: string;
const committed: { txHash: string; height: number; kind: string }[] = [];

before(
  async () => {
    files = await makeClusterFiles({ n: 4, consensus: { viewChangeTimeoutMs: 2_000, syncIntervalMs: 500 } });
    const names = files.config.validators.map((v) => v.name);
    // The machine is shared: give the validator processes time to start.
    await Promise.all(
      names.map(async (n) => procs.set(n, await startValidatorProcess(files, n, { readyTimeoutMs: 240_000 }))),
    );
    await issueIdentity({ dir: files.caDir, name: 'hub', role: 'hub' });
    dataDir = mkdtempSync(join(tmpdir(), 'hub-ledger-'));
    const fresh = freshDatabase();
    cleanupDb = fresh.cleanup;
    const store = await openDatabase<HubDatabase>({ ...fresh.options, migrations: HUB_MIGRATIONS });
    closeStore = store.close;
    const config = loadConfig({
      role: 'hub',
      env: {},
      overrides: {
        dataDir,
        pki: { caDir: files.caDir, identity: 'hub' },
        hub: { ledger: { configFile: files.configPath } },
      },
    });
    hub = await buildHubApp({
      config,
      db: store.db,
      tls: loadTlsMaterial({ dir: files.caDir, name: 'hub' }),
      sessionKey: new Uint8Array(32).fill(5),
    });
    tokens = await signInUsers(hub, [
      ['auditor', 'auditor', null],
      ['admin', 'admin', null],
      ['researcher', 'researcher', null],
    ]);
    const client = new LedgerClient({ config: files.config, tls: files.clientTls });
    try {
      for (let i = 0; i < 3; i += 1) {
        const r = await client.submitAndWait(notarizeTx(files, { root: randomBytes(32).toString('hex'), size: 5 }), {
          timeoutMs: 30_000,
        });
        committed.push({ txHash: r.txHash, height: r.height, kind: 'notarize.batch' });
      }
      const access = signTransaction(
        {
          chainId: files.config.chainId,
          kind: 'access.record',
          institution: files.clientName,
          nonce: randomBytes(16).toString('hex'),
          payload: {
            patientToken: PATIENT_TOKEN,
            hospital: files.clientName,
            at: new Date().toISOString(),
            breakGlass: false,
          },
          user: { id: 'dr-wang', role: 'clinician' },
        },
        files.clientKey,
      );
      const r = await client.submitAndWait(access, { timeoutMs: 30_000 });
      committed.push({ txHash: r.txHash, height: r.height, kind: 'access.record' });
    } finally {
      client.close();
    }
  },
  { timeout: 400_000 },
);

after(async () => {
  await hub?.close();
  await closeStore?.();
  await cleanupDb?.();
  for (const p of procs.values()) p.child.kill('SIGKILL');
  await files?.cleanup();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const get = (url: string, user?: string) =>
  hub.userApp.inject({
    method: 'GET',
    url,
    headers: user === undefined ? {} : { authorization: `Bearer ${tokens[user]}` },
  });

test('only auditors and administrators reach the ledger routes', async () => {
  const hash = committed[0]?.txHash as string;
  const urls = [
    '/api/ledger/validator-set',
    '/api/ledger/validators',
    '/api/ledger/blocks',
    '/api/ledger/blocks/1',
    '/api/ledger/txs',
    `/api/ledger/txs/${hash}/receipt`,
  ];
  for (const url of urls) {
    assert.equal((await get(url, 'researcher')).statusCode, 403, url);
    assert.equal((await get(url)).statusCode, 401, url);
  }
  assert.equal((await get('/api/ledger/validator-set', 'admin')).statusCode, 200);
});

test('validator status: every validator answers for itself with height, view, lag and last seen', async () => {
  const res = await get('/api/ledger/validators', 'auditor');
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json() as ValidatorStatusList;
  assert.equal(body.chainId, files.config.chainId);
  assert.deepEqual(
    body.validators.map((v) => v.name),
    files.config.validators.map((v) => v.name),
  );
  const top = Math.max(...committed.map((c) => c.height));
  assert.ok(body.highest !== null && body.highest >= top);
  for (const v of body.validators) {
    assert.equal(v.reachable, true, JSON.stringify(v));
    assert.ok(v.height !== null && v.height >= 1);
    assert.equal(v.lag, (body.highest as number) - (v.height as number));
    assert.equal(typeof v.view, 'number');
    assert.ok(v.lastSeen !== null && !Number.isNaN(Date.parse(v.lastSeen)));
    assert.equal(v.error, null);
  }
});

test('blocks: newest first with hashes, paged by height; a block lists its transactions without payloads', async () => {
  const res = await get('/api/ledger/blocks?limit=2', 'auditor');
  assert.equal(res.statusCode, 200, res.body);
  const page = res.json() as BlockList;
  assert.equal(page.blocks.length, Math.min(2, page.tip));
  assert.equal(page.blocks[0]?.height, page.tip);
  assert.ok(page.blocks.every((b, i) => i === 0 || b.height === (page.blocks[i - 1]?.height as number) - 1));
  if (page.tip > 2) {
    assert.equal(page.nextBefore, page.tip - 1);
    const next = (await get(`/api/ledger/blocks?before=${page.nextBefore}&limit=50`, 'auditor')).json() as BlockList;
    assert.equal(next.blocks[0]?.height, page.tip - 2);
    assert.equal(next.nextBefore, null);
  }

  const access = committed.find((c) => c.kind === 'access.record') as (typeof committed)[0];
  const detail = await get(`/api/ledger/blocks/${access.height}`, 'auditor');
  assert.equal(detail.statusCode, 200, detail.body);
  const block = detail.json() as BlockDetail;
  assert.equal(block.block.height, access.height);
  assert.equal(block.check.txRootMatches, true);
  assert.ok(['verified', 'absent'].includes(block.check.certificate), JSON.stringify(block.check));
  const tx = block.txs.find((t) => t.txHash === access.txHash);
  assert.ok(tx, detail.body);
  assert.equal(tx.kind, 'access.record');
  assert.equal(tx.institution, files.clientName);
  assert.deepEqual(tx.user, { id: 'dr-wang', role: 'clinician' });
  assert.equal(tx.subject, null);
  assert.ok(!detail.body.includes(PATIENT_TOKEN), 'no patient token in the explorer');
  assert.ok(!detail.body.includes('payload'), 'no payload in the explorer');

  const missing = await get('/api/ledger/blocks/999999', 'auditor');
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().error.code, 'MER_LEDGER_NOT_FOUND');
  assert.equal((await get('/api/ledger/blocks/0', 'auditor')).statusCode, 400);
  assert.equal((await get('/api/ledger/blocks?limit=51', 'auditor')).statusCode, 400);
});

test('search: by kind, institution and time, newest first, continued from nextBefore', async () => {
  const byKind = (await get('/api/ledger/txs?kind=notarize.batch', 'auditor')).json() as TxSearch;
  const notarized = committed.filter((c) => c.kind === 'notarize.batch').map((c) => c.txHash);
  assert.deepEqual(byKind.txs.map((t) => t.txHash).sort(), [...notarized].sort());
  assert.ok(byKind.txs.every((t, i) => i === 0 || t.height <= (byKind.txs[i - 1]?.height as number)));
  assert.ok(byKind.txs.every((t) => t.subject?.startsWith('batch:')));

  const other = (await get('/api/ledger/txs?institution=validator-a', 'auditor')).json() as TxSearch;
  assert.equal(other.txs.length, 0);
  const mine = (await get(`/api/ledger/txs?institution=${files.clientName}`, 'auditor')).json() as TxSearch;
  assert.equal(mine.txs.length, committed.length);
  assert.ok(!JSON.stringify(mine).includes(PATIENT_TOKEN));

  const future = new Date(Date.now() + 3_600_000).toISOString();
  const none = (await get(`/api/ledger/txs?from=${encodeURIComponent(future)}`, 'auditor')).json() as TxSearch;
  assert.equal(none.txs.length, 0);
  assert.ok(none.scanned !== null);
  const past = new Date(Date.now() - 3_600_000).toISOString();
  const all = (
    await get(`/api/ledger/txs?from=${encodeURIComponent(past)}&to=${encodeURIComponent(future)}`, 'auditor')
  ).json() as TxSearch;
  assert.equal(all.txs.length, committed.length);

  // One at a time through the cursor: every committed transaction once, newest first.
  const seen: string[] = [];
  let before: number | null = null;
  for (let round = 0; round < 20; round += 1) {
    const url: string = `/api/ledger/txs?limit=1${before === null ? '' : `&before=${before}`}`;
    const page = (await get(url, 'auditor')).json() as TxSearch;
    seen.push(...page.txs.map((t) => t.txHash));
    before = page.nextBefore;
    if (before === null) break;
  }
  assert.deepEqual([...seen].sort(), committed.map((c) => c.txHash).sort());

  const bad = await get('/api/ledger/txs?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'auditor');
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json().error.message, /from/);
});

test('receipts: the hub hands out receipts that verify with node:crypto and with WebCrypto, audited', async () => {
  const access = committed.find((c) => c.kind === 'access.record') as (typeof committed)[0];
  const set = (await get('/api/ledger/validator-set', 'auditor')).json();
  assert.equal(set.chainId, files.config.chainId);
  const res = await get(`/api/ledger/txs/${access.txHash}/receipt`, 'auditor');
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers['content-disposition']), /attachment; filename="receipt-/);
  const receipt = res.json();
  assert.equal(receipt.tx.body.payload.patientToken, PATIENT_TOKEN, 'a receipt carries the whole signed transaction');
  const node = verifyReceipt(receipt, [set.validatorSet]);
  assert.ok(node.ok && node.txHash === access.txHash, JSON.stringify(node));
  const web = await verifyReceiptWeb(receipt, [set.validatorSet]);
  assert.ok(web.ok && web.txHash === access.txHash && web.height === access.height, JSON.stringify(web));
  receipt.header.proposerTime += 1;
  const tampered = await verifyReceiptWeb(receipt, [set.validatorSet]);
  assert.equal(tampered.ok, false);

  const unknown = await get(`/api/ledger/txs/${'0'.repeat(64)}/receipt`, 'auditor');
  assert.equal(unknown.statusCode, 404);
  assert.equal(unknown.json().error.code, 'MER_LEDGER_NOT_FOUND');
  assert.equal((await get('/api/ledger/txs/xyz/receipt', 'auditor')).statusCode, 400);

  const records = await hub.audit.recent(50);
  const ok = records.find((r) => r.action === 'ledger.receipt' && r.target === access.txHash);
  assert.equal(ok?.outcome, 'ok');
  assert.equal(ok?.actor, 'auditor');
  const refused = records.find((r) => r.action === 'ledger.receipt' && r.target === '0'.repeat(64));
  assert.equal(refused?.outcome, 'refused');
  assert.ok(records.some((r) => r.action === 'ledger.block' && r.outcome === 'ok'));
  assert.ok(records.some((r) => r.action === 'ledger.search' && r.outcome === 'ok'));
});

test('a stopped validator shows unreachable with its last-seen time; blocks are read from another', async () => {
  await get('/api/ledger/validators', 'auditor');
  const victim = files.config.validators[0]?.name as string;
  const proc = procs.get(victim) as Proc;
  proc.child.kill('SIGKILL');
  await proc.exited;
  procs.delete(victim);
  const body = (await get('/api/ledger/validators', 'admin')).json() as ValidatorStatusList;
  const row = body.validators.find((v) => v.name === victim);
  assert.equal(row?.reachable, false);
  assert.equal(row?.height, null);
  assert.ok(row?.error?.code, JSON.stringify(row));
  assert.ok(row?.lastSeen !== null, 'last seen stays from the earlier answer');
  assert.equal(body.validators.filter((v) => v.reachable).length, 3);
  const blocks = await get('/api/ledger/blocks?limit=1', 'auditor');
  assert.equal(blocks.statusCode, 200, blocks.body);
  assert.notEqual((blocks.json() as BlockList).source, victim);
});

test('a hub without a ledger says so with MER_LEDGER_UNAVAILABLE', async () => {
  const plain = await startTestHub();
  try {
    const t = await signInUsers(plain.hub, [['auditor', 'auditor', null]]);
    const res = await plain.hub.userApp.inject({
      method: 'GET',
      url: '/api/ledger/blocks',
      headers: { authorization: `Bearer ${t.auditor}` },
    });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().error.code, 'MER_LEDGER_UNAVAILABLE');
  } finally {
    await plain.dispose();
  }
});
