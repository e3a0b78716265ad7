/**
 * A hub and a hospital node as real processes talking HTTPS with mutual TLS 1.3 on loopback: the node
 * announces itself, goes down when killed, comes back when restarted; `meridian status --json` and the
 * portal API agree; foreign, expired and revoked certificates get 401 with a JSON reason.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  httpsRequestJson,
  initCa,
  issueIdentity,
  loadTlsMaterial,
  revokeIdentity,
  type TlsMaterial,
} from '../../src/ca/index.ts';
import { freePort, type Proc, runMeridian, startMeridian, waitUntil } from './processes.ts';

let home: string;
let hub: Proc;
let node: Proc | undefined;
let ports: { hub: number; peer: number; node: number };
let hubTls: TlsMaterial;

const caDir = () => join(home, 'pki');
const peerUrl = () => `https://127.0.0.1:${ports.peer}`;

function startNode(): Proc {
  return startMeridian([
    'node',
    'start',
    '--home',
    home,
    '--name',
    'hospital-a',
    '--display-name',
    '测试医院 A',
    '--port',
    String(ports.node),
    '--hub-url',
    peerUrl(),
    '--heartbeat-ms',
    '500',
    '--log-level',
    'warn',
  ]);
}

async function nodeState(): Promise<string | undefined> {
  const res = await httpsRequestJson({
    url: `${peerUrl()}/peer/v1/consortium`,
    method: 'GET',
    tls: hubTls,
    timeoutMs: 2_000,
  });
  return (res.body as { nodes: { name: string; state: string }[] }).nodes.find((n) => n.name === 'hospital-a')?.state;
}

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'meridian-int-'));
  await initCa({ dir: caDir() });
  await issueIdentity({ dir: caDir(), name: 'hub', role: 'hub' });
  await issueIdentity({ dir: caDir(), name: 'hospital-a', role: 'node' });
  hubTls = loadTlsMaterial({ dir: caDir(), name: 'hub' });
  ports = { hub: await freePort(), peer: await freePort(), node: await freePort() };
  hub = startMeridian(
    [
      'hub',
      'start',
      '--home',
      home,
      '--port',
      String(ports.hub),
      '--peer-port',
      String(ports.peer),
      '--seed-demo-accounts',
      '--log-level',
      'warn',
    ],
    { MERIDIAN_HUB_NODE_DOWN_AFTER_MS: '3000' },
  );
  await waitUntil(
    () => `hub ready\n${hub.output()}`,
    60_000,
    async () => {
      const res = await fetch(`http://127.0.0.1:${ports.hub}/ready`);
      return res.status === 200 ? true : undefined;
    },
  );
  node = startNode();
});

after(async () => {
  node?.child.kill('SIGKILL');
  hub?.child.kill('SIGKILL');
  rmSync(home, { recursive: true, force: true });
});

test('the node announces itself over mutual TLS; status --json and GET /api/nodes list it up', async () => {
  await waitUntil('node up', 90_000, async () => ((await nodeState()) === 'up' ? true : undefined));
  const status = await runMeridian(['status', '--json', '--home', home, '--hub-url', peerUrl()]);
  assert.equal(status.code, 0, status.stderr);
  const view = JSON.parse(status.stdout) as {
    nodes: { name: string; state: string; displayName: string; versions: { meridian: string } }[];
  };
  assert.equal(view.nodes.length, 1);
  assert.deepEqual(
    [view.nodes[0]?.name, view.nodes[0]?.state, view.nodes[0]?.displayName],
    ['hospital-a', 'up', '测试医院 A'],
  );
  assert.match(view.nodes[0]?.versions.meridian ?? '', /^\d+\.\d+\.\d+/);

  const login = await fetch(`http://127.0.0.1:${ports.hub}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'Meridian-demo-2026' }),
  });
  const { token } = (await login.json()) as { token: string };
  const nodes = await fetch(`http://127.0.0.1:${ports.hub}/api/nodes`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await nodes.json()) as { nodes: { name: string; state: string }[] };
  assert.deepEqual(
    body.nodes.map((n) => [n.name, n.state]),
    [['hospital-a', 'up']],
  );
});

test('kill -9 turns the node down within 10 s; a restart brings it back up', async () => {
  await waitUntil('node up', 90_000, async () => ((await nodeState()) === 'up' ? true : undefined));
  node?.child.kill('SIGKILL');
  await node?.exited;
  const killedAt = Date.now();
  await waitUntil('node down', 10_000, async () => ((await nodeState()) === 'down' ? true : undefined));
  const downAfterMs = Date.now() - killedAt;
  assert.ok(downAfterMs <= 10_000, `down after ${downAfterMs} ms`);
  node = startNode();
  await waitUntil(
    () => `node back up\n${node?.output()}`,
    30_000,
    async () => ((await nodeState()) === 'up' ? true : undefined),
  );
});

test('a graceful stop (SIGTERM) says goodbye: the node is down at once and the process exits 0', async () => {
  await waitUntil('node up', 90_000, async () => ((await nodeState()) === 'up' ? true : undefined));
  node?.child.kill('SIGTERM');
  const exit = await node?.exited;
  assert.equal(exit?.code, 0, node?.output());
  assert.equal(await nodeState(), 'down');
  node = startNode();
  await waitUntil('node back up', 90_000, async () => ((await nodeState()) === 'up' ? true : undefined));
});

/** Calls the hub's institution port with the given client material (trusting the consortium CA for the server). */
function callPeer(
  path: string,
  client: Partial<TlsMaterial>,
): Promise<{ status: number; body: { error?: { code: string; message: string; details?: { reason?: string } } } }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${peerUrl()}${path}`,
      { ca: hubTls.ca, cert: client.cert, key: client.key, minVersion: 'TLSv1.3', agent: false },
      (res) => {
        let data = '';
        res.on('data', (d: Buffer) => {
          data += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('no certificate, a foreign CA, an expired and a revoked certificate each get 401 naming the reason', async () => {
  const none = await callPeer('/peer/v1/consortium', {});
  assert.equal(none.status, 401);
  assert.equal(none.body.error?.code, 'MER_TLS_CLIENT_CERT_REQUIRED');
  assert.equal(none.body.error?.details?.reason, 'NO_CERTIFICATE');

  const rogueDir = join(home, 'rogue-pki');
  await initCa({ dir: rogueDir, commonName: 'Rogue CA' });
  await issueIdentity({ dir: rogueDir, name: 'hospital-a', role: 'node' });
  const rogue = await callPeer('/peer/v1/consortium', loadTlsMaterial({ dir: rogueDir, name: 'hospital-a' }));
  assert.equal(rogue.status, 401);
  assert.match(rogue.body.error?.message ?? '', /not issued by this consortium CA|does not trust/);

  await issueIdentity({
    dir: caDir(),
    name: 'old-node',
    role: 'node',
    validDays: 1,
    now: new Date(Date.now() - 3 * 86_400_000),
  });
  const expired = await callPeer('/peer/v1/consortium', loadTlsMaterial({ dir: caDir(), name: 'old-node' }));
  assert.equal(expired.status, 401);
  assert.equal(expired.body.error?.details?.reason, 'CERT_HAS_EXPIRED');

  await issueIdentity({ dir: caDir(), name: 'gone-node', role: 'node' });
  const gone = loadTlsMaterial({ dir: caDir(), name: 'gone-node' });
  assert.equal((await callPeer('/peer/v1/consortium', gone)).status, 200);
  await revokeIdentity({ dir: caDir(), name: 'gone-node' });
  const revoked = await waitUntil('CRL reload on the running hub', 15_000, async () => {
    const r = await callPeer('/peer/v1/consortium', gone);
    return r.status === 401 ? r : undefined;
  });
  assert.equal(revoked.body.error?.details?.reason, 'CERT_REVOKED');
});

test('a node cannot report for another node, and the hub identity cannot use node-only routes', async () => {
  const a = loadTlsMaterial({ dir: caDir(), name: 'hospital-a' });
  const hb = {
    name: 'hospital-b',
    displayName: 'B',
    address: null,
    startedAt: new Date().toISOString(),
    versions: { meridian: '0', node: 'v20', schema: null },
    dataVolume: { rows: 0, bytes: 0, tables: {} },
  };
  const spoof = await httpsRequestJson({
    url: `${peerUrl()}/peer/v1/heartbeat`,
    method: 'POST',
    body: hb,
    tls: a,
    timeoutMs: 5_000,
  });
  assert.equal(spoof.status, 403);
  assert.equal((spoof.body as { error: { code: string } }).error.code, 'MER_NODE_NAME_MISMATCH');
  const asHub = await httpsRequestJson({
    url: `${peerUrl()}/peer/v1/heartbeat`,
    method: 'POST',
    body: hb,
    tls: hubTls,
    timeoutMs: 5_000,
  });
  assert.equal(asHub.status, 403);
  assert.equal((asHub.body as { error: { code: string } }).error.code, 'MER_TLS_PEER_FORBIDDEN');
  const bad = await httpsRequestJson({
    url: `${peerUrl()}/peer/v1/heartbeat`,
    method: 'POST',
    body: { ...hb, name: 'hospital-a', dataVolume: { rows: -1 } },
    tls: a,
    timeoutMs: 5_000,
  });
  assert.equal(bad.status, 400);
  assert.match((bad.body as { error: { message: string } }).error.message, /body\.dataVolume\.rows = -1/);
});

test('status names an unreachable hub clearly', async () => {
  const res = await runMeridian([
    'status',
    '--json',
    '--home',
    home,
    '--hub-url',
    `https://127.0.0.1:${await freePort()}`,
  ]);
  assert.equal(res.code, 1);
  assert.match(res.stderr, /hub not reachable at https:\/\/127\.0\.0\.1:\d+.*\[MER_HUB_UNREACHABLE\]/s);
});

test("a node's peer port serves other institutions over mutual TLS and refuses callers without a certificate", async () => {
  await waitUntil('node up', 90_000, async () => ((await nodeState()) === 'up' ? true : undefined));
  const info = await httpsRequestJson({
    url: `https://127.0.0.1:${ports.node}/peer/v1/info`,
    method: 'GET',
    tls: hubTls,
    timeoutMs: 5_000,
  });
  assert.equal(info.status, 200);
  assert.equal((info.body as { name: string }).name, 'hospital-a');
  const anonymous = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = https.request(
      `https://127.0.0.1:${ports.node}/peer/v1/info`,
      { ca: hubTls.ca, agent: false },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
  assert.equal(anonymous.status, 401);
  assert.equal(JSON.parse(anonymous.body).error.code, 'MER_TLS_CLIENT_CERT_REQUIRED');
  const health = await httpsRequestJson({
    url: `https://127.0.0.1:${ports.node}/ready`,
    method: 'GET',
    tls: hubTls,
    timeoutMs: 5_000,
  });
  assert.deepEqual(health.body, { status: 'ready', checks: { database: true, lake: true } });
});
