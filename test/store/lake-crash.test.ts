/**
 * Kills a lake writer with SIGKILL in the middle of a big batch and checks that the lake shows either the
 * whole batch or nothing, never part of it, and that reopening removes what the dead writer left.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openLake } from '../../src/store/index.ts';
import { startFixture } from './child.ts';
import { deferrer, tempDir } from './targets.ts';

const ROWS = 1_500_000;
const POLL_MS = 2;
const POLLS_MAX = 60_000;

function tempFiles(tableDir: string): string[] {
  return existsSync(tableDir) ? readdirSync(tableDir).filter((name) => name.endsWith('.tmp')) : [];
}

for (const delayMs of [0, 100, 300]) {
  test(`SIGKILL ${delayMs} ms into the Parquet write leaves all of the batch or none of it`, async (t) => {
    const defer = deferrer(t);
    const { dir, cleanup } = tempDir('meridian-lake-crash-');
    defer(cleanup);
    const writer = startFixture('lake-writer.ts', [dir, String(ROWS)]);
    defer(() => writer.kill());
    await writer.waitForLine(/^started$/, 120_000);

    const tableDir = join(dir, 'big');
    let polls = 0;
    while (tempFiles(tableDir).length === 0 && writer.child.exitCode === null && polls++ < POLLS_MAX)
      await sleep(POLL_MS);
    assert.ok(polls < POLLS_MAX, 'the writer never started its temp file');
    if (delayMs > 0) await sleep(delayMs);
    await writer.kill();
    const finished = writer.lines.some((line) => line.startsWith('done'));
    if (delayMs === 0)
      assert.ok(!finished && tempFiles(tableDir).length === 1, 'killed while the temp file was being written');
    t.diagnostic(`writer finished before the kill: ${finished}; temp left: ${tempFiles(tableDir).length}`);

    const lake = await openLake({ dir });
    defer(() => lake.close());
    assert.deepEqual(tempFiles(tableDir), [], 'reopening removed the dead writer’s temp file');
    const tables = await lake.tables();
    if (tables.length === 0) {
      assert.equal(finished, false);
      assert.equal((await lake.stats()).total.rows, 0);
      return;
    }
    assert.deepEqual(tables, ['big']);
    assert.deepEqual(await lake.query('select count(*) as n, max(id) as m from big'), [{ n: ROWS, m: ROWS - 1 }]);
  });
}
