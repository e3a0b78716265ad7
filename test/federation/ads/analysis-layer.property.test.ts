/**
 * Property: for random condition trees over random small DWD datasets (the cohort tests' arbitraries), the compiled
 * SQL over the analysis layer returns exactly the persons (and index dates) the plain-TypeScript reference evaluator
 * finds, and the count query agrees. The cohort property test holds the DWD views to the same reference, so the
 * count over the layer equals the count over DWD. Every case replaces the lake's batches, so every read first
 * rebuilds the layer from the changed DWD files (the refresh contract, exercised a few hundred times).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { type AnalysisLayer, openAnalysisLayer } from '../../../src/federation/ads/index.ts';
import {
  type CohortDefinition,
  compileCohort,
  compileCohortCount,
  parseCohort,
} from '../../../src/federation/cohort/index.ts';
import { type DwdTable, lakeColumns } from '../../../src/model/dwd.ts';
import { type Lake, openLake } from '../../../src/store/index.ts';
import { dataset, single, trees } from '../cohort/arbitraries.ts';
import { type Dataset, evaluateCohort } from '../cohort/reference.ts';

let dir: string;
let lake: Lake;
let layer: AnalysisLayer;
let batch = 0;
let written: { table: DwdTable; batchId: string }[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meridian-ads-property-'));
  lake = await openLake({ dir: join(dir, 'lake') });
  layer = await openAnalysisLayer({ lakeDir: lake.dir, threads: 1 });
});

after(async () => {
  await layer.close();
  await lake.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Replaces the lake's rows with `data` (tables left empty are absent from the lake). */
async function load(data: Dataset): Promise<void> {
  for (const old of written) await lake.deleteBatch(old);
  written = [];
  const batchId = `case${batch++}`;
  for (const [table, rows] of Object.entries(data) as [DwdTable, Dataset[string]][]) {
    if (rows === undefined || rows.length === 0) continue;
    await lake.writeBatch({ table, batchId, columns: lakeColumns(table), rows });
    written.push({ table, batchId });
  }
}

/** Loads `data`, then checks every definition over the layer (one rebuild, several cohorts) against the reference. */
async function agree(defs: readonly CohortDefinition[], data: Dataset): Promise<void> {
  await load(data);
  const before = layer.generation ?? 0;
  for (const raw of defs) {
    const def = parseCohort(raw);
    const expected = evaluateCohort(def, data);
    const { members, n } = await layer.read(async (s) => {
      const q = compileCohort(def, { source: s.source });
      const c = compileCohortCount(def, { source: s.source });
      const rows = await s.query<{ person_id: string; index_date?: string }>(q.sql, q.params);
      const [count] = await s.query<{ n: number }>(c.sql, c.params);
      return { members: rows, n: Number(count?.n) };
    });
    assert.deepEqual(
      members.map((m) => (m.index_date === undefined ? { person_id: m.person_id } : m)),
      expected,
    );
    assert.equal(n, expected.length);
  }
  assert.equal(layer.generation, before + 1, 'the first read rebuilt the layer from the changed DWD files, once');
}

test('single criteria and whole trees: the analysis layer returns the persons and index dates the reference evaluator finds', async () => {
  const cases = fc.tuple(
    fc.array(single, { minLength: 3, maxLength: 3 }),
    fc.array(trees, { minLength: 3, maxLength: 3 }),
  );
  await fc.assert(
    fc.asyncProperty(cases, dataset, ([one, many], data) => agree([...one, ...many], data)),
    { numRuns: 45 },
  );
});
