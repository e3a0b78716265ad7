import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHANNEL_LOST_GRACE_MS, NodeTracker } from '../../src/hub/nodes/node-tracker.ts';
import { HUB_MIGRATIONS, type HubDatabase } from '../../src/hub/schema.ts';
import { openDatabase } from '../../src/store/index.ts';
import { freshDatabase } from '../store/targets.ts';

const hb = (name: string, startedAt = '2026-01-01T00:00:00.000Z') => ({
  name,
  displayName: `Hospital ${name}`,
  address: 'https://127.0.0.1:9441',
  startedAt,
  versions: { meridian: '0.1.0', node: 'v20.20.2', schema: 'node-0001-audit' },
  dataVolume: { rows: 12, bytes: 3400, tables: { person: { rows: 12, bytes: 3400, files: 1 } } },
});

test('a node is up after a heartbeat, down when silent past the limit, after goodbye, or when its channel breaks', async () => {
  const fresh = freshDatabase();
  const store = await openDatabase<HubDatabase>({ ...fresh.options, migrations: HUB_MIGRATIONS });
  try {
    let t = Date.parse('2026-05-01T00:00:00Z');
    const tracker = new NodeTracker({ db: store.db, downAfterMs: 5_000, now: () => new Date(t) });
    assert.deepEqual(tracker.list(), []);
    await tracker.heartbeat(hb('hospital-a'));
    assert.equal(tracker.list()[0]?.state, 'up');
    assert.equal(tracker.list()[0]?.dataVolume.rows, 12);
    t += 5_000;
    assert.equal(tracker.isUp('hospital-a'), true, 'still up at exactly the limit');
    t += 1;
    const down = tracker.list()[0];
    assert.equal(down?.state, 'down');
    assert.equal(down?.since, '2026-05-01T00:00:05.000Z');

    await tracker.heartbeat(hb('hospital-a'));
    assert.equal(tracker.isUp('hospital-a'), true);
    tracker.channelLost('hospital-a');
    t += CHANNEL_LOST_GRACE_MS - 1;
    assert.equal(tracker.isUp('hospital-a'), true, 'a broken poll gets a grace period');
    t += 1;
    assert.equal(tracker.isUp('hospital-a'), false, 'then the node is down without waiting for heartbeats to stop');
    await tracker.heartbeat(hb('hospital-a'));
    assert.equal(tracker.isUp('hospital-a'), true, 'heard from again: up');

    await tracker.goodbye('hospital-a');
    assert.equal(tracker.isUp('hospital-a'), false);

    const reloaded = new NodeTracker({ db: store.db, downAfterMs: 5_000, now: () => new Date(t) });
    await reloaded.load();
    const view = reloaded.list()[0];
    assert.equal(view?.name, 'hospital-a');
    assert.equal(view?.state, 'down', 'a restarted hub lists known nodes as down until heard from');
    assert.equal(view?.displayName, 'Hospital hospital-a');
    await reloaded.heartbeat(hb('hospital-a', '2026-05-01T00:01:00.000Z'));
    assert.equal(reloaded.list()[0]?.state, 'up');
  } finally {
    await store.close();
    await fresh.cleanup();
  }
});
