import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { HubApps } from '../../src/hub/app.ts';
import { ROLES } from '../../src/hub/auth/roles.ts';
import { announceSilentNode, startTestHub } from './test-hub.ts';

const PASSWORD = 'a-long-test-password';
let hub: HubApps;
let clock = new Date('2026-03-01T08:00:00Z');
let dispose: () => Promise<void>;

before(async () => {
  ({ hub, dispose } = await startTestHub({ now: () => clock }));
  for (const role of ROLES) {
    await hub.users.create({
      username: role,
      displayName: role,
      role,
      hospital: role === 'steward' ? 'hospital-a' : null,
      password: PASSWORD,
    });
  }
});

after(async () => {
  await dispose();
});

async function login(username: string, password = PASSWORD) {
  return hub.userApp.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
}

/** The stewards' ingest routes: steward and admin may read, only a steward may change or trace to source records. */
const INGEST_ROUTES = [
  'GET /api/ingest/:node/loads',
  'GET /api/ingest/:node/loads/:loadId',
  'GET /api/ingest/:node/quarantine',
  'GET /api/ingest/:node/unmapped',
  'GET /api/ingest/:node/lineage',
  'GET /api/ingest/:node/specs',
  'POST /api/ingest/:node/codes',
  'POST /api/ingest/:node/rerun',
] as const;

/** A route pattern with its parameters filled: the steward's own hospital, and a plausible id. */
function concreteUrl(pattern: string): string {
  return pattern.replace(':node', 'hospital-a').replace(/:\w+/g, 'x1');
}

async function tokenFor(role: string): Promise<string> {
  const res = await login(role);
  assert.equal(res.statusCode, 200, res.body);
  return res.json().token;
}

test('login returns a short-lived token and the user, never the hash', async () => {
  const res = await login('researcher');
  assert.equal(res.statusCode, 200);
  const body = res.json();
  assert.equal(body.user.role, 'researcher');
  assert.equal(Date.parse(body.expiresAt) - clock.getTime(), 900_000);
  assert.ok(!res.body.includes('scrypt'));
  const me = await hub.userApp.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${body.token}` } });
  assert.equal(me.json().user.username, 'researcher');
});

test('wrong password and unknown user get the same 401 with a JSON body, and are audited', async () => {
  for (const [u, p] of [
    ['admin', 'wrong-password!'],
    ['nobody', PASSWORD],
  ] as const) {
    const res = await login(u, p);
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error.code, 'MER_AUTH_BAD_CREDENTIALS');
  }
  const audit = await hub.audit.recent(10);
  assert.ok(audit.some((a) => a.actor === 'nobody' && a.action === 'login' && a.outcome === 'refused'));
});

test('expired, forged and missing tokens get 401 naming the problem', async () => {
  const token = await tokenFor('admin');
  const saved = clock;
  clock = new Date(clock.getTime() + 906_000);
  const expired = await hub.userApp.inject({ url: '/api/nodes', headers: { authorization: `Bearer ${token}` } });
  clock = saved;
  assert.equal(expired.statusCode, 401);
  assert.equal(expired.json().error.code, 'MER_AUTH_TOKEN_EXPIRED');
  const forged = await hub.userApp.inject({
    url: '/api/nodes',
    headers: { authorization: `Bearer ${token.slice(0, -3)}abc` },
  });
  assert.equal(forged.json().error.code, 'MER_AUTH_TOKEN_INVALID');
  const garbage = await hub.userApp.inject({ url: '/api/nodes', headers: { authorization: 'Basic abc' } });
  assert.equal(garbage.json().error.code, 'MER_AUTH_TOKEN_INVALID');
  const missing = await hub.userApp.inject({ url: '/api/nodes' });
  assert.equal(missing.statusCode, 401);
  assert.equal(missing.json().error.code, 'MER_AUTH_TOKEN_MISSING');
});

test('malformed JSON, wrong fields and wrong content type get 4xx JSON errors naming the problem', async () => {
  const bad = await hub.userApp.inject({
    method: 'POST',
    url: '/api/auth/login',
    headers: { 'content-type': 'application/json' },
    payload: '{"username": "admin", ',
  });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error.code, 'MER_HTTP_BAD_JSON');
  const missing = await hub.userApp.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin' } });
  assert.equal(missing.statusCode, 400);
  assert.equal(missing.json().error.code, 'MER_HTTP_VALIDATION');
  assert.match(missing.json().error.message, /body\.password missing/);
  const extra = await hub.userApp.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username: 'a', password: 'secret-value', admin: true },
  });
  assert.equal(extra.statusCode, 400);
  assert.ok(!extra.body.includes('secret-value'), 'a password is never echoed');
  const text = await hub.userApp.inject({
    method: 'POST',
    url: '/api/auth/login',
    headers: { 'content-type': 'application/xml' },
    payload: '<a/>',
  });
  assert.equal(text.statusCode, 415);
  assert.equal(text.json().error.code, 'MER_HTTP_UNSUPPORTED_MEDIA');
  const nf = await hub.userApp.inject({ url: '/api/nothing-here' });
  assert.equal(nf.statusCode, 404);
  assert.equal(nf.json().error.code, 'MER_HTTP_NOT_FOUND');
});

test('every /api route declares its roles; each wrong role gets 403 and no data, each allowed role gets through', async () => {
  const tokens = Object.fromEntries(await Promise.all(ROLES.map(async (r) => [r, await tokenFor(r)] as const)));
  const guarded = hub.routes.user.filter((r) => r.access !== 'public');
  assert.ok(guarded.length >= 4, 'guarded routes are collected');
  const ingest = guarded.filter((r) => r.url.startsWith('/api/ingest/')).map((r) => `${r.method} ${r.url}`);
  assert.deepEqual(ingest.sort(), [...INGEST_ROUTES].sort(), 'every ingest route is declared and covered');
  for (const route of guarded) {
    if (route.access === 'public' || !('roles' in route.access)) continue;
    const allowed = new Set(route.access.roles);
    for (const role of ROLES) {
      const res = await hub.userApp.inject({
        method: route.method as 'GET' | 'POST',
        url: concreteUrl(route.url),
        headers: { authorization: `Bearer ${tokens[role]}` },
        ...(route.method === 'POST' ? { payload: {} } : {}),
      });
      if (allowed.has(role)) {
        assert.notEqual(res.statusCode, 403, `${role} should pass ${route.method} ${route.url}`);
      } else {
        assert.equal(res.statusCode, 403, `${role} on ${route.method} ${route.url}`);
        assert.deepEqual(Object.keys(res.json()), ['error']);
        assert.equal(res.json().error.code, 'MER_AUTH_FORBIDDEN');
      }
    }
  }
});

test('a disabled user is refused at once, even with a valid token', async () => {
  const u = await hub.users.create({ username: 'temp-user', displayName: 'T', role: 'auditor', password: PASSWORD });
  const token = await tokenFor('temp-user');
  const me = () => hub.userApp.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } });
  // The first request reads the account (and the store keeps it); the change must still apply at the next one.
  assert.equal((await me()).statusCode, 200);
  await hub.users.setDisabled(u.id, true);
  const res = await me();
  assert.equal(res.statusCode, 403);
  assert.equal(res.json().error.code, 'MER_AUTH_USER_DISABLED');
  await hub.users.setDisabled(u.id, false);
  assert.equal((await me()).statusCode, 200);
  await hub.users.update(u.id, { role: 'manager' });
  assert.equal((await me()).json().user.role, 'manager');
});

test('admin creates users; bad fields and duplicates are refused clearly', async () => {
  const auth = { authorization: `Bearer ${await tokenFor('admin')}` };
  await announceSilentNode(hub, 'hospital-b');
  const ok = await hub.userApp.inject({
    method: 'POST',
    url: '/api/admin/users',
    headers: auth,
    payload: { username: 'steward-x', displayName: 'S', role: 'steward', hospital: 'hospital-b', password: PASSWORD },
  });
  assert.equal(ok.statusCode, 201, ok.body);
  const dup = await hub.userApp.inject({
    method: 'POST',
    url: '/api/admin/users',
    headers: auth,
    payload: { username: 'steward-x', displayName: 'S', role: 'steward', hospital: 'hospital-b', password: PASSWORD },
  });
  assert.equal(dup.statusCode, 409);
  assert.equal(dup.json().error.code, 'MER_USER_EXISTS');
  const unbound = await hub.userApp.inject({
    method: 'POST',
    url: '/api/admin/users',
    headers: auth,
    payload: { username: 'steward-y', displayName: 'S', role: 'steward', password: PASSWORD },
  });
  assert.equal(unbound.statusCode, 400);
  assert.match(unbound.json().error.message, /body\.hospital/);
  const role = await hub.userApp.inject({
    method: 'POST',
    url: '/api/admin/users',
    headers: auth,
    payload: { username: 'x1', displayName: 'S', role: 'superuser', password: PASSWORD },
  });
  assert.match(role.json().error.message, /body\.role = "superuser"/);
});

test('OpenAPI is served at /docs, health and readiness answer', async () => {
  const spec = await hub.userApp.inject({ url: '/docs/json' });
  assert.equal(spec.statusCode, 200);
  assert.ok(spec.json().paths['/api/auth/login']);
  assert.equal((await hub.userApp.inject({ url: '/health' })).json().status, 'ok');
  assert.equal((await hub.userApp.inject({ url: '/ready' })).statusCode, 200);
});

test('five failed logins lock the account for 15 minutes, even for the right password', async () => {
  await hub.users.create({ username: 'target', displayName: 'T', role: 'ethics', password: PASSWORD });
  for (let i = 0; i < 5; i++) assert.equal((await login('target', `wrong-password-${i}`)).statusCode, 401);
  const locked = await login('target');
  assert.equal(locked.statusCode, 429);
  assert.equal(locked.json().error.code, 'MER_AUTH_LOCKED');
  assert.equal(typeof locked.json().error.details.retryAfterSec, 'number');
  assert.equal((await login('admin')).statusCode, 200, 'other accounts are not affected');
  const saved = clock;
  clock = new Date(clock.getTime() + 15 * 60_000 + 1);
  const after = await login('target');
  clock = saved;
  assert.equal(after.statusCode, 200);
});
