/**
 * Route × role, for the whole hub: every /api route the user app declares (read from `hub.routes.user`, so routes
 * added later are covered without touching this file) refuses each role it does not allow with 403
 * MER_AUTH_FORBIDDEN and no data, and refuses a request without a session with 401. The hub is built with a
 * ledger configuration so the routes that need one (federation, ledger, institutions) are declared too; no
 * validator runs, since every request here must be refused before a handler touches anything.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RouteAccess } from '../../src/http/route-config.ts';
import type { HubApps } from '../../src/hub/app.ts';
import { ROLES, type Role } from '../../src/hub/auth/roles.ts';
import { type ClusterFiles, makeClusterFiles } from '../ledger/host/cluster.ts';
import { signInUsers, startTestHub } from './test-hub.ts';

/** Routes open without a session on purpose: the login flow. Anything else public must be added here knowingly. */
const PUBLIC_ROUTES = [
  'GET /api/auth/providers',
  'GET /api/auth/oidc/:provider/start',
  'GET /api/auth/oidc/:provider/callback',
  'POST /api/auth/login',
] as const;

/** Plausible values for path parameters by name; any other parameter gets a generic id. */
const PARAM_VALUES: Record<string, string> = {
  node: 'hospital-a',
  provider: 'local',
  taskId: 'task-00000000-0000-4000-8000-000000000001',
  height: '1',
  hash: 'ab'.repeat(32),
  id: '00000000-0000-4000-8000-000000000001',
};

let hub: HubApps;
let files: ClusterFiles;
let dispose: () => Promise<void>;
let tokens: Record<string, string>;

before(async () => {
  files = await makeClusterFiles({ n: 1 });
  ({ hub, dispose } = await startTestHub({ hub: { ledger: { configFile: files.configPath } } }));
  tokens = await signInUsers(
    hub,
    ROLES.map((role) => [role, role, role === 'steward' ? 'hospital-a' : null] as const),
  );
});

after(async () => {
  await dispose();
  await files.cleanup();
});

function concreteUrl(pattern: string): string {
  return pattern.replace(/:(\w+)/g, (_, name: string) => PARAM_VALUES[name] ?? 'x1');
}

function label(route: RouteAccess): string {
  return `${route.method} ${route.url}`;
}

async function call(route: RouteAccess, token: string | undefined) {
  const method = route.method as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  return hub.userApp.inject({
    method,
    url: concreteUrl(route.url),
    ...(token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } }),
    ...(method === 'GET' || method === 'DELETE' ? {} : { payload: {} }),
  });
}

test('the hub declares its public routes explicitly and no others', () => {
  const open = hub.routes.user.filter((r) => r.access === 'public').map(label);
  assert.deepEqual(
    open.sort(),
    [...PUBLIC_ROUTES].sort(),
    'a public /api route must be listed in PUBLIC_ROUTES on purpose',
  );
});

test('the full hub is covered: federation, ledger and admin routes are declared', () => {
  const urls = hub.routes.user.map(label);
  for (const expected of [
    'POST /api/federation/count',
    'GET /api/ledger/blocks',
    'GET /api/admin/institutions',
    'PUT /api/admin/settings',
    'GET /api/settings/consortium',
  ]) {
    assert.ok(urls.includes(expected), `${expected} is declared`);
  }
});

test('every guarded route refuses every role it does not allow with 403 MER_AUTH_FORBIDDEN and no data', async () => {
  const failures: string[] = [];
  let checked = 0;
  for (const route of hub.routes.user) {
    if (route.access === 'public') continue;
    assert.ok('roles' in route.access, `${label(route)} declares portal roles`);
    const allowed = new Set<Role>(route.access.roles);
    for (const role of ROLES) {
      if (allowed.has(role)) continue;
      const res = await call(route, tokens[role]);
      checked += 1;
      const body = res.json() as { error?: { code?: string } };
      if (res.statusCode !== 403 || body.error?.code !== 'MER_AUTH_FORBIDDEN' || Object.keys(body).length !== 1) {
        failures.push(`${label(route)} as ${role}: ${res.statusCode} ${res.body.slice(0, 160)}`);
      }
    }
  }
  assert.deepEqual(failures, [], `routes that let a wrong role through:\n${failures.join('\n')}`);
  assert.ok(checked > 100, `checked ${checked} route × role pairs`);
});

test('every guarded route refuses a request without a session with 401 MER_AUTH_TOKEN_MISSING', async () => {
  const failures: string[] = [];
  for (const route of hub.routes.user) {
    if (route.access === 'public') continue;
    const res = await call(route, undefined);
    const body = res.json() as { error?: { code?: string } };
    if (res.statusCode !== 401 || body.error?.code !== 'MER_AUTH_TOKEN_MISSING') {
      failures.push(`${label(route)}: ${res.statusCode} ${res.body.slice(0, 160)}`);
    }
  }
  assert.deepEqual(failures, [], `routes reachable without a session:\n${failures.join('\n')}`);
});

test('a refusal is audited with the route and the role', async () => {
  const res = await hub.userApp.inject({
    method: 'GET',
    url: '/api/admin/users',
    headers: { authorization: `Bearer ${tokens.researcher}` },
  });
  assert.equal(res.statusCode, 403);
  const refused = (await hub.audit.recent(20)).find(
    (r) => r.action === 'GET /api/admin/users' && r.actor === 'researcher',
  );
  assert.ok(refused, 'the refusal is in the audit trail');
  assert.equal(refused.outcome, 'refused');
  assert.equal(refused.actor_role, 'researcher');
});
