import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openLake } from '../../src/store/index.ts';

const columns = { id: 'BIGINT', v: 'VARCHAR' } as const;
const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: from + i, v: `r${from + i}` }));

async function count(lake: Awaited<ReturnType<typeof openLake>>, table: string): Promise<number> {
  if (!(await lake.tables()).includes(table)) return 0;
  const [r] = await lake.query<{ n: number }>(`select count(*)::integer as n from ${table}`);
  return Number(r?.n);
}

test('staged batches stay invisible until publish, which shows them all at once and retires old batches', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lake-publish-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const lake = await openLake({ dir });
  t.after(() => lake.close());
  await lake.writeBatch({ table: 'a', batchId: 'old', columns, rows: rows(0, 3) });
  await lake.writeBatch({ table: 'a', batchId: 'n1', columns, rows: rows(10, 5), stage: 'load1' });
  await lake.writeBatch({ table: 'b', batchId: 'n1', columns, rows: rows(20, 2), stage: 'load1' });
  assert.deepEqual([await count(lake, 'a'), await count(lake, 'b')], [3, 0]);
  const again = await lake.writeBatch({ table: 'a', batchId: 'n1', columns, rows: rows(10, 5), stage: 'load1' });
  assert.equal(again.created, false, 'a staged batch is written once');
  assert.deepEqual(await lake.publish('load1', [{ table: 'a', batchId: 'old' }]), { published: 2 });
  assert.deepEqual([await count(lake, 'a'), await count(lake, 'b')], [5, 2]);
  assert.equal(existsSync(join(dir, '.staging', 'load1')), false);
  await lake.writeBatch({ table: 'a', batchId: 'n2', columns, rows: rows(30, 4), stage: 'load2' });
  await lake.discardStage('load2');
  assert.equal(await count(lake, 'a'), 5);
});

test('opening a lake finishes a publish a crash interrupted and drops staging areas that were never published', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lake-recover-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let lake = await openLake({ dir });
  await lake.writeBatch({ table: 'a', batchId: 'old', columns, rows: rows(0, 3) });
  await lake.writeBatch({ table: 'a', batchId: 'x1', columns, rows: rows(10, 5), stage: 's1' });
  await lake.writeBatch({ table: 'a', batchId: 'x2', columns, rows: rows(20, 6), stage: 's1' });
  await lake.writeBatch({ table: 'a', batchId: 'y1', columns, rows: rows(40, 7), stage: 's2' });
  await lake.close();
  // The state a crash leaves mid-publish of s1: the intent is durable, one of two moves done, the retirement not yet.
  mkdirSync(join(dir, '.publish'));
  const moves = ['x1', 'x2'].map((b) => ({
    from: join('.staging', 's1', 'a', `part-${b}.parquet`),
    to: join('a', `part-${b}.parquet`),
  }));
  writeFileSync(
    join(dir, '.publish', 's1.json'),
    JSON.stringify({ stage: 's1', moves, deletes: [join('a', 'part-old.parquet')] }),
  );
  renameSync(join(dir, moves[0]?.from as string), join(dir, moves[0]?.to as string));
  lake = await openLake({ dir });
  t.after(() => lake.close());
  assert.equal(
    await count(lake, 'a'),
    11,
    's1 is complete (5 + 6 rows), the old batch retired, s2 (never published) dropped',
  );
  assert.equal(existsSync(join(dir, '.publish', 's1.json')), false);
  assert.equal(existsSync(join(dir, '.staging')), false);
});
