/**
 * The node's task channel runs tasks side by side: a real node (own database and lake, mutual TLS) on an
 * in-process hub gets a task that waits and then one that answers at once; the second is answered while the
 * first is still running, and the first completes with its own result once released. A node stopping lets the
 * task in flight finish and deliver its result.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { issueIdentity, loadTlsMaterial } from '../../src/ca/index.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { NodeConfig } from '../../src/config/schema.ts';
import type { HubApps } from '../../src/hub/app.ts';
import { buildNodeApp, type NodeApps } from '../../src/node/app.ts';
import { type NodeStores, openNodeStores } from '../../src/node/stores.ts';
import { startTestHub } from '../hub/test-hub.ts';
import { waitUntil } from '../integration/processes.ts';

let hub: HubApps;
let dispose: () => Promise<void>;
let stores: NodeStores;
let node: NodeApps;
/** Releases of the `test.wait` tasks in flight, by their payload's name. */
const waiting = new Map<string, () => void>();

before(async () => {
  const t = await startTestHub({ hub: { pollHoldMs: 200 } });
  hub = t.hub;
  dispose = t.dispose;
  await hub.peerApp.listen({ port: 0, host: '127.0.0.1' });
  const address = hub.peerApp.server.address() as { port: number };
  await issueIdentity({ dir: t.pkiDir, name: 'hospital-a', role: 'node' });
  const config: NodeConfig = loadConfig({
    role: 'node',
    env: {},
    overrides: {
      dataDir: join(t.pkiDir, '..', 'hospital-a'),
      pki: { caDir: t.pkiDir, identity: 'hospital-a' },
      node: {
        name: 'hospital-a',
        displayName: 'Hospital A',
        hubUrl: `https://127.0.0.1:${address.port}`,
        heartbeatMs: 200,
      },
    },
  });
  stores = await openNodeStores(config);
  node = await buildNodeApp({
    config,
    db: stores.db,
    lake: stores.lake,
    handlers: {
      'test.wait': (payload) =>
        new Promise((resolve) => {
          const { name } = payload as { name: string };
          waiting.set(name, () => resolve({ waited: name }));
        }),
      'test.echo': async (payload) => ({ echo: payload }),
    },
    tls: loadTlsMaterial({ dir: t.pkiDir, name: 'hospital-a' }),
    schemaVersion: stores.schemaVersion,
  });
  node.channel.start();
  await waitUntil('the node is up at the hub', 30_000, async () => (hub.tracker.isUp('hospital-a') ? true : undefined));
});

after(async () => {
  await node.close();
  await stores.close();
  await dispose();
});

test('a quick task is answered while a slow one is still running; the slow one then completes', async () => {
  const slow = hub.queues.dispatch('hospital-a', 'test.wait', { name: 'slow' }, 30_000);
  await waitUntil('the slow task runs', 30_000, async () => (waiting.has('slow') ? true : undefined));
  const quick = await hub.queues.dispatch('hospital-a', 'test.echo', { n: 1 }, 30_000);
  assert.deepEqual(quick, { status: 'done', result: { echo: { n: 1 } } });
  assert.ok(waiting.has('slow'), 'the slow task is still in flight');
  waiting.get('slow')?.();
  assert.deepEqual(await slow, { status: 'done', result: { waited: 'slow' } });
});

test('stopping the channel lets the task in flight finish and deliver its result', async () => {
  const last = hub.queues.dispatch('hospital-a', 'test.wait', { name: 'last' }, 30_000);
  await waitUntil('the last task runs', 30_000, async () => (waiting.has('last') ? true : undefined));
  const stopped = node.channel.stop();
  waiting.get('last')?.();
  await stopped;
  assert.deepEqual(await last, { status: 'done', result: { waited: 'last' } });
});
