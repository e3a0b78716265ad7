/**
 * The administrators' routes (/api/admin/*) and the consortium settings, in-process: accounts (list with state and
 * last login, create, change role and hospital, disable, reset password), institutions without a reachable ledger,
 * nodes, and settings stored in the hub database, each change audited; plus the UserStore and settings store
 * underneath.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Kysely } from 'kysely';
import { ConsortiumSettingsStore, parseConsortiumSettings } from '../../src/hub/admin/consortium-settings.ts';
import { institutionsOf } from '../../src/hub/admin/routes.ts';
import type { HubApps } from '../../src/hub/app.ts';
import type { HubDatabase } from '../../src/hub/schema.ts';
import { makeClusterFiles } from '../ledger/host/cluster.ts';
import { announceSilentNode, signInUsers, startTestHub } from './test-hub.ts';

const PASSWORD = 'a-long-test-password';
let hub: HubApps;
let db: Kysely<HubDatabase>;
let dispose: () => Promise<void>;
let tokens: Record<string, string>;
let adminId: string;

before(async () => {
  ({ hub, db, dispose } = await startTestHub());
  await announceSilentNode(hub, 'hospital-a');
  tokens = await signInUsers(hub, [
    ['root', 'admin', null],
    ['rita', 'researcher', null],
  ]);
  adminId = (await hub.users.findByUsername('root'))?.id ?? '';
});

after(async () => {
  await dispose();
});

function as(user: string, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: unknown) {
  return hub.userApp.inject({
    method,
    url,
    headers: { authorization: `Bearer ${tokens[user]}` },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

async function login(username: string, password: string) {
  return hub.userApp.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
}

async function lastAudit(action: string) {
  return (await hub.audit.recent(50)).find((r) => r.action === action);
}

test('the account list shows role, hospital, state and last login, never a password hash', async () => {
  const res = await as('root', 'GET', '/api/admin/users');
  assert.equal(res.statusCode, 200, res.body);
  assert.doesNotMatch(res.body, /scrypt|password_hash|passwordHash/);
  const rita = res.json().users.find((u: { username: string }) => u.username === 'rita');
  assert.equal(rita.role, 'researcher');
  assert.equal(rita.hospital, null);
  assert.equal(rita.disabled, false);
  assert.deepEqual(rita.login, { password: true, oidc: false });
  assert.match(rita.lastLoginAt, /^\d{4}-\d\d-\d\dT/, 'the login of before() is recorded');
  assert.equal((await lastAudit('user.list'))?.outcome, 'ok');
});

test('creating an account: password rules, a known hospital for stewards and clinicians, audited', async () => {
  const short = await as('root', 'POST', '/api/admin/users', {
    username: 'shorty',
    displayName: 'S',
    role: 'researcher',
    password: 'short',
  });
  assert.equal(short.statusCode, 400);
  assert.match(short.json().error.message, /password/);

  const unknown = await as('root', 'POST', '/api/admin/users', {
    username: 'stew-x',
    displayName: 'Steward X',
    role: 'steward',
    hospital: 'hospital-zz',
    password: PASSWORD,
  });
  assert.equal(unknown.statusCode, 400);
  assert.equal(unknown.json().error.code, 'MER_USER_HOSPITAL_UNKNOWN');
  assert.match(unknown.json().error.message, /hospital-zz.*known: hospital-a/);
  const refused = await lastAudit('user.create');
  assert.equal(refused?.outcome, 'refused');

  const clinician = await as('root', 'POST', '/api/admin/users', {
    username: 'doc-x',
    displayName: 'Doctor X',
    role: 'clinician',
    password: PASSWORD,
  });
  assert.equal(clinician.statusCode, 400);
  assert.equal(clinician.json().error.code, 'MER_USER_INVALID');

  const ok = await as('root', 'POST', '/api/admin/users', {
    username: 'doc-a',
    displayName: '王医生',
    role: 'clinician',
    hospital: 'hospital-a',
    password: PASSWORD,
  });
  assert.equal(ok.statusCode, 201, ok.body);
  assert.equal(ok.json().user.hospital, 'hospital-a');
  assert.equal((await login('doc-a', PASSWORD)).statusCode, 200);
  const audit = await lastAudit('user.create');
  assert.equal(audit?.outcome, 'ok');
  assert.equal(audit?.target, 'doc-a');
});

test("changing an account's role and hospital; an admin cannot demote themselves", async () => {
  const u = await hub.users.create({ username: 'eve', displayName: 'Eve', role: 'researcher', password: PASSWORD });
  const steward = await as('root', 'PATCH', `/api/admin/users/${u.id}`, { role: 'steward', hospital: 'hospital-a' });
  assert.equal(steward.statusCode, 200, steward.body);
  assert.deepEqual([steward.json().user.role, steward.json().user.hospital], ['steward', 'hospital-a']);

  const unbound = await as('root', 'PATCH', `/api/admin/users/${u.id}`, { hospital: null });
  assert.equal(unbound.statusCode, 400);
  assert.equal(unbound.json().error.code, 'MER_USER_INVALID');
  const elsewhere = await as('root', 'PATCH', `/api/admin/users/${u.id}`, { hospital: 'hospital-q' });
  assert.equal(elsewhere.json().error.code, 'MER_USER_HOSPITAL_UNKNOWN');

  const renamed = await as('root', 'PATCH', `/api/admin/users/${u.id}`, { displayName: 'Eve Li', role: 'auditor' });
  assert.equal(renamed.json().user.displayName, 'Eve Li');
  assert.equal(renamed.json().user.role, 'auditor');

  const empty = await as('root', 'PATCH', `/api/admin/users/${u.id}`, {});
  assert.equal(empty.statusCode, 400);
  const missing = await as('root', 'PATCH', '/api/admin/users/no-such-id', { role: 'auditor' });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().error.code, 'MER_USER_NOT_FOUND');
  const self = await as('root', 'PATCH', `/api/admin/users/${adminId}`, { role: 'auditor' });
  assert.equal(self.statusCode, 409);
  assert.equal(self.json().error.code, 'MER_USER_SELF_LOCKOUT');
  assert.equal((await lastAudit('user.update'))?.outcome, 'refused');
});

test('disabling stops the account at once; enabling restores it; an admin cannot disable themselves', async () => {
  const [token] = Object.values(await signInUsers(hub, [['dan', 'manager', null]]));
  const dan = await hub.users.findByUsername('dan');
  const off = await as('root', 'POST', `/api/admin/users/${dan?.id}/disable`);
  assert.equal(off.statusCode, 200, off.body);
  const me = await hub.userApp.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } });
  assert.equal(me.json().error.code, 'MER_AUTH_USER_DISABLED');
  const listed = (await as('root', 'GET', '/api/admin/users')).json().users;
  assert.equal(listed.find((u: { username: string }) => u.username === 'dan').disabled, true);
  assert.equal((await as('root', 'POST', `/api/admin/users/${dan?.id}/enable`)).statusCode, 200);
  assert.equal((await login('dan', PASSWORD)).statusCode, 200);

  const self = await as('root', 'POST', `/api/admin/users/${adminId}/disable`);
  assert.equal(self.json().error.code, 'MER_USER_SELF_LOCKOUT');
  const ghost = await as('root', 'POST', '/api/admin/users/no-such-id/enable');
  assert.equal(ghost.json().error.code, 'MER_USER_NOT_FOUND');
});

test('resetting a password: the rules apply, the old password stops working', async () => {
  const u = await hub.users.create({ username: 'pat', displayName: 'Pat', role: 'ethics', password: PASSWORD });
  const weak = await as('root', 'POST', `/api/admin/users/${u.id}/password`, { password: 'short' });
  assert.equal(weak.statusCode, 400);
  const reset = await as('root', 'POST', `/api/admin/users/${u.id}/password`, { password: 'another-long-password' });
  assert.equal(reset.statusCode, 200, reset.body);
  assert.doesNotMatch(reset.body, /another-long-password/);
  assert.equal((await login('pat', PASSWORD)).statusCode, 401);
  assert.equal((await login('pat', 'another-long-password')).statusCode, 200);
  const audit = await lastAudit('user.password-reset');
  assert.equal(audit?.outcome, 'ok');
  assert.doesNotMatch(JSON.stringify(audit?.detail), /another-long-password/);
});

test('the user store refuses an unknown id and a weak password itself', async () => {
  await assert.rejects(hub.users.update('nobody', { role: 'auditor' }), { code: 'MER_USER_NOT_FOUND' });
  await assert.rejects(hub.users.setPassword('nobody', PASSWORD), { code: 'MER_USER_NOT_FOUND' });
  const u = await hub.users.create({
    username: 'sam',
    displayName: 'Sam',
    role: 'steward',
    hospital: 'h-1',
    password: PASSWORD,
  });
  await assert.rejects(hub.users.setPassword(u.id, 'x'.repeat(9)), { code: 'MER_USER_INVALID' });
  await assert.rejects(hub.users.update(u.id, { hospital: null }), { code: 'MER_USER_INVALID' });
});

test('institutions need the consortium ledger: 503 with a clear error when the hub has none', async () => {
  const res = await as('root', 'GET', '/api/admin/institutions');
  assert.equal(res.statusCode, 503);
  assert.equal(res.json().error.code, 'MER_LEDGER_UNAVAILABLE');
  assert.match(res.json().error.message, /hub\.ledger/);
  assert.equal((await lastAudit('institution.list'))?.outcome, 'failed');
});

test('institutions: 503 naming each validator when no validator of the configured ledger answers', async () => {
  const files = await makeClusterFiles({ n: 1 });
  const other = await startTestHub({ hub: { ledger: { configFile: files.configPath } } });
  try {
    const t = await signInUsers(other.hub, [['root', 'admin', null]]);
    const res = await other.hub.userApp.inject({
      url: '/api/admin/institutions',
      headers: { authorization: `Bearer ${t.root}` },
    });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().error.code, 'MER_LEDGER_UNAVAILABLE');
    assert.match(res.json().error.message, /no validator answered: validator-a/);
  } finally {
    await other.dispose();
    await files.cleanup();
  }
});

test("institutions carry each member's key fingerprint (SHA-256 of the raw key)", () => {
  const key = '11'.repeat(32);
  const [one, ...rest] = institutionsOf([
    { name: 'hospital-a', role: 'hospital', status: 'active', publicKey: key, since: { height: 3, timeMs: 1 } },
    { name: 42 },
  ]);
  assert.equal(rest.length, 0, 'a malformed member is left out');
  assert.equal(one?.keyFingerprint, '02d449a31fbb267c8f352e9968a79e3e5fc95c1bbeaa502fd6454ebde5a4bedc');
  assert.equal(one?.sinceHeight, 3);
});

test('the node list shows what the tracker knows', async () => {
  const res = await as('root', 'GET', '/api/admin/nodes');
  assert.equal(res.statusCode, 200);
  assert.deepEqual(
    res.json().nodes.map((n: { name: string; displayName: string }) => [n.name, n.displayName]),
    [['hospital-a', 'A node whose task channel is stuck']],
  );
});

test('consortium settings: defaults, validated change, stored in the database, readable by every role', async () => {
  const initial = await as('rita', 'GET', '/api/settings/consortium');
  assert.deepEqual(initial.json().settings, { minCell: 5, epsilonDefault: 1, epsilonMax: 10 });

  for (const bad of [
    { minCell: 0, epsilonDefault: 1, epsilonMax: 10 },
    { minCell: 2.5, epsilonDefault: 1, epsilonMax: 10 },
    { minCell: 10, epsilonDefault: 3, epsilonMax: 2 },
    { minCell: 10, epsilonDefault: 1, epsilonMax: 101 },
    { minCell: 10, epsilonDefault: 1 },
  ]) {
    const res = await as('root', 'PUT', '/api/admin/settings', bad);
    assert.equal(res.statusCode, 400, JSON.stringify(bad));
  }
  const res = await as('root', 'PUT', '/api/admin/settings', { minCell: 11, epsilonDefault: 0.5, epsilonMax: 4 });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.json().settings.updatedBy, 'root');
  const audit = await lastAudit('settings.update');
  assert.equal(audit?.outcome, 'ok');
  assert.deepEqual((audit?.detail as { before?: unknown } | undefined)?.before, {
    minCell: 5,
    epsilonDefault: 1,
    epsilonMax: 10,
  });

  const read = await as('rita', 'GET', '/api/settings/consortium');
  assert.deepEqual(read.json().settings, { minCell: 11, epsilonDefault: 0.5, epsilonMax: 4 });
  const reopened = new ConsortiumSettingsStore({ db, now: () => new Date() });
  const loaded = await reopened.load();
  assert.deepEqual([loaded.minCell, loaded.epsilonDefault, loaded.epsilonMax, loaded.updatedBy], [11, 0.5, 4, 'root']);
  assert.equal((await as('rita', 'PUT', '/api/admin/settings', { minCell: 1 })).statusCode, 403);
});

test('the settings store names the field a bad value breaks', () => {
  assert.throws(() => parseConsortiumSettings({ minCell: 5, epsilonDefault: 2, epsilonMax: 1 }), {
    code: 'MER_SETTINGS_INVALID',
    message: /epsilonDefault: the default ε must not exceed the maximum ε/,
  });
  assert.throws(() => parseConsortiumSettings({ minCell: 1_001, epsilonDefault: 1, epsilonMax: 1 }), {
    code: 'MER_SETTINGS_INVALID',
    message: /^minCell/,
  });
});
