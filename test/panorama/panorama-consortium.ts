/**
 * A small real consortium for panorama tests and the panorama benchmark: four ledger validator processes running
 * the production contracts (the hub is validator-a; the hospitals are members), a hub built in-process whose
 * panorama signs on that ledger, and hospital nodes in-process (own database, lake with encrypted identifiers,
 * the consortium linkage key) that load CSV exports and answer over the mutual-TLS task channel, checking access
 * records on the ledger. `close` stops everything.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import type { Kysely } from 'kysely';
import { identityPaths, issueIdentity, loadTlsMaterial } from '../../src/ca/index.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { NodeConfig } from '../../src/config/schema.ts';
import type { HubApps } from '../../src/hub/app.ts';
import type { Role } from '../../src/hub/auth/roles.ts';
import { ledgerAccessRecorder } from '../../src/hub/panorama/ledger.ts';
import type { HubDatabase } from '../../src/hub/schema.ts';
import { identityTaskHandlers, type LinkageKey } from '../../src/identity/index.ts';
import { LedgerClient, type LedgerConfig } from '../../src/ledger/host/index.ts';
import { publicKeyHex } from '../../src/ledger/signing.ts';
import { buildNodeApp, type NodeApps } from '../../src/node/app.ts';
import { loadLinkageKey } from '../../src/node/keys.ts';
import { type NodeStores, openNodeStores } from '../../src/node/stores.ts';
import { ledgerAccessReader } from '../../src/panorama/access.ts';
import { panoramaTaskHandlers } from '../../src/panorama/node.ts';
import { signInUsers, startTestHub } from '../hub/test-hub.ts';
import { type Proc, waitUntil } from '../integration/processes.ts';
import { type ClusterFiles, makeClusterFiles, startValidatorProcess } from '../ledger/host/cluster.ts';

/** The validator the hub signs as (its institution). */
export const PANORAMA_HUB = 'validator-a';

/** Mappings of the test exports: a patient register, visits and diagnoses (CSV). */
export const PANORAMA_SPECS = [
  {
    id: 'register',
    version: 1,
    target: 'person',
    fields: {
      person_id: { from: 'pid' },
      local_patient_id: { from: 'pid' },
      id_number: { from: 'idno' },
      name: { from: 'name' },
      gender: { from: 'sex', as: 'sex' },
      birth_date: { from: 'born', as: 'date' },
    },
  },
  {
    id: 'visits',
    version: 1,
    target: 'visit_occurrence',
    fields: {
      visit_id: { from: 'vid' },
      person_id: { from: 'pid' },
      visit_type: { from: 'type' },
      start_date: { from: 'start', as: 'date' },
      department: { from: 'dept' },
    },
  },
  {
    id: 'diagnoses',
    version: 1,
    target: 'condition_occurrence',
    fields: {
      person_id: { from: 'pid' },
      visit_id: { from: 'vid' },
      condition_code: { from: 'code' },
      condition_name: { from: 'name' },
      condition_date: { from: 'date', as: 'date' },
    },
  },
];
/** Which export file each mapping reads. */
export const PANORAMA_PROFILE = {
  source: 'his',
  rules: [
    { match: 'register.csv', specs: ['register'] },
    { match: 'visits.csv', specs: ['visits'] },
    { match: 'diagnoses.csv', specs: ['diagnoses'] },
  ],
};

/** One hospital node of the consortium. */
export interface PanoramaNode {
  stores: NodeStores;
  apps: NodeApps;
  linkageKey: LinkageKey;
}

/** The running consortium. */
export interface PanoramaConsortium {
  hub: HubApps;
  hubDb: Kysely<HubDatabase>;
  client: LedgerClient;
  ledgerConfig: LedgerConfig;
  nodes: Map<string, PanoramaNode>;
  /** Session tokens of the users, by name. */
  tokens: Record<string, string>;
  /** One call to the hub's user API as `user`. */
  call(user: string, method: 'GET' | 'POST', url: string, payload?: unknown): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

async function startNode(o: {
  pkiDir: string;
  hubUrl: string;
  name: string;
  key: Buffer;
  files: Record<string, string>;
  client: LedgerClient;
}): Promise<PanoramaNode> {
  const { pkiDir, name } = o;
  await issueIdentity({ dir: pkiDir, name, role: 'node' });
  const home = join(pkiDir, '..', name);
  mkdirSync(join(home, 'export'), { recursive: true });
  for (const [f, text] of Object.entries(o.files)) writeFileSync(join(home, 'export', f), text);
  mkdirSync(join(home, 'data', 'keys'), { recursive: true });
  writeFileSync(join(home, 'data', 'keys', 'linkage.key'), o.key, { mode: 0o600 });
  const config: NodeConfig = loadConfig({
    role: 'node',
    env: {},
    overrides: {
      dataDir: join(home, 'data'),
      pki: { caDir: pkiDir, identity: name },
      node: { name, displayName: `Hospital ${name}`, hubUrl: o.hubUrl, heartbeatMs: 200 },
    },
  });
  const linkageKey = loadLinkageKey(config);
  assert.ok(linkageKey);
  const stores = await openNodeStores(config);
  await stores.ingest.installMappings({ profile: PANORAMA_PROFILE, specs: PANORAMA_SPECS }, 'test');
  const summary = await stores.ingest.ingest({ path: join(home, 'export') });
  assert.equal(summary.totals.failed, 0, JSON.stringify(summary.totals));
  const apps = await buildNodeApp({
    config,
    db: stores.db,
    lake: stores.lake,
    ingest: stores.ingest,
    handlers: {
      ...identityTaskHandlers({
        lake: stores.lake,
        key: linkageKey,
        hospital: name,
        decrypt: (value, column) => stores.crypto.decrypt('person', column, value),
      }),
      ...panoramaTaskHandlers({
        lake: stores.lake,
        crypto: stores.crypto,
        key: linkageKey,
        hospital: name,
        ledger: ledgerAccessReader({ client: o.client, prefer: PANORAMA_HUB, order: [PANORAMA_HUB] }),
      }),
    },
    tls: loadTlsMaterial({ dir: pkiDir, name }),
    schemaVersion: stores.schemaVersion,
  });
  apps.channel.start();
  return { stores, apps, linkageKey };
}

/**
 * Starts the validators, the hub and one node per entry of `hospitals` (its export files by name), signs in
 * `users`, and links the hospitals' persons with one sweep.
 */
export async function startPanoramaConsortium(opts: {
  hospitals: { name: string; files: Record<string, string> }[];
  users: readonly (readonly [string, Role, string | null])[];
}): Promise<PanoramaConsortium> {
  const files: ClusterFiles = await makeClusterFiles({
    n: 4,
    consensus: { viewChangeTimeoutMs: 1_000, retransmitIntervalMs: 200, syncIntervalMs: 500 },
  });
  const validators: Proc[] = [];
  const nodes = new Map<string, PanoramaNode>();
  let client: LedgerClient | undefined;
  let dispose: (() => Promise<void>) | undefined;
  const close = async () => {
    for (const n of nodes.values()) {
      await n.apps.close();
      await n.stores.close();
    }
    await dispose?.();
    client?.close();
    for (const v of validators) v.child.kill('SIGKILL');
    await files.cleanup();
  };
  try {
    const hubKey = createPrivateKey(readFileSync(identityPaths(files.caDir, PANORAMA_HUB).signingKey, 'utf8'));
    const members = opts.hospitals.map((h) => ({
      name: h.name,
      publicKey: publicKeyHex(
        generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string,
      ),
    }));
    const ledgerConfig: LedgerConfig = {
      ...files.config,
      institutions: [...files.config.institutions, ...members],
    };
    await writeFile(files.configPath, JSON.stringify(ledgerConfig, null, 2));
    const genesisPath = join(files.root, 'genesis.json');
    await writeFile(
      genesisPath,
      JSON.stringify({
        chainId: ledgerConfig.chainId,
        genesisTime: Date.now(),
        institutions: [
          ...ledgerConfig.validators.map((v) => ({
            name: v.name,
            role: v.name === PANORAMA_HUB ? 'hub' : 'hospital',
            publicKey: v.publicKey,
          })),
          ...ledgerConfig.institutions.map((i) => ({ name: i.name, role: 'hospital', publicKey: i.publicKey })),
        ],
        validators: ledgerConfig.validators.map((v) => ({ name: v.name, publicKey: v.publicKey })),
      }),
    );
    validators.push(
      ...(await Promise.all(
        ledgerConfig.validators.map((v) => startValidatorProcess(files, v.name, { genesis: genesisPath })),
      )),
    );
    client = new LedgerClient({ config: ledgerConfig, tls: files.clientTls });
    const signer = {
      client,
      chainId: ledgerConfig.chainId,
      institution: PANORAMA_HUB,
      privateKey: hubKey,
      validators: [PANORAMA_HUB],
    };
    const started = await startTestHub({
      hub: { nodeDownAfterMs: 3_000 },
      panoramaLedger: {
        recorder: ledgerAccessRecorder(signer),
        reader: ledgerAccessReader({ client, prefer: PANORAMA_HUB, order: [PANORAMA_HUB] }),
      },
    });
    dispose = started.dispose;
    const { hub } = started;
    const peer = await hub.peerApp.listen({ host: '127.0.0.1', port: 0 });
    const tokens = await signInUsers(hub, [...opts.users, ['panorama-admin', 'admin', null]]);
    const key = randomBytes(32);
    for (const h of opts.hospitals)
      nodes.set(
        h.name,
        await startNode({ pkiDir: started.pkiDir, hubUrl: peer, name: h.name, key, files: h.files, client }),
      );
    await waitUntil('every node up', 30_000, async () =>
      opts.hospitals.every((h) => hub.tracker.isUp(h.name)) ? true : undefined,
    );
    const call: PanoramaConsortium['call'] = (user, method, url, payload) =>
      hub.userApp.inject({
        method,
        url,
        headers: { authorization: `Bearer ${tokens[user]}` },
        ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
      });
    const sweep = await call('panorama-admin', 'POST', '/api/identity/sweep');
    assert.equal(sweep.statusCode, 200, sweep.body);
    return { hub, hubDb: started.db, client, ledgerConfig, nodes, tokens, call, close };
  } catch (e) {
    await close();
    throw e;
  }
}
