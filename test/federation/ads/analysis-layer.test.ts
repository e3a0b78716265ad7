/**
 * The analysis layer's refresh contract (src/federation/ads/README.md) over a real lake: built on the first read,
 * reused while DWD is unchanged, rebuilt when a load adds or removes a batch; a read keeps its generation while a
 * rebuild swaps in the next one, and the old one is dropped after; a failed build answers nothing and keeps the
 * previous generation; concurrent refreshes build once; a database file survives a restart and loses a generation a
 * crash left half-built; bad options and a closed layer are refused by name; dead processes' spill space is removed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { isMeridianError } from '../../../src/errors/registry.ts';
import { type AnalysisLayer, openAnalysisLayer } from '../../../src/federation/ads/index.ts';
import { compileCohortCount, parseCohort } from '../../../src/federation/cohort/index.ts';
import { lakeColumns } from '../../../src/model/dwd.ts';
import { type Lake, openLake } from '../../../src/store/index.ts';

let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'meridian-ads-'));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const DIABETES = parseCohort({ criteria: [{ kind: 'diagnosis', codes: ['E11'], descendants: true }] });

/** A fresh lake with `n` persons, each with one E11.900 diagnosis. */
async function lakeWith(name: string, n: number): Promise<Lake> {
  const lake = await openLake({ dir: join(dir, name) });
  await addPersons(lake, 'first', 0, n);
  return lake;
}

async function addPersons(lake: Lake, batchId: string, from: number, n: number): Promise<void> {
  const ids = Array.from({ length: n }, (_, i) => `P${from + i}`);
  await lake.writeBatch({
    table: 'person',
    batchId,
    columns: lakeColumns('person'),
    rows: ids.map((person_id) => ({ person_id, gender: 'F', birth_date: '1970-01-01' })),
  });
  await lake.writeBatch({
    table: 'condition_occurrence',
    batchId,
    columns: lakeColumns('condition_occurrence'),
    rows: ids.map((person_id) => ({ person_id, condition_code: 'E11.900', condition_date: '2021-01-01' })),
  });
}

async function count(layer: AnalysisLayer): Promise<number> {
  return layer.read(async (s) => {
    const q = compileCohortCount(DIABETES, { source: s.source });
    return Number((await s.query<{ n: number }>(q.sql, q.params))[0]?.n);
  });
}

async function schemas(layer: AnalysisLayer): Promise<string[]> {
  return layer.read(async (s) =>
    (await s.query<{ name: string }>("select schema_name as name from duckdb_schemas() where schema_name like 'g%'"))
      .map((r) => r.name)
      .sort(),
  );
}

test('the first read builds the layer; reads and refreshes while DWD is unchanged reuse it', async () => {
  const lake = await lakeWith('reuse', 3);
  const layer = await openAnalysisLayer({ lakeDir: lake.dir, threads: 1 });
  try {
    assert.equal(layer.generation, undefined);
    assert.equal(await count(layer), 3);
    assert.equal(layer.generation, 1);
    assert.equal(await count(layer), 3);
    assert.deepEqual(await layer.refresh(), { generation: 1, rebuilt: false });
  } finally {
    await layer.close();
    await lake.close();
  }
});

test('a published load and a deleted batch are seen by the next read, each through a new generation', async () => {
  const lake = await lakeWith('loads', 3);
  const layer = await openAnalysisLayer({ lakeDir: lake.dir, threads: 1 });
  try {
    assert.equal(await count(layer), 3);
    await addPersons(lake, 'second', 3, 4);
    assert.equal(await count(layer), 7);
    assert.equal(layer.generation, 2);
    await lake.deleteBatch({ table: 'condition_occurrence', batchId: 'first' });
    assert.equal(await count(layer), 4);
    assert.equal(layer.generation, 3);
    assert.deepEqual(await schemas(layer), ['g3'], 'retired generations are dropped');
  } finally {
    await layer.close();
    await lake.close();
  }
});

test('a read keeps its generation while a rebuild swaps in the next; the old one goes when the read is done', async () => {
  const lake = await lakeWith('lease', 2);
  const layer = await openAnalysisLayer({ lakeDir: lake.dir, threads: 1 });
  try {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered: () => void = () => undefined;
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const held = layer.read(async (s) => {
      const q = compileCohortCount(DIABETES, { source: s.source });
      const first = Number((await s.query<{ n: number }>(q.sql, q.params))[0]?.n);
      entered();
      await gate;
      const again = Number((await s.query<{ n: number }>(q.sql, q.params))[0]?.n);
      return { generation: s.generation, first, again };
    });
    await inside;
    await addPersons(lake, 'more', 2, 5);
    assert.deepEqual(await layer.refresh(), { generation: 2, rebuilt: true });
    assert.equal(await count(layer), 7, 'reads that start after the swap see the new generation');
    release();
    assert.deepEqual(await held, { generation: 1, first: 2, again: 2 }, 'the held read saw one generation throughout');
    await layer.refresh(); // runs after the drop the finished read queued
    assert.deepEqual(await schemas(layer), ['g2']);
  } finally {
    await layer.close();
    await lake.close();
  }
});

test('a build that fails answers nothing, keeps the previous generation, and recovers when DWD is sound again', async () => {
  const lake = await lakeWith('broken', 3);
  const layer = await openAnalysisLayer({ lakeDir: lake.dir, threads: 1 });
  try {
    assert.equal(await count(layer), 3);
    const bad = join(lake.dir, 'person', 'part-damaged.parquet');
    writeFileSync(bad, 'not parquet');
    await assert.rejects(count(layer), (e) => isMeridianError(e, 'MER_ADS_REFRESH_FAILED'));
    await assert.rejects(layer.refresh(), (e) => isMeridianError(e, 'MER_ADS_REFRESH_FAILED'));
    assert.equal(layer.generation, 1);
    assert.deepEqual(await schemas(layer).catch(() => 'refused'), 'refused', 'no read answers from stale data');
    rmSync(bad);
    assert.equal(await count(layer), 3);
    assert.equal(layer.generation, 1, 'the files are those of generation 1 again: nothing to rebuild');
    assert.deepEqual(await schemas(layer), ['g1'], 'the failed build left nothing behind');
  } finally {
    await layer.close();
    await lake.close();
  }
});

test('concurrent refreshes after a load build once', async () => {
  const lake = await lakeWith('concurrent', 1);
  const layer = await openAnalysisLayer({ lakeDir: lake.dir, threads: 1 });
  try {
    await layer.refresh();
    await addPersons(lake, 'more', 1, 2);
    const results = await Promise.all([layer.refresh(), layer.refresh(), count(layer), layer.refresh()]);
    assert.deepEqual(results, [
      { generation: 2, rebuilt: true },
      { generation: 2, rebuilt: true },
      3,
      { generation: 2, rebuilt: true },
    ]);
    assert.equal(layer.generation, 2);
  } finally {
    await layer.close();
    await lake.close();
  }
});

test('a database file keeps the layer across a restart and drops a generation a crash left half-built', async () => {
  const lake = await lakeWith('file', 4);
  const file = join(dir, 'ads.duckdb');
  try {
    const first = await openAnalysisLayer({ lakeDir: lake.dir, file, threads: 1 });
    assert.equal(await count(first), 4);
    await first.close();
    // A build cut short by a crash: its schema exists, the meta table never named it.
    const raw = await DuckDBInstance.create(file);
    const c = await raw.connect();
    await c.run('create schema g2; create table g2.person (person_id integer)');
    c.closeSync();
    raw.closeSync();

    const reopened = await openAnalysisLayer({ lakeDir: lake.dir, file, threads: 1 });
    try {
      assert.equal(reopened.generation, 1);
      assert.deepEqual(await reopened.refresh(), { generation: 1, rebuilt: false });
      assert.deepEqual(await schemas(reopened), ['g1']);
      await addPersons(lake, 'more', 4, 1);
      assert.equal(await count(reopened), 5);
      assert.equal(reopened.generation, 2);
    } finally {
      await reopened.close();
    }
  } finally {
    await lake.close();
  }
});

test('bad options are refused naming the option; a closed layer refuses reads and refreshes', async () => {
  const lakeDir = join(dir, 'options');
  mkdirSync(lakeDir);
  for (const [options, field] of [
    [{ lakeDir: '' }, 'lakeDir'],
    [{ lakeDir: join(dir, 'no-such-lake') }, 'lakeDir'],
    [{ lakeDir, threads: 0 }, 'threads'],
    [{ lakeDir, threads: 2.5 }, 'threads'],
    [{ lakeDir, file: ':memory:' }, 'file'],
  ] as const) {
    await assert.rejects(
      openAnalysisLayer(options),
      (e) => isMeridianError(e, 'MER_ADS_INVALID_OPTION') && e.message.startsWith(field),
    );
  }
  const layer = await openAnalysisLayer({ lakeDir });
  await layer.close();
  await assert.rejects(count(layer), (e) => isMeridianError(e, 'MER_ADS_CLOSED'));
  await assert.rejects(layer.refresh(), (e) => isMeridianError(e, 'MER_ADS_CLOSED'));
});

test('opening an in-memory layer removes the spill directories of processes that died without closing theirs', async () => {
  const dead = spawnSync(process.execPath, ['-e', '']).pid;
  const orphan = join(tmpdir(), `meridian-ads-${dead}-0badf00d`);
  const mine = join(tmpdir(), `meridian-ads-${process.pid}-0badf00d`);
  mkdirSync(orphan);
  mkdirSync(mine);
  const lakeDir = join(dir, 'spill');
  mkdirSync(lakeDir);
  const layer = await openAnalysisLayer({ lakeDir });
  await layer.close();
  assert.equal(existsSync(orphan), false);
  assert.equal(existsSync(mine), true, "a live process's directory stays");
  rmSync(mine, { recursive: true });
});
