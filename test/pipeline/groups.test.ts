/**
 * Small files share lake batches (a group: one publish, one commit). These tests check what sharing must not
 * break: a changed file's old rows leave a shared batch while its neighbours' rows stay, files with the same
 * bytes under different names are two files, a failed file in a group takes none of its rows in, and a crash
 * between the lake publish and the database commit is finished (or undone) by the next load.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { finishPendingGroups, type LoaderContext, listSourceFiles, runLoad } from '../../src/pipeline/loader.ts';
import { latestSpecs, saveProfile, saveSpec } from '../../src/pipeline/specs-store.ts';
import type { Lake } from '../../src/store/index.ts';
import { GLUCOSE_SPEC, openTestPipeline, type TestPipeline } from './load-helpers.ts';

let p: TestPipeline;
before(async () => {
  p = await openTestPipeline();
  await saveSpec(p.ctx.db, GLUCOSE_SPEC, 'test', new Date('2026-05-01T08:00:00Z'));
});
after(async () => {
  await p.close();
});

function csv(pid: string, values: number[]): string {
  return `pid,glu,at\n${values.map((v, i) => `${pid},${v},2024-01-${String(1 + i).padStart(2, '0')} 08:00`).join('\n')}\n`;
}

function writeDir(name: string, files: Record<string, string>): string {
  const dir = join(p.dir, 'in', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content);
  return dir;
}

async function load(ctx: LoaderContext, source: string, dir: string, loadId: string) {
  const profile = await saveProfile(ctx.db, { source, rules: [{ match: '*.csv', specs: ['glu'] }] }, ctx.now());
  return runLoad(ctx, { loadId, profile, specs: await latestSpecs(ctx.db), files: listSourceFiles(dir) });
}

async function valuesByPerson(): Promise<Record<string, number[]>> {
  const rows = await p.lake.query<{ person_id: string; value: number }>(
    'select person_id, value from measurement order by person_id, value',
  );
  const out: Record<string, number[]> = {};
  for (const r of rows) out[r.person_id] = [...(out[r.person_id] ?? []), Number(r.value)];
  return out;
}

async function batchFiles(table: string): Promise<number> {
  const [r] = await p.lake.query<{ n: number }>(
    `select count(distinct filename)::integer as n from read_parquet('${join(p.lake.dir, table)}/*.parquet', filename = true)`,
  );
  return Number(r?.n ?? 0);
}

/** The lake with its publish step replaced (a fault injected at the commit's riskiest point). */
function withPublish(lake: Lake, publish: Lake['publish']): Lake {
  return new Proxy(lake, {
    get(target, key) {
      if (key === 'publish') return publish;
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function currentRows(source?: string) {
  let q = p.ctx.db.selectFrom('ingest_files').selectAll().where('current', '=', true);
  if (source !== undefined) q = q.where('source', '=', source);
  return q.orderBy('name').execute();
}

/** Every batch a current file refers to exists in the lake, and every measurement batch belongs to one. */
async function assertConsistent(): Promise<void> {
  const referenced = new Set<string>();
  for (const r of await currentRows()) {
    for (const b of (JSON.parse(r.detail) as { batches: { table: string; batchId: string }[] }).batches) {
      assert.ok(await p.lake.hasBatch(b.table, b.batchId), `${r.name} refers to missing batch ${b.table}/${b.batchId}`);
      if (b.table === 'measurement') referenced.add(b.batchId);
    }
  }
  assert.equal(referenced.size, await batchFiles('measurement'), 'every measurement batch belongs to a current file');
}

test('many small files share one batch; changing one rewrites the shared batch without touching its neighbours', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 40; i++) files[`p${String(i).padStart(2, '0')}.csv`] = csv(`P${i}`, [5, 6]);
  const dir = writeDir('shared', files);
  const first = await load(p.ctx, 'shared', dir, 'S1');
  assert.equal(first.totals.loaded, 40);
  assert.equal(first.totals.rowsLoaded, 80);
  assert.equal(await batchFiles('measurement'), 1, '40 small files make one measurement batch');
  await assertConsistent();

  writeFileSync(join(dir, 'p07.csv'), csv('P7', [9, 10, 11]));
  const second = await load(p.ctx, 'shared', dir, 'S2');
  assert.equal(second.totals.loaded, 1);
  assert.equal(second.totals.unchanged, 39);
  const values = await valuesByPerson();
  assert.deepEqual(values.P7, [9, 10, 11], 'the changed file replaced its rows');
  for (let i = 0; i < 40; i++) if (i !== 7) assert.deepEqual(values[`P${i}`], [5, 6], `P${i} kept its rows`);
  const [total] = await p.lake.query<{ n: number }>('select count(*)::integer as n from measurement');
  assert.equal(Number(total?.n), 39 * 2 + 3);
  await assertConsistent();

  const third = await load(p.ctx, 'shared', dir, 'S3');
  assert.equal(third.totals.unchanged, 40, 'nothing changed: nothing loads');
});

test('the same bytes under two names are two files; a failed file in a group leaves none of its rows', async () => {
  const dir = writeDir('twins', {
    'a.csv': csv('T1', [4.5]),
    'b.csv': csv('T1', [4.5]),
    'c.csv': '',
  });
  const before = Number((await p.lake.query<{ n: number }>('select count(*)::integer as n from measurement'))[0]?.n);
  const summary = await load(p.ctx, 'twins', dir, 'T1');
  const status = Object.fromEntries(summary.files.map((f) => [f.name, f.status]));
  assert.equal(status['a.csv'], 'loaded');
  assert.equal(status['b.csv'], 'loaded');
  assert.equal(status['c.csv'], 'failed');
  assert.equal(summary.files.find((f) => f.name === 'c.csv')?.error?.code, 'MER_SOURCE_EMPTY');
  const rows = await currentRows('twins');
  assert.deepEqual(
    rows.map((r) => r.name),
    ['a.csv', 'b.csv'],
    'each name keeps its own row',
  );
  const after = Number((await p.lake.query<{ n: number }>('select count(*)::integer as n from measurement'))[0]?.n);
  assert.equal(after - before, 2, 'the failed file added nothing');

  writeFileSync(join(dir, 'b.csv'), csv('T1', [6.5]));
  await load(p.ctx, 'twins', dir, 'T2');
  const t1 = await p.lake.query<{ value: number; pos: string }>(
    `select value, source_position as pos from measurement where person_id = 'T1' order by pos`,
  );
  assert.deepEqual(
    t1.map((r) => [Number(r.value), r.pos]),
    [
      [4.5, 'a.csv:2'],
      [6.5, 'b.csv:2'],
    ],
    "replacing b.csv leaves a.csv's identical rows alone",
  );
  await assertConsistent();
});

test('a crash after the lake publish and before the database commit is finished by the next load', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 10; i++) files[`q${i}.csv`] = csv(`Q${i}`, [7]);
  const dir = writeDir('crash', files);
  await load(p.ctx, 'crash', dir, 'C1');
  writeFileSync(join(dir, 'q3.csv'), csv('Q3', [8, 8.5]));

  const crashing = withPublish(p.lake, async (...args) => {
    await p.lake.publish(...args);
    throw new Error('simulated crash after publish');
  });
  const failed = await load({ ...p.ctx, lake: crashing }, 'crash', dir, 'C2');
  assert.equal(failed.files.find((f) => f.name === 'q3.csv')?.status, 'failed');
  const pending = await p.ctx.db.selectFrom('ingest_pending').selectAll().execute();
  assert.equal(pending.length, 1, 'the plan of the interrupted group is kept');

  assert.equal(await finishPendingGroups(p.ctx), 1);
  assert.equal((await p.ctx.db.selectFrom('ingest_pending').selectAll().execute()).length, 0);
  await assertConsistent();
  const q3 = await p.lake.query<{ value: number }>(
    `select value from measurement where person_id = 'Q3' order by value`,
  );
  assert.deepEqual(
    q3.map((r) => Number(r.value)),
    [8, 8.5],
  );
  const again = await load(p.ctx, 'crash', dir, 'C3');
  assert.equal(again.totals.unchanged, 10, 'the finished group counts as loaded');

  writeFileSync(join(dir, 'q5.csv'), csv('Q5', [3]));
  const refusing = withPublish(p.lake, async () => {
    throw new Error('simulated crash before publish');
  });
  await load({ ...p.ctx, lake: refusing }, 'crash', dir, 'C4');
  assert.equal(await finishPendingGroups(p.ctx), 1);
  const q5 = await p.lake.query<{ value: number }>(`select value from measurement where person_id = 'Q5'`);
  assert.deepEqual(
    q5.map((r) => Number(r.value)),
    [7],
    'an unpublished group is undone: the old rows stay',
  );
  await assertConsistent();
  const redo = await load(p.ctx, 'crash', dir, 'C5');
  assert.equal(redo.totals.loaded, 1);
  await assertConsistent();
});
