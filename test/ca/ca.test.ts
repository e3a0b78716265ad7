import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate as NodeX509Certificate, sign, verify } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  caPaths,
  ensureCa,
  ensureIdentity,
  identityPaths,
  initCa,
  issueIdentity,
  listIdentities,
  readCa,
  renewCrl,
  revokeIdentity,
  verifyCertificate,
} from '../../src/ca/index.ts';
import { isMeridianError } from '../../src/errors/registry.ts';
import { tempDir } from './helpers.ts';

const DAY_MS = 86_400_000;

test('initCa writes the CA files, an empty signed CRL with a nextUpdate and an empty index', async (t) => {
  const dir = await tempDir(t);
  const now = new Date();
  const info = await initCa({ dir, commonName: 'Test Consortium CA', validDays: 30, now });
  assert.equal(info.commonName, 'Test Consortium CA');
  assert.match(info.serial, /^[0-9a-f]{32}$/);
  assert.ok(Date.parse(info.notAfter) > now.getTime() + 29 * DAY_MS);
  assert.deepEqual(info.crl.revokedSerials, []);
  assert.ok(Date.parse(info.crl.nextUpdate) > now.getTime());
  const paths = caPaths(dir);
  const ca = new NodeX509Certificate(await readFile(paths.cert, 'utf8'));
  assert.equal(ca.ca, true);
  assert.ok(ca.verify(ca.publicKey), 'self-signed');
  assert.match(await readFile(paths.crl, 'utf8'), /^-----BEGIN X509 CRL-----/);
  assert.deepEqual(JSON.parse(await readFile(paths.index, 'utf8')), { version: 1, crlNumber: 1, identities: [] });
  assert.deepEqual(await listIdentities({ dir }), []);
  assert.equal((await readCa({ dir })).fingerprint256, info.fingerprint256);
});

test('CA errors carry the right codes', async (t) => {
  const dir = await tempDir(t);
  const missing = join(dir, 'nothing-here');
  await assert.rejects(issueIdentity({ dir: missing, name: 'node-a', role: 'node' }), codeIs('MER_CA_MISSING'));
  await assert.rejects(readCa({ dir: missing }), codeIs('MER_CA_MISSING'));
  await assert.rejects(listIdentities({ dir: missing }), codeIs('MER_CA_MISSING'));
  await assert.rejects(revokeIdentity({ dir: missing, name: 'node-a' }), codeIs('MER_CA_MISSING'));

  await initCa({ dir });
  await assert.rejects(initCa({ dir }), codeIs('MER_CA_EXISTS'));
  for (const name of ['', 'a', 'Node-A', '-node', 'node_a', 'node.a', 'x'.repeat(64), '../etc']) {
    await assert.rejects(issueIdentity({ dir, name, role: 'node' }), codeIs('MER_CA_INVALID_NAME'), name);
  }
  await assert.rejects(revokeIdentity({ dir, name: 'Bad Name' }), codeIs('MER_CA_INVALID_NAME'));
  await assert.rejects(
    issueIdentity({ dir, name: 'node-a', role: 'admin' as 'node' }),
    codeIs('MER_CA_INVALID_OPTION'),
  );
  await assert.rejects(
    issueIdentity({ dir, name: 'node-a', role: 'node', validDays: 0 }),
    codeIs('MER_CA_INVALID_OPTION'),
  );
  await assert.rejects(
    issueIdentity({ dir, name: 'node-a', role: 'node', hosts: ['bad host'] }),
    codeIs('MER_CA_INVALID_OPTION'),
  );
  await assert.rejects(initCa({ dir: join(dir, 'other'), commonName: '' }), codeIs('MER_CA_INVALID_OPTION'));

  await issueIdentity({ dir, name: 'node-a', role: 'node' });
  await assert.rejects(issueIdentity({ dir, name: 'node-a', role: 'hub' }), codeIs('MER_CA_IDENTITY_EXISTS'));
  await assert.rejects(revokeIdentity({ dir, name: 'node-zz' }), codeIs('MER_CA_IDENTITY_UNKNOWN'));
  assert.deepEqual(
    (await listIdentities({ dir })).map((info) => info.name),
    ['node-a'],
  );
});

test('issued identity: files, key modes 0600, role and hosts in the TLS certificate', async (t) => {
  const dir = await tempDir(t);
  await initCa({ dir });
  const info = await issueIdentity({
    dir,
    name: 'hospital-a',
    role: 'node',
    hosts: ['node-a.example.org', '10.0.0.7'],
  });
  const paths = identityPaths(dir, 'hospital-a');
  assert.equal(info.path, paths.dir);
  assert.deepEqual((await readdir(paths.dir)).sort(), [
    'ca.cert.pem',
    'signing.cert.pem',
    'signing.key.pem',
    'signing.pub.pem',
    'tls.cert.pem',
    'tls.key.pem',
  ]);
  for (const key of [paths.tlsKey, paths.signingKey, caPaths(dir).key]) {
    assert.equal((await stat(key)).mode & 0o777, 0o600, key);
  }
  assert.equal((await stat(paths.tlsCert)).mode & 0o077, 0o044, 'certificates are world-readable');
  assert.equal(await readFile(paths.caCert, 'utf8'), await readFile(caPaths(dir).cert, 'utf8'));

  const cert = new NodeX509Certificate(await readFile(paths.tlsCert, 'utf8'));
  assert.equal(cert.subject, 'CN=hospital-a\nOU=node\nO=Meridian consortium');
  assert.equal(cert.subjectAltName, 'DNS:node-a.example.org, IP Address:10.0.0.7, URI:meridian://node/hospital-a');
  assert.equal(cert.ca, false);
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'], 'serverAuth + clientAuth');
  assert.equal(cert.publicKey.asymmetricKeyType, 'ec');
  assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.equal(cert.serialNumber.toLowerCase(), info.serial);
  assert.equal(cert.fingerprint256, info.fingerprints.tls);
  assert.match(info.serial, /^[1-7][0-9a-f]{31}$/);
  assert.notEqual(info.serial, info.signingSerial);

  const defaults = await issueIdentity({ dir, name: 'hub', role: 'hub' });
  const hubCert = new NodeX509Certificate(await readFile(identityPaths(dir, 'hub').tlsCert, 'utf8'));
  assert.deepEqual(defaults.hosts, ['localhost', '127.0.0.1', '::1']);
  assert.equal(
    hubCert.subjectAltName,
    'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, URI:meridian://hub/hub',
  );

  const index = JSON.parse(await readFile(caPaths(dir).index, 'utf8'));
  assert.deepEqual(
    index.identities.map((record: { name: string; role: string; revokedAt: null }) => [
      record.name,
      record.role,
      record.revokedAt,
    ]),
    [
      ['hospital-a', 'node', null],
      ['hub', 'hub', null],
    ],
  );
});

test('the Ed25519 signing certificate verifies against the CA and its key verifies signing.key.pem signatures', async (t) => {
  const dir = await tempDir(t);
  await initCa({ dir });
  const info = await issueIdentity({ dir, name: 'hospital-b', role: 'node' });
  const paths = identityPaths(dir, 'hospital-b');
  const caPem = await readFile(caPaths(dir).cert, 'utf8');
  const certPem = await readFile(paths.signingCert, 'utf8');
  const cert = new NodeX509Certificate(certPem);
  assert.ok(cert.verify(new NodeX509Certificate(caPem).publicKey), 'signed by the CA key');
  assert.equal(cert.publicKey.asymmetricKeyType, 'ed25519');
  assert.equal(cert.subjectAltName, 'URI:meridian://node/hospital-b');

  const keyPem = await readFile(paths.signingKey, 'utf8');
  assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----/, 'PKCS8');
  const message = Buffer.from('{"kind":"notarize","hash":"abc"}');
  const signature = sign(null, message, createPrivateKey(keyPem));
  assert.ok(verify(null, message, cert.publicKey, signature));
  assert.ok(verify(null, message, await readFile(paths.signingPub, 'utf8'), signature));
  assert.equal(verify(null, Buffer.from('tampered'), cert.publicKey, signature), false);

  const crlPem = await readFile(caPaths(dir).crl, 'utf8');
  const verified = await verifyCertificate({ caPem, certPem, crlPem });
  assert.equal(verified.name, 'hospital-b');
  assert.equal(verified.role, 'node');
  assert.equal(verified.serial, info.signingSerial);
  assert.equal(verified.fingerprint256, info.fingerprints.signing);
  assert.equal(verified.publicKeyPem, await readFile(paths.signingPub, 'utf8'));
});

test('verifyCertificate refuses another CA, an expired certificate and a revoked one', async (t) => {
  const dir = await tempDir(t);
  const otherDir = await tempDir(t);
  await initCa({ dir });
  await initCa({ dir: otherDir });
  const now = new Date();
  await issueIdentity({ dir, name: 'good', role: 'node' });
  await issueIdentity({ dir, name: 'fresh', role: 'node' });
  await issueIdentity({ dir, name: 'old', role: 'node', now: new Date(now.getTime() - 3 * DAY_MS), validDays: 1 });
  await issueIdentity({ dir: otherDir, name: 'good', role: 'node' });
  const caPem = await readFile(caPaths(dir).cert, 'utf8');
  const certOf = (base: string, name: string) => readFile(identityPaths(base, name).signingCert, 'utf8');

  await verifyCertificate({ caPem, certPem: await certOf(dir, 'good') });
  await assert.rejects(
    verifyCertificate({ caPem, certPem: await certOf(otherDir, 'good') }),
    codeIs('MER_CA_CERT_INVALID', /not issued by this consortium CA/),
  );
  await assert.rejects(
    verifyCertificate({ caPem, certPem: await certOf(dir, 'old') }),
    codeIs('MER_CA_CERT_INVALID', /expired/),
  );
  await revokeIdentity({ dir, name: 'good' });
  await assert.rejects(
    verifyCertificate({ caPem, certPem: await certOf(dir, 'good'), crlPem: await readFile(caPaths(dir).crl, 'utf8') }),
    codeIs('MER_CA_CERT_INVALID', /revoked/),
  );
  await assert.rejects(
    verifyCertificate({
      caPem,
      certPem: await certOf(dir, 'fresh'),
      crlPem: await readFile(caPaths(otherDir).crl, 'utf8'),
    }),
    codeIs('MER_CA_CERT_INVALID', /CRL is not signed/),
  );
});

test('revokeIdentity records the time, re-signs the CRL with both serials and a higher CRL number', async (t) => {
  const dir = await tempDir(t);
  await initCa({ dir });
  const a = await issueIdentity({ dir, name: 'node-a', role: 'node' });
  const b = await issueIdentity({ dir, name: 'node-b', role: 'node' });
  const before = await readCa({ dir });
  const at = new Date(Date.now() - 60_000);
  const revoked = await revokeIdentity({ dir, name: 'node-a', now: at });
  assert.equal(revoked.revokedAt, at.toISOString());
  const after = await readCa({ dir });
  assert.equal(after.crl.number, before.crl.number + 1);
  assert.deepEqual([...after.crl.revokedSerials].sort(), [a.serial, a.signingSerial].sort());
  assert.ok(!after.crl.revokedSerials.includes(b.serial));
  const listed = await listIdentities({ dir });
  assert.deepEqual(
    listed.map((info) => [info.name, info.revokedAt]),
    [
      ['node-a', at.toISOString()],
      ['node-b', null],
    ],
  );
  const again = await revokeIdentity({ dir, name: 'node-a' });
  assert.equal(again.revokedAt, at.toISOString(), 'revoking twice keeps the first time');
});

test('ensureCa and ensureIdentity create on first run and return the existing ones after', async (t) => {
  const dir = join(await tempDir(t), 'pki');
  const first = await ensureCa({ dir, commonName: 'Demo CA' });
  assert.equal(first.created, true);
  const second = await ensureCa({ dir, commonName: 'Demo CA' });
  assert.equal(second.created, false);
  assert.equal(second.fingerprint256, first.fingerprint256);

  const created = await Promise.all(
    ['node-a', 'node-b', 'node-c'].map((name) => ensureIdentity({ dir, name, role: 'node' })),
  );
  assert.ok(created.every((info) => info.created));
  const [x, y] = await Promise.all([
    ensureIdentity({ dir, name: 'hub', role: 'hub' }),
    ensureIdentity({ dir, name: 'hub', role: 'hub' }),
  ]);
  assert.equal(x?.serial, y?.serial, 'concurrent first runs issue once');
  assert.equal((await listIdentities({ dir })).length, 4);
  const existing = await ensureIdentity({ dir, name: 'node-a', role: 'node' });
  assert.equal(existing.created, false);
  assert.equal(existing.serial, created[0]?.serial);
  await assert.rejects(ensureIdentity({ dir, name: 'node-a', role: 'hub' }), codeIs('MER_CA_IDENTITY_EXISTS'));
  await revokeIdentity({ dir, name: 'node-b' });
  await assert.rejects(ensureIdentity({ dir, name: 'node-b', role: 'node' }), codeIs('MER_CA_CERT_INVALID'));
});

test('ensureCa renews a CRL past half its lifetime; renewCrl keeps the revocations', async (t) => {
  const dir = await tempDir(t);
  const now = new Date();
  const old = new Date(now.getTime() - 20 * DAY_MS);
  await initCa({ dir, now: old });
  const a = await issueIdentity({ dir, name: 'node-a', role: 'node', now: old });
  await revokeIdentity({ dir, name: 'node-a', now: old });
  const stale = await readCa({ dir });
  const renewed = await ensureCa({ dir, now });
  assert.equal(renewed.created, false);
  assert.ok(Date.parse(renewed.crl.nextUpdate) > Date.parse(stale.crl.nextUpdate));
  assert.equal(renewed.crl.number, stale.crl.number + 1);
  assert.deepEqual(renewed.crl.revokedSerials, stale.crl.revokedSerials);
  assert.ok(renewed.crl.revokedSerials.includes(a.serial));
  const unchanged = await ensureCa({ dir, now });
  assert.equal(unchanged.crl.number, renewed.crl.number, 'a fresh CRL is left alone');
  const again = await renewCrl({ dir, now });
  assert.equal(again.crl.number, renewed.crl.number + 1);
});

test('a leftover identity folder from a crash before the index was written is replaced on issue', async (t) => {
  const dir = await tempDir(t);
  await initCa({ dir });
  const paths = identityPaths(dir, 'node-a');
  await issueIdentity({ dir, name: 'node-b', role: 'node' });
  await mkdir(paths.dir);
  await writeFile(join(paths.dir, 'tls.cert.pem'), 'partial');
  const info = await issueIdentity({ dir, name: 'node-a', role: 'node' });
  assert.equal(new NodeX509Certificate(await readFile(paths.tlsCert, 'utf8')).serialNumber.toLowerCase(), info.serial);
  const leftovers = (await readdir(caPaths(dir).identities)).filter((entry) => entry.startsWith('.'));
  assert.deepEqual(leftovers, [], 'no staging folders or temp files left');
  assert.deepEqual(
    (await readdir(dir)).filter((entry) => entry.startsWith('.')),
    [],
    'lock released',
  );
});

function codeIs(code: string, message?: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(isMeridianError(e), `expected a MeridianError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  };
}
