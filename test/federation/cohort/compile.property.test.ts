/**
 * Property: for random condition trees over random small DWD datasets (arbitraries.ts), the compiled SQL run by
 * DuckDB returns exactly the persons (and index dates) the plain-TypeScript reference evaluator finds, and the count
 * query agrees.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import fc from 'fast-check';
import {
  type CohortDefinition,
  compileCohort,
  compileCohortCount,
  parseCohort,
} from '../../../src/federation/cohort/index.ts';
import { DWD_TABLES, type DwdTable, lakeColumns } from '../../../src/model/dwd.ts';
import { COLUMN_CODECS, type ColumnCodec } from '../../../src/store/lake-values.ts';
import { dataset, single, trees } from './arbitraries.ts';
import { type Dataset, evaluateCohort } from './reference.ts';

let instance: DuckDBInstance;
let db: DuckDBConnection;

before(async () => {
  instance = await DuckDBInstance.create(':memory:');
  db = await instance.connect();
  for (const table of Object.keys(DWD_TABLES) as DwdTable[]) {
    const columns = Object.entries(lakeColumns(table)).map(([c, t]) => `${c} ${t}`);
    await db.run(`create table ${table} (${columns.join(', ')})`);
  }
});

after(() => {
  db.closeSync();
  instance.closeSync();
});

/** Replaces the rows of every DWD table; tables left empty are reported absent (the compiler reads them as empty). */
async function load(data: Dataset): Promise<Set<string>> {
  const present = new Set<string>();
  await db.run((Object.keys(DWD_TABLES) as DwdTable[]).map((t) => `delete from ${t}`).join('; '));
  for (const table of Object.keys(DWD_TABLES) as DwdTable[]) {
    const rows = data[table] ?? [];
    if (rows.length === 0) continue;
    present.add(table);
    const appender = await db.createAppender(table);
    const codecs = Object.values(lakeColumns(table)).map((type) => COLUMN_CODECS[type]);
    const names = Object.keys(lakeColumns(table));
    for (const row of rows) {
      names.forEach((name, i) => {
        const value = row[name];
        const codec = codecs[i] as ColumnCodec;
        if (value === null || value === undefined) appender.appendNull();
        else appender.appendValue(codec.encode(value) as DuckDBValue, codec.type);
      });
      appender.endRow();
    }
    appender.closeSync();
  }
  return present;
}

type Result = { person_id: string; index_date?: string }[];

async function run(def: CohortDefinition, present: Set<string>): Promise<{ members: Result; n: number }> {
  const q = compileCohort(def, { present });
  const reader = await db.runAndReadAll(q.sql, q.params as (string | number)[]);
  const members = reader.getRowObjectsJS().map((r) => {
    const out: { person_id: string; index_date?: string } = { person_id: String(r.person_id) };
    if ('index_date' in r) out.index_date = (r.index_date as Date).toISOString().slice(0, 10);
    return out;
  });
  const c = compileCohortCount(def, { present });
  const count = (await db.runAndReadAll(c.sql, c.params as (string | number)[])).getRowObjectsJS();
  return { members, n: Number(count[0]?.n) };
}

async function agrees(raw: CohortDefinition, data: Dataset): Promise<void> {
  const def = parseCohort(raw);
  const present = await load(data);
  const expected = evaluateCohort(def, data);
  const { members, n } = await run(def, present);
  assert.deepEqual(members, expected);
  assert.equal(n, expected.length);
}

test('one criterion: the compiled SQL returns the persons and index dates the reference evaluator finds', async () => {
  await fc.assert(fc.asyncProperty(single, dataset, agrees), { numRuns: 200 });
});

test('whole trees: the compiled SQL returns the persons and index dates the reference evaluator finds', async () => {
  await fc.assert(fc.asyncProperty(trees, dataset, agrees), { numRuns: 100 });
});

test('the generated cases are not trivial: some select nobody, some everybody, many a part', () => {
  for (const [name, arb] of [
    ['single', single],
    ['trees', trees],
  ] as const) {
    const seen = { none: 0, all: 0, part: 0 };
    fc.assert(
      fc.property(arb, dataset, (raw, data) => {
        const people = new Set((data.person ?? []).map((r) => r.person_id)).size;
        const k = evaluateCohort(parseCohort(raw), data).length;
        seen[k === 0 ? 'none' : k === people ? 'all' : 'part']++;
      }),
      { numRuns: 300, seed: 7 },
    );
    assert.ok(seen.part >= 75 && seen.none >= 30 && seen.all >= 15, `${name}: ${JSON.stringify(seen)}`);
  }
});
