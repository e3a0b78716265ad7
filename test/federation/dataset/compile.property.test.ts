/**
 * Property: for random measurement and condition variables over random DWD rows and a random cohort (given as a
 * parameterized query, so the variables' parameters are renumbered after it), the compiled SQL run by DuckDB returns
 * exactly the analysis table the plain-TypeScript reference computes. The data is drawn from small pools so values
 * tie (first/last/nearest tie rules), measurements straddle the Beijing day boundary (16:00 UTC), codes share
 * prefixes (descendants), and events sit on window edges.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import {
  type AnalysisVariable,
  type CohortQuery,
  compileDataset,
  parseVariables,
  VALUE_PICKS,
} from '../../../src/federation/dataset/index.ts';
import { type DwdDb, openDwdDb, type Row } from './dwd-db.ts';
import { evaluate, type Member } from './reference.ts';

let db: DwdDb;

before(async () => {
  db = await openDwdDb();
});

after(() => db.close());

const PEOPLE = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'];
const DAY0 = Date.UTC(2024, 2, 10);
const DAY_MS = 86_400_000;
const LAB_CODES = ['4548-4', '14749-6'];
const DX_DATA = ['E11.900', 'E11.900x001', 'E11.200', 'E11.300', 'E10.900', 'I10.x00'];
const DX_QUERY = ['E11', 'E11.9', 'E11.900', 'E11.2', 'E10', 'I10', 'I10.x00'];
/** Minutes of the UTC day: around Beijing midnight (960 = 16:00 UTC); few, so instants tie. */
const MINUTES = [0, 959, 960, 1439];

const date = (offset: number) => new Date(DAY0 + offset * DAY_MS).toISOString().slice(0, 10);
const offsetDay = fc.integer({ min: -5, max: 5 });

const measurementRow: fc.Arbitrary<Row> = fc.record({
  person_id: fc.constantFrom(...PEOPLE.slice(0, 4)),
  measurement_code: fc.constantFrom(...LAB_CODES),
  // Multiples of 1/8: sums are exact, so mean agrees to the last bit.
  value: fc.option(
    fc.integer({ min: 0, max: 24 }).map((k) => k / 8),
    { nil: null, freq: 8 },
  ),
  measured_at: fc.option(
    fc
      .tuple(fc.integer({ min: -3, max: 3 }), fc.constantFrom(...MINUTES))
      .map(([d, minute]) => new Date(DAY0 + d * DAY_MS + minute * 60_000).toISOString()),
    { nil: null, freq: 12 },
  ),
});

const conditionRow: fc.Arbitrary<Row> = fc.record({
  person_id: fc.constantFrom(...PEOPLE),
  condition_code: fc.constantFrom(...DX_DATA),
  condition_date: fc.option(offsetDay.map(date), { nil: null, freq: 12 }),
});

const member: fc.Arbitrary<Member> = fc.record({
  person_id: fc.constantFrom(...PEOPLE),
  index_date: fc.option(fc.integer({ min: -2, max: 2 }).map(date), { nil: null, freq: 6 }),
});

const window = fc.option(
  fc
    .record({ start: fc.option(offsetDay, { nil: undefined }), end: fc.option(offsetDay, { nil: undefined }) })
    .map(({ start, end }) =>
      start !== undefined && end !== undefined && start > end ? { start: end, end: start } : { start, end },
    )
    .map((w) => Object.fromEntries(Object.entries(w).filter(([, v]) => v !== undefined))),
  { nil: undefined, freq: 3 },
);

const measurementVariable = fc
  .record({
    code: fc.constantFrom(...LAB_CODES),
    value: fc.constantFrom(...VALUE_PICKS),
    window,
    unitChoice: fc.constantFrom('none', 'standard', 'other'),
    decimals: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
  })
  .map(({ code, value, window: w, unitChoice, decimals }) => {
    const units: Record<string, { standard: string; other: string } | undefined> = {
      '4548-4': { standard: '%', other: 'mmol/mol' },
      '14749-6': { standard: 'mmol/L', other: 'mg/dL' },
    };
    const unit = unitChoice === 'none' ? undefined : units[code]?.[unitChoice];
    return {
      kind: 'measurement' as const,
      code,
      value,
      ...(w === undefined ? {} : { window: w }),
      ...(unit === undefined ? {} : { unit }),
      ...(decimals === undefined ? {} : { decimals }),
    };
  });

const conditionVariable = fc
  .record({
    codes: fc.uniqueArray(fc.constantFrom(...DX_QUERY), { minLength: 1, maxLength: 3 }),
    descendants: fc.boolean(),
    value: fc.constantFrom('indicator' as const, 'first_day' as const),
    window,
  })
  .map(({ window: w, ...rest }) => ({
    kind: 'condition' as const,
    ...rest,
    ...(w === undefined ? {} : { window: w }),
  }));

const variables = fc
  .array(fc.oneof(measurementVariable, conditionVariable), { minLength: 1, maxLength: 6 })
  .map((list) => parseVariables(list.map((v, i) => ({ name: `v${i}`, ...v }))));

/** The cohort as a parameterized VALUES query, as another compiler would hand it over. */
function cohortQuery(members: readonly Member[]): CohortQuery {
  const params: string[] = [];
  const tuples = members.map((m) => {
    params.push(m.person_id);
    const id = `$${params.length}`;
    if (m.index_date === null) return `(${id}, cast(null as date))`;
    params.push(m.index_date);
    return `(${id}, cast($${params.length} as date))`;
  });
  return { sql: `select * from (values ${tuples.join(', ')}) t(person_id, index_date)`, params };
}

async function agrees(
  members: readonly Member[],
  vars: readonly AnalysisVariable[],
  data: { measurement: Row[]; condition_occurrence: Row[] },
): Promise<void> {
  await db.load(data, ['measurement', 'condition_occurrence']);
  const compiled = compileDataset(cohortQuery(members), vars, {
    present: new Set(['measurement', 'condition_occurrence']),
  });
  const got = await db.query(compiled.sql, compiled.params);
  const want = evaluate(members, vars, data);
  assert.deepEqual(
    got.map((r) => r.person_id),
    want.map((r) => r.person_id),
  );
  got.forEach((row, i) => {
    for (const v of vars) {
      const g = row[v.name];
      const w = want[i]?.[v.name];
      if (typeof g === 'number' && typeof w === 'number') {
        assert.ok(Math.abs(g - w) <= 1e-9 * Math.max(1, Math.abs(w)), `${v.name} of ${row.person_id}: ${g} vs ${w}`);
      } else assert.equal(g, w, `${v.name} of ${row.person_id} (${JSON.stringify(v)})`);
    }
  });
}

test('property: measurement and condition variables in SQL equal the TypeScript reference', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(member, { minLength: 1, maxLength: 8, size: 'max' }),
      variables,
      fc.array(measurementRow, { minLength: 5, maxLength: 40, size: 'max' }),
      fc.array(conditionRow, { maxLength: 30, size: 'max' }),
      async (members, vars, measurement, condition_occurrence) => {
        await agrees(members, vars, { measurement, condition_occurrence });
      },
    ),
    { numRuns: 1000 },
  );
});

test('the reference itself: a hand-checked case (Beijing midnight, nearest tie, IFCC rounding)', async () => {
  const members: Member[] = [{ person_id: 'p0', index_date: '2024-03-10' }];
  const measurement: Row[] = [
    { person_id: 'p0', measurement_code: '4548-4', value: 7, measured_at: '2024-03-09T15:59:00Z' },
    { person_id: 'p0', measurement_code: '4548-4', value: 8, measured_at: '2024-03-09T16:00:00Z' },
    { person_id: 'p0', measurement_code: '4548-4', value: 9, measured_at: '2024-03-11T16:00:00Z' },
  ];
  const vars = parseVariables([
    { name: 'day0', kind: 'measurement', code: '4548-4', value: 'first', window: { start: 0, end: 0 } },
    { name: 'ifcc', kind: 'measurement', code: '4548-4', value: 'nearest', unit: 'mmol/mol', decimals: 1 },
  ]);
  const want = evaluate(members, vars, { measurement, condition_occurrence: [] });
  assert.deepEqual(want, [{ person_id: 'p0', day0: 8, ifcc: 63.9 }]);
  await agrees(members, vars, { measurement, condition_occurrence: [] });
});
