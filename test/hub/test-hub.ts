/** An in-process hub for route tests: a fresh CA and database, built by buildHubApp, and its cleanup. */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { initCa, issueIdentity, loadTlsMaterial } from '../../src/ca/index.ts';
import { loadConfig } from '../../src/config/load.ts';
import { buildHubApp, type HubAppOptions, type HubApps } from '../../src/hub/app.ts';
import type { Role } from '../../src/hub/auth/roles.ts';
import type { IngestTimeouts } from '../../src/hub/ingest/routes.ts';
import { HUB_MIGRATIONS, type HubDatabase } from '../../src/hub/schema.ts';
import { openDatabase } from '../../src/store/index.ts';
import { MERIDIAN_VERSION } from '../../src/version.ts';
import { freshDatabase } from '../store/targets.ts';

/** Builds a hub with `hub` config overrides and an optional clock; `dispose` closes and removes everything. */
export async function startTestHub(
  opts: {
    hub?: Record<string, unknown>;
    now?: () => Date;
    ingestTimeouts?: Partial<IngestTimeouts>;
    panoramaLedger?: HubAppOptions['panoramaLedger'];
  } = {},
): Promise<{
  hub: HubApps;
  /** The hub's database (to inspect what it stores). */
  db: Kysely<HubDatabase>;
  /** The consortium CA directory, to issue node identities from. */
  pkiDir: string;
  dispose(): Promise<void>;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'hub-test-'));
  await initCa({ dir: join(dir, 'pki') });
  await issueIdentity({ dir: join(dir, 'pki'), name: 'hub', role: 'hub' });
  const fresh = freshDatabase();
  const store = await openDatabase<HubDatabase>({ ...fresh.options, migrations: HUB_MIGRATIONS });
  const config = loadConfig({
    role: 'hub',
    env: {},
    overrides: {
      dataDir: dir,
      pki: { caDir: join(dir, 'pki'), identity: 'hub' },
      ...(opts.hub ? { hub: opts.hub } : {}),
    },
  });
  const hub = await buildHubApp({
    config,
    db: store.db,
    tls: loadTlsMaterial({ dir: join(dir, 'pki'), name: 'hub' }),
    sessionKey: new Uint8Array(32).fill(3),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.ingestTimeouts ? { ingestTimeouts: opts.ingestTimeouts } : {}),
    ...(opts.panoramaLedger ? { panoramaLedger: opts.panoramaLedger } : {}),
  });
  return {
    hub,
    db: store.db,
    pkiDir: join(dir, 'pki'),
    async dispose() {
      await hub.close();
      await store.close();
      await fresh.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates users (name, role, hospital) on a test hub and signs each in; their session tokens by name. */
export async function signInUsers(
  hub: HubApps,
  users: readonly (readonly [string, Role, string | null])[],
  password = 'a-long-test-password',
): Promise<Record<string, string>> {
  const tokens: Record<string, string> = {};
  for (const [username, role, hospital] of users) {
    await hub.users.create({ username, displayName: username, role, hospital, password });
    const res = await hub.userApp.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
    tokens[username] = res.json().token;
  }
  return tokens;
}

/** Makes a node known and up by one heartbeat with no task channel behind it, so its tasks time out. */
export async function announceSilentNode(hub: HubApps, name: string): Promise<void> {
  await hub.tracker.heartbeat({
    name,
    displayName: 'A node whose task channel is stuck',
    address: null,
    startedAt: new Date().toISOString(),
    versions: { meridian: MERIDIAN_VERSION, node: process.version, schema: null },
    dataVolume: { rows: 0, bytes: 0, tables: {} },
  });
}
