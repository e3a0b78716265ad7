/**
 * GroupInsert on a real, durable PGlite: rows written at the same moment share one commit (one fsync), each
 * caller resolves only once its row is committed, and a group whose insert fails is rejected whole and leaves
 * nothing behind, without holding back the rows after it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { GroupInsert } from '../../src/store/group-insert.ts';
import { DURABLE_START_PARAMS, DurableNodeFS } from '../../src/store/pglite-fs.ts';
import { deferrer, tempDir } from './targets.ts';

async function durableTable(t: Parameters<typeof deferrer>[0]) {
  const defer = deferrer(t);
  const { dir, cleanup } = tempDir('meridian-group-');
  defer(cleanup);
  const fs = new DurableNodeFS(dir);
  const pg = await PGlite.create({ fs, startParams: [...DURABLE_START_PARAMS] });
  defer(() => pg.close());
  await pg.query('create table audit (n int primary key, note text not null)');
  const rows = new GroupInsert<{ n: number; note: string | null }>(async (group) => {
    const params = group.flatMap((r) => [r.n, r.note]);
    const values = group.map((_, i) => `($${2 * i + 1}, $${2 * i + 2})`).join(', ');
    await pg.query(`insert into audit (n, note) values ${values}`, params);
  });
  const committed = async (): Promise<number[]> =>
    (await pg.query<{ n: number }>('select n from audit order by n')).rows.map((r) => r.n);
  return { fs, rows, committed };
}

test('a hundred rows written at once are committed in a few fsyncs, each acknowledged after its commit', async (t) => {
  const { fs, rows, committed } = await durableTable(t);
  const before = fs.syncCount;
  const seen: { n: number; rows: number[] }[] = [];
  await Promise.all(
    Array.from({ length: 100 }, (_, n) =>
      rows.add({ n, note: `row ${n}` }).then(async () => {
        if (n % 25 === 0) seen.push({ n, rows: await committed() });
      }),
    ),
  );
  assert.deepEqual(
    await committed(),
    Array.from({ length: 100 }, (_, n) => n),
  );
  assert.equal(seen.length, 4);
  for (const s of seen) assert.ok(s.rows.includes(s.n), `row ${s.n} was committed when its write was acknowledged`);
  const fsyncs = fs.syncCount - before;
  assert.ok(fsyncs > 0, 'the commits were flushed');
  assert.ok(fsyncs < 20, `100 rows written together took ${fsyncs} fsyncs (one per row would be 100)`);
});

test('rows added while a group commits go into the next group', async (t) => {
  const { rows, committed } = await durableTable(t);
  const first = rows.add({ n: 1, note: 'first' });
  await new Promise((r) => setImmediate(r));
  const second = rows.add({ n: 2, note: 'second' });
  await Promise.all([first, second]);
  assert.deepEqual(await committed(), [1, 2]);
});

test('a failing group is rejected whole, writes nothing, and the next group still commits', async (t) => {
  const { rows, committed } = await durableTable(t);
  const group = [rows.add({ n: 1, note: 'fine' }), rows.add({ n: 2, note: null }), rows.add({ n: 3, note: 'fine' })];
  const results = await Promise.allSettled(group);
  assert.deepEqual(
    results.map((r) => r.status),
    ['rejected', 'rejected', 'rejected'],
  );
  assert.match(String((results[1] as PromiseRejectedResult).reason), /null value in column "note"/);
  assert.deepEqual(await committed(), []);
  await rows.add({ n: 4, note: 'after' });
  assert.deepEqual(await committed(), [4]);
});
