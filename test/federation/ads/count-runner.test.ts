/**
 * The `count` runner over the analysis layer answers what it answers over the DWD views (same lake, same tasks):
 * counts at and above the minimum cell size as numbers, counts under it suppressed, unknown codes named.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type AnalysisLayer, openAnalysisLayer } from '../../../src/federation/ads/index.ts';
import { countRunner } from '../../../src/federation/analyses/count.ts';
import { parseFederatedTask } from '../../../src/federation/protocol.ts';
import { lakeColumns } from '../../../src/model/dwd.ts';
import { type Lake, openLake } from '../../../src/store/index.ts';

let dir: string;
let lake: Lake;
let layer: AnalysisLayer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meridian-ads-count-'));
  lake = await openLake({ dir: join(dir, 'lake') });
  const persons = Array.from({ length: 40 }, (_, i) => `P${String(i).padStart(2, '0')}`);
  await lake.writeBatch({
    table: 'person',
    batchId: 'load1',
    columns: lakeColumns('person'),
    rows: persons.map((person_id, i) => ({ person_id, gender: i % 2 ? 'F' : 'M', year_of_birth: 1940 + i })),
  });
  await lake.writeBatch({
    table: 'condition_occurrence',
    batchId: 'load1',
    columns: lakeColumns('condition_occurrence'),
    rows: persons.map((person_id, i) => ({
      person_id,
      condition_code: i % 4 === 0 ? 'I10.x00' : 'E11.900',
      condition_date: `2021-0${1 + (i % 9)}-15`,
    })),
  });
  layer = await openAnalysisLayer({ lakeDir: lake.dir, threads: 1 });
});

after(async () => {
  await layer.close();
  await lake.close();
  rmSync(dir, { recursive: true, force: true });
});

function task(cohort: unknown) {
  return parseFederatedTask({
    taskId: 't1',
    requestId: 'r1',
    projectId: 'p1',
    kind: 'count',
    cohort,
    hospitals: ['hospital-a'],
    user: { id: 'u1', role: 'researcher' },
    issuedAt: new Date(0).toISOString(),
  });
}

test('over the analysis layer the runner answers exactly what it answers over DWD, suppression included', async () => {
  const overLayer = countRunner({ analysisLayer: layer, minCell: 5 });
  const overDwd = countRunner({ lake, minCell: 5 });
  const cohorts = [
    { criteria: [{ kind: 'diagnosis', codes: ['E11'], descendants: true }] },
    {
      criteria: [
        { kind: 'diagnosis', codes: ['E11'], descendants: true },
        { kind: 'sex', values: ['F'] },
      ],
    },
    {
      index: { event: { kind: 'diagnosis', codes: ['E11'], descendants: true } },
      criteria: [{ kind: 'age', at: 'index', range: { min: 78 } }],
    },
    { criteria: [{ kind: 'diagnosis', codes: ['E99.999'] }] },
  ];
  const answers = [];
  for (const cohort of cohorts) {
    const ctx = { task: task(cohort), round: 0, input: undefined };
    const fast = await overLayer(ctx);
    assert.deepEqual(fast, await overDwd(ctx));
    answers.push(fast);
  }
  assert.deepEqual(
    answers.map((a) => (a as { count: unknown }).count),
    [30, 20, { suppressed: true }, { suppressed: true }],
  );
  assert.deepEqual((answers[3] as { unknownCodes: string[] }).unknownCodes, ['ICD-10:E99.999']);
});
