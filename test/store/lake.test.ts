import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isMeridianError } from '../../src/errors/registry.ts';
import { type Lake, type LakeColumnType, openLake, type WriteBatchOptions } from '../../src/store/index.ts';
import { epochDay } from '../../src/store/lake-values.ts';
import { deferrer, tempDir } from './targets.ts';

const PERSON: Record<string, LakeColumnType> = {
  person_id: 'BIGINT',
  name: 'VARCHAR',
  birth_date: 'DATE',
  admitted_at: 'TIMESTAMP',
  weight_kg: 'DOUBLE',
  deceased: 'BOOLEAN',
};

async function withLake(t: {
  after(fn: () => Promise<void>): void;
}): Promise<{ lake: Lake; dir: string; defer(fn: () => unknown): void }> {
  const defer = deferrer(t);
  const { dir, cleanup } = tempDir('meridian-lake-');
  defer(cleanup);
  const lake = await openLake({ dir });
  defer(() => lake.close());
  return { lake, dir, defer };
}

function files(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => !f.startsWith('.spill'));
}

test('rows round-trip with their types; NULLs and big integers included', async (t) => {
  const { lake } = await withLake(t);
  const admitted = new Date('2026-03-01T08:30:00.123Z');
  const result = await lake.writeBatch({
    table: 'person',
    batchId: 'load-1',
    columns: PERSON,
    rows: [
      { person_id: 1, name: '张三', birth_date: '1960-02-29', admitted_at: admitted, weight_kg: 61.5, deceased: false },
      {
        person_id: 2n ** 62n,
        name: null,
        birth_date: new Date('1999-12-31T00:00:00Z'),
        admitted_at: '2026-03-01T16:30:00+08:00',
      },
    ],
  });
  assert.equal(result.created, true);
  assert.equal(result.rowCount, 2);
  assert.ok(result.bytes > 0);
  assert.ok(result.file.endsWith(join('person', 'part-load-1.parquet')));

  const rows = await lake.query('select * from person order by person_id');
  assert.deepEqual(rows, [
    { person_id: 1, name: '张三', birth_date: '1960-02-29', admitted_at: admitted, weight_kg: 61.5, deceased: false },
    {
      person_id: 2n ** 62n,
      name: null,
      birth_date: '1999-12-31',
      admitted_at: new Date('2026-03-01T08:30:00Z'),
      weight_kg: null,
      deceased: null,
    },
  ]);
  const [count] = await lake.query<{ n: number; total: number }>(
    'select count(*) as n, sum(person_id) as total from person where person_id < $1',
    [10],
  );
  assert.deepEqual(count, { n: 1, total: 1 });
});

test('partitions become hive directories and a queryable column', async (t) => {
  const { lake, dir } = await withLake(t);
  for (const [site, ids] of [
    ['a', [1, 2, 3]],
    ['b', [4]],
  ] as const) {
    await lake.writeBatch({
      table: 'visit',
      batchId: `visits-${site}`,
      partition: { site },
      columns: { visit_id: 'BIGINT' },
      rows: ids.map((visit_id) => ({ visit_id })),
    });
  }
  assert.deepEqual(
    files(dir)
      .filter((f) => f.endsWith('.parquet'))
      .sort(),
    [join('visit', 'site=a', 'part-visits-a.parquet'), join('visit', 'site=b', 'part-visits-b.parquet')],
  );
  assert.deepEqual(await lake.query('select site, count(*) as n from visit group by site order by site'), [
    { site: 'a', n: 3 },
    { site: 'b', n: 1 },
  ]);
});

test('writing a batch id again adds nothing, even to another partition', async (t) => {
  const { lake } = await withLake(t);
  const batch = {
    table: 'lab',
    batchId: 'lis-20260301',
    columns: { v: 'DOUBLE' as const },
    rows: [{ v: 1 }, { v: 2 }],
  };
  const first = await lake.writeBatch(batch);
  const again = await lake.writeBatch({ ...batch, rows: [{ v: 99 }] });
  const elsewhere = await lake.writeBatch({ ...batch, partition: { day: '2026-03-01' } });
  assert.equal(again.created, false);
  assert.equal(again.file, first.file);
  assert.equal(again.rowCount, 2);
  assert.equal(elsewhere.created, false);
  assert.deepEqual(await lake.query('select sum(v) as s from lab'), [{ s: 3 }]);
});

test('a batch can be derived with SQL over the lake', async (t) => {
  const { lake } = await withLake(t);
  await lake.writeBatch({
    table: 'ods_lab',
    batchId: 'b1',
    columns: { code: 'VARCHAR', value: 'DOUBLE' },
    rows: [
      { code: 'GLU', value: 5.5 },
      { code: 'GLU', value: 7.5 },
      { code: 'HBA1C', value: 6.1 },
    ],
  });
  const derived = await lake.writeBatch({
    table: 'dwd_lab',
    batchId: 'b1',
    fromSql: 'select code, avg(value) as mean from ods_lab where code = $1 group by code',
    params: ['GLU'],
  });
  assert.equal(derived.rowCount, 1);
  assert.deepEqual(await lake.query('select * from dwd_lab'), [{ code: 'GLU', mean: 6.5 }]);
});

test('deleting a batch removes its rows; the last one removes the table', async (t) => {
  const { lake } = await withLake(t);
  for (const batchId of ['x1', 'x2']) {
    await lake.writeBatch({
      table: 'note',
      batchId,
      partition: { src: batchId },
      columns: { id: 'BIGINT' },
      rows: [{ id: 1 }],
    });
  }
  assert.deepEqual(await lake.deleteBatch({ table: 'note', batchId: 'x1' }), { deleted: true });
  assert.deepEqual(await lake.deleteBatch({ table: 'note', batchId: 'x1' }), { deleted: false });
  assert.deepEqual(await lake.query('select src from note'), [{ src: 'x2' }]);
  await lake.deleteBatch({ table: 'note', batchId: 'x2' });
  assert.deepEqual(await lake.tables(), []);
  await assert.rejects(lake.query('select * from note'), (e: unknown) => {
    assert.ok(isMeridianError(e, 'MER_LAKE_TABLE_UNKNOWN'));
    assert.equal(e.details?.table, 'note');
    return true;
  });
});

test('a temp file is never read; on open, a dead writer’s temp file is removed and a live one’s kept', async (t) => {
  const { lake, dir, defer } = await withLake(t);
  const { file } = await lake.writeBatch({
    table: 'drug',
    batchId: 'b1',
    columns: { id: 'BIGINT' },
    rows: [{ id: 1 }],
  });
  const tableDir = join(dir, 'drug');
  const deadTemp = join(tableDir, '.part-b2.parquet.999999999-0a0b0c0d.tmp');
  const liveTemp = join(tableDir, `.part-b3.parquet.${process.pid}-0a0b0c0d.tmp`);
  copyFileSync(file, deadTemp); // a complete Parquet file, so only the name keeps it out
  copyFileSync(file, liveTemp);
  assert.deepEqual(await lake.query('select count(*) as n from drug'), [{ n: 1 }]);
  assert.equal((await lake.stats()).total.files, 1);

  const reopened = await openLake({ dir });
  defer(() => reopened.close());
  assert.ok(!existsSync(deadTemp), 'orphan of a dead process removed');
  assert.ok(existsSync(liveTemp), 'temp file of a running writer kept');
  assert.deepEqual(await reopened.query('select count(*) as n from drug'), [{ n: 1 }]);
});

test('stats count rows, bytes and files per table and in total', async (t) => {
  const { lake, dir } = await withLake(t);
  assert.deepEqual(await lake.stats(), { tables: {}, total: { rows: 0, bytes: 0, files: 0, tables: 0 } });
  const a = await lake.writeBatch({
    table: 'alpha',
    batchId: 'a1',
    columns: { v: 'BIGINT' },
    rows: [{ v: 1 }, { v: 2 }],
  });
  const b = await lake.writeBatch({ table: 'alpha', batchId: 'a2', columns: { v: 'BIGINT' }, rows: [{ v: 3 }] });
  const c = await lake.writeBatch({ table: 'beta', batchId: 'b1', columns: { v: 'BIGINT' }, rows: [] });
  writeFileSync(join(dir, 'alpha', 'README.txt'), 'not part of the table');
  assert.deepEqual(await lake.stats(), {
    tables: {
      alpha: { rows: 3, bytes: a.bytes + b.bytes, files: 2 },
      beta: { rows: 0, bytes: c.bytes, files: 1 },
    },
    total: { rows: 3, bytes: a.bytes + b.bytes + c.bytes, files: 3, tables: 2 },
  });
  assert.deepEqual(await lake.tables(), ['alpha', 'beta']);
});

test('names that could escape the lake or break SQL are refused with MER_LAKE_INVALID_PATH', async (t) => {
  const { lake, dir } = await withLake(t);
  const base = { table: 'person', batchId: 'b1', columns: { id: 'BIGINT' as const }, rows: [{ id: 1 }] };
  const bad: WriteBatchOptions[] = [
    { ...base, table: '../outside' },
    { ...base, table: 'Person' },
    { ...base, table: 'person"; drop' },
    { ...base, batchId: '../b1' },
    { ...base, batchId: 'b1.parquet' },
    { ...base, columns: { 'Id; --': 'BIGINT' as const }, rows: [] },
    { ...base, columns: {}, rows: [] },
    { ...base, partition: { Site: 'a' } },
    { ...base, partition: { site: '../../etc' } },
    { ...base, partition: { site: 'a/b' } },
    { ...base, partition: { id: 'x' } },
  ];
  for (const options of bad) {
    await assert.rejects(
      lake.writeBatch(options),
      (e: unknown) => isMeridianError(e, 'MER_LAKE_INVALID_PATH'),
      JSON.stringify(options),
    );
  }
  await assert.rejects(lake.deleteBatch({ table: '..', batchId: 'b1' }), (e: unknown) =>
    isMeridianError(e, 'MER_LAKE_INVALID_PATH'),
  );
  assert.deepEqual(files(dir), []);
});

test('a table keeps one partition layout', async (t) => {
  const { lake } = await withLake(t);
  await lake.writeBatch({
    table: 'obs',
    batchId: 'b1',
    partition: { site: 'a' },
    columns: { v: 'BIGINT' },
    rows: [{ v: 1 }],
  });
  await assert.rejects(
    lake.writeBatch({ table: 'obs', batchId: 'b2', columns: { v: 'BIGINT' }, rows: [{ v: 1 }] }),
    (e: unknown) => isMeridianError(e, 'MER_LAKE_INVALID_PATH') && /partitioned by \(site\)/.test(e.message),
  );
});

test('a value of the wrong type fails the whole batch, naming row and column, and leaves nothing', async (t) => {
  const { lake, dir } = await withLake(t);
  const cases: Array<[Record<string, LakeColumnType>, Record<string, unknown>, RegExp]> = [
    [{ id: 'BIGINT' }, { id: '7' }, /Row 1, column id: expected a safe integer/],
    [{ id: 'BIGINT' }, { id: 1.5 }, /Row 1, column id/],
    [{ id: 'BIGINT' }, { id: 2n ** 63n }, /Row 1, column id/],
    [{ d: 'DATE' }, { d: '2026-02-30' }, /Row 1, column d: expected a 'YYYY-MM-DD'/],
    [
      { t: 'TIMESTAMP' },
      { t: '2026-03-01 08:00' },
      /Row 1, column t: expected a Date or an ISO-8601 string with a zone/,
    ],
    [{ b: 'BOOLEAN' }, { b: 'yes' }, /Row 1, column b/],
    [{ s: 'VARCHAR' }, { s: 5 }, /Row 1, column s/],
    [{ s: 'VARCHAR' }, { s: 'ok', extra: 1 }, /Row 1 has column extra/],
  ];
  for (const [columns, badRow, message] of cases) {
    const good = Object.fromEntries(Object.keys(columns).map((c) => [c, null]));
    await assert.rejects(
      lake.writeBatch({ table: 'typed', batchId: 'b1', columns, rows: [good, badRow] }),
      (e: unknown) => {
        assert.ok(isMeridianError(e, 'MER_LAKE_WRITE_FAILED'));
        assert.match(e.message, message);
        return true;
      },
    );
  }
  assert.deepEqual(files(dir), []);
  assert.deepEqual(await lake.tables(), []);
});

test('a DuckDB failure during the write leaves nothing behind', async (t) => {
  const { lake, dir } = await withLake(t);
  await assert.rejects(
    lake.writeBatch({ table: 'broken', batchId: 'b1', fromSql: 'select * from no_such_table' }),
    (e: unknown) => isMeridianError(e, 'MER_LAKE_WRITE_FAILED'),
  );
  assert.deepEqual(files(dir), []);
});

test('a table another process writes appears in queries without reopening', async (t) => {
  const { lake, dir, defer } = await withLake(t);
  const writer = await openLake({ dir });
  defer(() => writer.close());
  await writer.writeBatch({ table: 'condition', batchId: 'b1', columns: { code: 'VARCHAR' }, rows: [{ code: 'E11' }] });
  assert.deepEqual(await lake.query('select code from condition'), [{ code: 'E11' }]);
  await writer.writeBatch({
    table: 'condition',
    batchId: 'b2',
    columns: { code: 'VARCHAR', extra: 'BIGINT' },
    rows: [{ code: 'I10', extra: 1 }],
  });
  assert.deepEqual(await lake.query('select code, extra from condition order by code'), [
    { code: 'E11', extra: null },
    { code: 'I10', extra: 1 },
  ]);
  await writer.deleteBatch({ table: 'condition', batchId: 'b1' });
  await writer.deleteBatch({ table: 'condition', batchId: 'b2' });
  await assert.rejects(lake.query('select * from condition'), (e: unknown) =>
    isMeridianError(e, 'MER_LAKE_TABLE_UNKNOWN'),
  );
});

test('a closed lake refuses work', async (t) => {
  const { lake } = await withLake(t);
  await lake.close();
  await assert.rejects(lake.query('select 1'), /closed/);
});

test('200,000 rows are written as one file through the appender', async (t) => {
  const { lake } = await withLake(t);
  const rows = Array.from({ length: 200_000 }, (_, i) => ({
    person_id: i,
    name: `p${i}`,
    birth_date: '1980-01-01',
    admitted_at: new Date(1_767_225_600_000 + i * 1000),
    weight_kg: 50 + (i % 50),
    deceased: i % 97 === 0,
  }));
  const started = performance.now();
  const result = await lake.writeBatch({ table: 'person', batchId: 'big', columns: PERSON, rows });
  t.diagnostic(`200k rows → ${result.bytes} bytes in ${Math.round(performance.now() - started)} ms`);
  assert.equal(result.rowCount, 200_000);
  assert.deepEqual(
    await lake.query('select count(*) as n, max(person_id) as m, count(*) filter (where deceased) as d from person'),
    [{ n: 200_000, m: 199_999, d: 2062 }],
  );
});

test('epochDay agrees with Date for every day of four centuries, and rejects impossible dates', () => {
  for (let day = -146_097; day < 146_097 * 2; day += 1) {
    const iso = new Date(day * 86_400_000).toISOString().slice(0, 10);
    if (epochDay(iso) !== day) assert.fail(`${iso}: ${epochDay(iso)} != ${day}`);
  }
  for (const bad of ['2026-02-29', '2026-13-01', '2026-00-10', '2026-1-1', '20260101'])
    assert.equal(epochDay(bad), undefined);
  assert.equal(epochDay('2000-02-29'), 11_016);
});
