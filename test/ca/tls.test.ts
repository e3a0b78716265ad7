import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect } from 'node:tls';
import {
  caPaths,
  clientTlsOptions,
  httpsRequestJson,
  initCa,
  issueIdentity,
  loadTlsMaterial,
  peerIdentity,
  renewCrl,
  revokeIdentity,
  serverTlsOptions,
  type TlsMaterial,
  watchCrl,
  watchServerCrl,
} from '../../src/ca/index.ts';
import { isMeridianError } from '../../src/errors/registry.ts';
import { type Cleanup, type EchoBody, startServer, tempDir, waitFor } from './helpers.ts';

const DAY_MS = 86_400_000;
const TIMEOUT_MS = 3_000;

/** A CA with a hub and two hospital nodes, plus one expired node and a second, foreign CA with its own node. */
async function consortium(t: Cleanup) {
  const dir = await tempDir(t);
  const foreignDir = await tempDir(t);
  await initCa({ dir });
  await initCa({ dir: foreignDir, commonName: 'Some Other CA' });
  const past = new Date(Date.now() - 3 * DAY_MS);
  await Promise.all([
    issueIdentity({ dir, name: 'hub', role: 'hub' }),
    issueIdentity({ dir, name: 'node-a', role: 'node' }),
    issueIdentity({ dir, name: 'node-b', role: 'node' }),
    issueIdentity({ dir, name: 'node-old', role: 'node', now: past, validDays: 1 }),
    issueIdentity({ dir: foreignDir, name: 'node-a', role: 'node' }),
    issueIdentity({ dir: foreignDir, name: 'hub', role: 'hub' }),
  ]);
  const material = (name: string): TlsMaterial => loadTlsMaterial({ dir, name });
  const foreign = (name: string): TlsMaterial => loadTlsMaterial({ dir: foreignDir, name });
  return { dir, foreignDir, material, foreign };
}

/** One consortium for the tests that revoke nothing; tests that revoke or renew make their own. */
let shared: Awaited<ReturnType<typeof consortium>>;
const fileCleanups: (() => unknown)[] = [];
before(async () => {
  shared = await consortium({ after: (fn) => fileCleanups.push(fn) });
});
after(() => Promise.all(fileCleanups.map((fn) => fn())));

function get(url: string, tls: TlsMaterial, expect?: { role?: 'node' | 'hub'; name?: string }) {
  return httpsRequestJson({ url, method: 'GET', tls, timeoutMs: TIMEOUT_MS, ...(expect ? { expect } : {}) });
}

test('a client with a valid identity connects over TLS 1.3 and the server reads its name and role', async (t) => {
  const { material } = shared;
  const srv = await startServer(t, material('hub'));
  const res = await get(srv.url, material('node-a'), { role: 'hub', name: 'hub' });
  assert.equal(res.status, 200);
  const body = res.body as EchoBody;
  assert.equal(body.protocol, 'TLSv1.3');
  assert.equal(body.peer?.name, 'node-a');
  assert.equal(body.peer?.role, 'node');
  assert.match(body.peer?.serial ?? '', /^[0-9a-f]{32}$/);
  assert.match(body.peer?.fingerprint256 ?? '', /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);

  const viaLocalhost = await get(srv.url.replace('127.0.0.1', 'localhost'), material('node-b'));
  assert.equal((viaLocalhost.body as EchoBody).peer?.name, 'node-b');
  assert.equal(srv.hits, 2);
});

test('the server refuses a client with no certificate, a foreign CA or an expired certificate', async (t) => {
  const { material, foreign } = shared;
  const srv = await startServer(t, material('hub'));
  const { ca } = material('node-a');
  const noCert = new Promise((resolve, reject) => {
    const req = https.request(srv.url, { ca, minVersion: 'TLSv1.3', agent: false }, resolve);
    req.on('error', reject);
    req.end();
  });
  await assert.rejects(noCert, /certificate required|ECONNRESET|socket hang up/i);
  const { crl } = material('node-a');
  await assert.rejects(get(srv.url, { ...foreign('node-a'), ca, crl }), /unknown ca|ECONNRESET|socket hang up/i);
  await assert.rejects(get(srv.url, material('node-old')), /certificate expired|ECONNRESET|socket hang up/i);
  assert.equal(srv.hits, 0, 'no refused request reached the handler');
});

test('the client refuses a server from another CA, an expired server, and a server of the wrong role', async (t) => {
  const { material, foreign } = shared;
  const foreignHub = await startServer(t, foreign('hub'));
  // With a CRL configured, OpenSSL reports the missing issuer as a missing CRL.
  await assert.rejects(
    get(foreignHub.url, material('node-a')),
    codeIn(['UNABLE_TO_GET_CRL', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']),
  );
  const expired = await startServer(t, material('node-old'));
  await assert.rejects(get(expired.url, material('node-a')), codeIn(['CERT_HAS_EXPIRED']));
  const nodeB = await startServer(t, material('node-b'));
  await assert.rejects(get(nodeB.url, material('node-a'), { role: 'hub' }), /expected role hub/);
  await assert.rejects(get(nodeB.url, material('node-a'), { name: 'node-c' }), /expected "node-c"/);
  assert.equal((await get(nodeB.url, material('node-a'), { role: 'node', name: 'node-b' })).status, 200);
  assert.equal(foreignHub.hits + expired.hits, 0);
});

test('TLS 1.2 is refused', async (t) => {
  const { material } = shared;
  const srv = await startServer(t, material('hub'));
  const { port } = new URL(srv.url);
  const socket = connect({
    ...clientTlsOptions(material('node-a')),
    host: '127.0.0.1',
    port: Number(port),
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.2',
  });
  const [error] = (await once(socket, 'error').catch((e: unknown) => [e])) as [Error];
  assert.match(String(error), /protocol version|unsupported protocol|wrong version/i);
});

test('a revoked client is refused by a running server once its CRL watch reloads, and by new servers', async (t) => {
  const { dir, material } = await consortium(t);
  const hub = material('hub');
  const srv = await startServer(t, hub);
  const reloaded: string[] = [];
  const stop = watchServerCrl({
    server: srv.server,
    material: hub,
    dir,
    intervalMs: 20,
    onReload: (crl) => reloaded.push(crl),
  });
  t.after(stop);
  const nodeA = material('node-a');
  const keepAlive = new https.Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => keepAlive.destroy());
  const pooled = () =>
    httpsRequestJson({ url: srv.url, method: 'GET', tls: nodeA, timeoutMs: TIMEOUT_MS, agent: keepAlive });
  assert.equal((await pooled()).status, 200);
  assert.equal((await get(srv.url, material('node-b'))).status, 200);
  const [pooledSocket] = Object.values(keepAlive.freeSockets).flat();
  assert.ok(pooledSocket, 'an idle keep-alive connection to the server');

  await revokeIdentity({ dir, name: 'node-a' });
  await waitFor(() => reloaded.length === 1);
  await waitFor(() => pooledSocket.destroyed);
  const hitsBefore = srv.hits;
  await assert.rejects(get(srv.url, nodeA), /certificate revoked|ECONNRESET|socket hang up/i);
  await assert.rejects(pooled(), /certificate revoked|ECONNRESET|socket hang up/i);
  assert.equal(srv.hits, hitsBefore, 'the revoked client reached no handler');
  assert.equal((await get(srv.url, material('node-b'))).status, 200, 'other peers are unaffected');

  const fresh = await startServer(t, material('hub'));
  await assert.rejects(get(fresh.url, nodeA), /certificate revoked|ECONNRESET|socket hang up/i);
  assert.equal(fresh.hits, 0);
  stop();
});

test('a client with the new CRL refuses a revoked server', async (t) => {
  const { dir, material } = await consortium(t);
  const srv = await startServer(t, material('node-b'));
  assert.equal((await get(srv.url, material('node-a'))).status, 200);
  await revokeIdentity({ dir, name: 'node-b' });
  await assert.rejects(get(srv.url, material('node-a')), codeIn(['CERT_REVOKED']));
});

test('watchCrl reports each new crl.pem once, not the initial one, and stops when asked', async (t) => {
  const { dir } = await consortium(t);
  const seen: string[] = [];
  const stop = watchCrl({ dir, intervalMs: 20, onChange: (crl) => seen.push(crl) });
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(seen.length, 0);
  await revokeIdentity({ dir, name: 'node-a' });
  await waitFor(() => seen.length > 0);
  assert.equal(seen.length, 1);
  assert.match(seen[0] ?? '', /BEGIN X509 CRL/);
  stop();
  await revokeIdentity({ dir, name: 'node-b' });
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.equal(seen.length, 1);
});

test('a broken crl.pem is reported and the running server keeps its previous CRL', async (t) => {
  const { dir, material } = await consortium(t);
  const hub = material('hub');
  const srv = await startServer(t, hub);
  const errors: unknown[] = [];
  const stop = watchServerCrl({
    server: srv.server,
    material: hub,
    dir,
    intervalMs: 20,
    onError: (e) => errors.push(e),
  });
  t.after(stop);
  const nodeA = material('node-a');
  await writeFile(caPaths(dir).crl, '-----BEGIN X509 CRL-----\nbroken\n-----END X509 CRL-----\n');
  await waitFor(() => errors.length > 0);
  assert.match(String(errors[0]), /CRL/);
  assert.equal((await get(srv.url, nodeA)).status, 200);
  stop();
});

test('an expired CRL makes OpenSSL refuse every peer, so the CRL must be renewed in time', async (t) => {
  const { dir, material } = await consortium(t);
  await renewCrl({ dir, now: new Date(Date.now() - 40 * DAY_MS) });
  const srv = await startServer(t, material('hub'));
  await assert.rejects(get(srv.url, material('node-a')), codeIn(['CRL_HAS_EXPIRED']));
  await renewCrl({ dir });
  const renewed = await startServer(t, material('hub'));
  assert.equal((await get(renewed.url, material('node-a'))).status, 200);
});

test('peerIdentity is null for a connection without a verified certificate', async (t) => {
  const { material } = shared;
  const hub = material('hub');
  const srv = await startServer(t, hub, { tls: { ...serverTlsOptions(hub), rejectUnauthorized: false } });
  const res = await new Promise<string>((resolve, reject) => {
    const req = https.request(srv.url, { ca: hub.ca, agent: false }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      response.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end();
  });
  assert.deepEqual(JSON.parse(res), { peer: null, protocol: 'TLSv1.3' });
  assert.equal((await get(srv.url, material('node-a'))).status, 200);
});

test('httpsRequestJson: JSON round trip, text bodies, deadline and response size limit', async (t) => {
  const { material } = shared;
  const hub = material('hub');
  const tls = material('node-a');
  const srv = await startServer(t, hub, {
    handler: (req, res) => {
      if (req.url === '/slow') return;
      if (req.url === '/big') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ pad: 'x'.repeat(4096) }));
        return;
      }
      if (req.url === '/text') {
        res.setHeader('content-type', 'text/plain');
        res.end('plain words');
        return;
      }
      if (req.url === '/bad-json') {
        res.setHeader('content-type', 'application/json');
        res.end('{nope');
        return;
      }
      let text = '';
      req.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      req.on('end', () => {
        res.statusCode = 201;
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.end(JSON.stringify({ method: req.method, got: JSON.parse(text), type: req.headers['content-type'] }));
      });
    },
  });
  const url = (path: string) => new URL(path, srv.url).toString();
  const posted = await httpsRequestJson({
    url: url('/echo'),
    method: 'POST',
    body: { n: 1, s: '中文' },
    tls,
    timeoutMs: TIMEOUT_MS,
  });
  assert.deepEqual(posted, {
    status: 201,
    body: { method: 'POST', got: { n: 1, s: '中文' }, type: 'application/json' },
  });
  assert.deepEqual(await httpsRequestJson({ url: url('/text'), method: 'GET', tls, timeoutMs: TIMEOUT_MS }), {
    status: 200,
    body: 'plain words',
  });
  await assert.rejects(
    httpsRequestJson({ url: url('/bad-json'), method: 'GET', tls, timeoutMs: TIMEOUT_MS }),
    (e: unknown) => isMeridianError(e, 'MER_HTTP_BAD_JSON'),
  );
  await assert.rejects(
    httpsRequestJson({ url: url('/big'), method: 'GET', tls, timeoutMs: TIMEOUT_MS, maxResponseBytes: 1024 }),
    (e: unknown) => isMeridianError(e, 'MER_HTTP_BODY_TOO_LARGE'),
  );
  const started = Date.now();
  await assert.rejects(
    httpsRequestJson({ url: url('/slow'), method: 'GET', tls, timeoutMs: 200 }),
    codeIn(['ETIMEDOUT']),
  );
  assert.ok(Date.now() - started < 2_000);
  await assert.rejects(
    httpsRequestJson({ url: 'https://127.0.0.1:1/', method: 'GET', tls, timeoutMs: TIMEOUT_MS }),
    codeIn(['ECONNREFUSED']),
  );
});

test('loadTlsMaterial names what is missing', async () => {
  const { dir } = shared;
  assert.throws(
    () => loadTlsMaterial({ dir, name: 'node-zz' }),
    (e: unknown) => isMeridianError(e, 'MER_CA_IDENTITY_UNKNOWN'),
  );
  assert.throws(
    () => loadTlsMaterial({ dir: join(dir, 'absent'), name: 'node-a' }),
    (e: unknown) => isMeridianError(e, 'MER_CA_MISSING'),
  );
  assert.throws(
    () => loadTlsMaterial({ dir, name: '../x' }),
    (e: unknown) => isMeridianError(e, 'MER_CA_INVALID_NAME'),
  );
  assert.equal(peerIdentity(new (await import('node:net')).Socket()), null);
});

function codeIn(codes: string[]): (e: unknown) => boolean {
  return (e: unknown) => {
    const code = (e as NodeJS.ErrnoException).code;
    assert.ok(codes.includes(String(code)), `expected ${codes.join('|')}, got ${String(code)}: ${String(e)}`);
    return true;
  };
}
