/**
 * Hand-written cohorts over hand-made DWD rows in a real lake (Parquet files queried by DuckDB), with answers
 * worked out by hand: code descendants (clinical extension codes included), first vs any occurrence, a time window
 * around the index event (its bounds, an exclusive range bound, the Beijing day of a measurement), a glucose range
 * given in mg/dL, at least N visits on distinct days, age at a date and at the index, NOT, absent tables, and SQL
 * injection attempts that change nothing.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isMeridianError } from '../../../src/errors/registry.ts';
import {
  type CohortDefinition,
  compileCohort,
  compileCohortCount,
  parseCohort,
} from '../../../src/federation/cohort/index.ts';
import { type DwdTable, lakeColumns } from '../../../src/model/dwd.ts';
import { type Lake, openLake } from '../../../src/store/index.ts';

let dir: string;
let lake: Lake;
let present: Set<string>;

type Row = Record<string, unknown>;

const ROWS: Partial<Record<DwdTable, Row[]>> = {
  person: [
    { person_id: 'P1', gender: 'M', birth_date: '1960-03-15', year_of_birth: 1960 },
    { person_id: 'P2', gender: 'F', birth_date: '1975-07-01', year_of_birth: 1975 },
    { person_id: 'P3', gender: 'F', birth_date: null, year_of_birth: 1950 },
    { person_id: 'P4', gender: 'M', birth_date: '1990-01-01', year_of_birth: 1990 },
    { person_id: 'P5', gender: 'U', birth_date: '1980-06-30', year_of_birth: 1980 },
    { person_id: 'P6', gender: 'F', birth_date: '1965-01-01', year_of_birth: 1965 },
  ],
  condition_occurrence: [
    { person_id: 'P1', condition_code: 'E11.900', condition_date: '2021-03-01' },
    { person_id: 'P1', condition_code: 'E11.200', condition_date: '2022-01-10' },
    { person_id: 'P2', condition_code: 'E11.900x001', condition_date: '2020-06-01' },
    { person_id: 'P2', condition_code: 'I10.x00', condition_date: '2019-01-01' },
    { person_id: 'P3', condition_code: 'E10.900', condition_date: '2021-01-01' },
    { person_id: 'P3', condition_code: 'I10.x00x002', condition_date: '2021-05-05' },
    { person_id: 'P4', condition_code: 'E11.200', condition_date: '2018-05-05' },
    { person_id: 'P4', condition_code: 'E11.900', condition_date: '2021-02-02' },
    { person_id: 'P5', condition_code: 'E11.400', condition_date: '2021-07-07' },
    { person_id: 'P9', condition_code: 'E11.900', condition_date: '2021-01-01' }, // no person row
  ],
  measurement: [
    // HbA1c (%): P1 28 days before the index; P2 7.0 (not above 7) and 9.0 exactly 365 days before the index;
    // P4 long before its index; P5 16:30 UTC on its index day is 00:30 the next day in Beijing.
    { person_id: 'P1', measurement_code: '4548-4', value: 8.1, unit: '%', measured_at: '2021-02-01T02:00:00Z' },
    { person_id: 'P2', measurement_code: '4548-4', value: 7.0, unit: '%', measured_at: '2020-05-20T01:00:00Z' },
    { person_id: 'P2', measurement_code: '4548-4', value: 9.0, unit: '%', measured_at: '2019-06-02T03:00:00Z' },
    { person_id: 'P4', measurement_code: '4548-4', value: 7.5, unit: '%', measured_at: '2020-02-03T03:00:00Z' },
    { person_id: 'P5', measurement_code: '4548-4', value: 7.2, unit: '%', measured_at: '2021-07-07T16:30:00Z' },
    // Glucose (mmol/L): 126 mg/dL is 7.0 mmol/L.
    { person_id: 'P1', measurement_code: '14749-6', value: 6.9, unit: 'mmol/L', measured_at: '2021-01-01T00:00:00Z' },
    { person_id: 'P2', measurement_code: '14749-6', value: 7.0, unit: 'mmol/L', measured_at: '2021-01-01T00:00:00Z' },
    { person_id: 'P3', measurement_code: '14749-6', value: 7.1, unit: 'mmol/L', measured_at: '2021-01-01T00:00:00Z' },
    { person_id: 'P4', measurement_code: '14749-6', value: null, unit: 'mmol/L', measured_at: '2021-01-01T00:00:00Z' },
  ],
  drug_exposure: [
    { person_id: 'P1', atc_code: 'A10BA02', drug_name: '二甲双胍', start_date: '2021-03-05' },
    { person_id: 'P2', atc_code: 'C08CA01', drug_name: '氨氯地平', start_date: '2020-06-01' },
    { person_id: 'P3', atc_code: 'A10AE04', drug_name: '甘精胰岛素', start_date: '2021-01-02' },
    { person_id: 'P4', atc_code: null, drug_name: '中药饮片', start_date: '2021-02-02' },
  ],
  visit_occurrence: [
    { visit_id: 'v1', person_id: 'P1', visit_type: 'inpatient', start_date: '2021-03-01' },
    { visit_id: 'v2', person_id: 'P1', visit_type: 'inpatient', start_date: '2021-03-01' },
    { visit_id: 'v3', person_id: 'P1', visit_type: 'outpatient', start_date: '2021-04-01' },
    { visit_id: 'v4', person_id: 'P2', visit_type: 'outpatient', start_date: '2020-01-01' },
    { visit_id: 'v5', person_id: 'P2', visit_type: 'outpatient', start_date: '2020-02-01' },
    { visit_id: 'v6', person_id: 'P3', visit_type: 'emergency', start_date: '2021-01-01' },
  ],
  procedure_occurrence: [
    { person_id: 'P1', procedure_code: '36.0601', procedure_date: '2021-03-10' },
    { person_id: 'P2', procedure_code: '36.0700', procedure_date: '2020-07-01' },
  ],
  observation: [
    { person_id: 'P1', observation_code: '72166-2', value_text: '449868002', observed_on: '2021-03-01' },
    { person_id: 'P3', observation_code: '72107-6', value_number: 22, observed_on: '2021-05-05' },
  ],
  death: [{ person_id: 'P3', death_date: '2022-01-01', cause_code: 'I63.900' }],
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meridian-cohort-'));
  lake = await openLake({ dir: join(dir, 'lake') });
  for (const [table, rows] of Object.entries(ROWS) as [DwdTable, Row[]][]) {
    await lake.writeBatch({ table, batchId: randomUUID(), columns: lakeColumns(table), rows });
  }
  present = new Set(await lake.tables());
});

after(async () => {
  await lake.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The cohort's members as 'P1' or 'P1@2021-03-01' (with the index date), checking the count query agrees. */
async function cohort(input: unknown, tables: ReadonlySet<string> = present): Promise<string[]> {
  const def = parseCohort(input);
  const q = compileCohort(def, { present: tables });
  const rows = await lake.query<{ person_id: string; index_date?: string }>(q.sql, q.params);
  const c = compileCohortCount(def, { present: tables });
  const [count] = await lake.query<{ n: number }>(c.sql, c.params);
  assert.equal(count?.n, rows.length);
  return rows.map((r) => (r.index_date === undefined ? r.person_id : `${r.person_id}@${r.index_date}`));
}

test('descendants: E11 matches E11.900, E11.900x001 (clinical extension), E11.200, E11.400 — never E10 or I10', async () => {
  assert.deepEqual(await cohort({ criteria: [{ kind: 'diagnosis', codes: ['E11'], descendants: true }] }), [
    'P1',
    'P2',
    'P4',
    'P5',
  ]);
  assert.deepEqual(await cohort({ criteria: [{ kind: 'diagnosis', codes: ['E11.900'] }] }), ['P1', 'P4']);
  assert.deepEqual(await cohort({ criteria: [{ kind: 'diagnosis', codes: ['E11.900'], descendants: true }] }), [
    'P1',
    'P2',
    'P4',
  ]);
  assert.deepEqual(await cohort({ criteria: [{ kind: 'diagnosis', codes: ['E11'] }] }), []);
  assert.deepEqual(await cohort({ criteria: [{ kind: 'diagnosis', codes: ['I10'], descendants: true }] }), [
    'P2',
    'P3',
  ]);
  assert.deepEqual(await cohort({ criteria: [{ kind: 'procedure', codes: ['36.06'], descendants: true }] }), ['P1']);
  assert.deepEqual(await cohort({ criteria: [{ kind: 'procedure', codes: ['36'], descendants: true }] }), ['P1', 'P2']);
  assert.deepEqual(await cohort({ criteria: [{ kind: 'drug', codes: ['A10'], descendants: true }] }), ['P1', 'P3']);
  assert.deepEqual(await cohort({ criteria: [{ kind: 'drug', codes: ['A10B', 'C08CA01'], descendants: true }] }), [
    'P1',
    'P2',
  ]);
});

test('first occurrence: only the first E11 counts, so P4 (first in 2018) is not incident in 2020–2021', async () => {
  const e11 = { kind: 'diagnosis', codes: ['E11'], descendants: true };
  const calendar = { from: '2020-01-01', to: '2021-12-31' };
  assert.deepEqual(await cohort({ calendar, criteria: [{ ...e11, occurrence: 'first' }] }), ['P1', 'P2', 'P5']);
  assert.deepEqual(await cohort({ calendar, criteria: [{ ...e11, occurrence: 'any' }] }), ['P1', 'P2', 'P4', 'P5']);
  // The index event is the first one too: P4's index (2018) lies outside the calendar window.
  assert.deepEqual(await cohort({ calendar, index: { event: e11 }, criteria: [] }), [
    'P1@2021-03-01',
    'P2@2020-06-01',
    'P5@2021-07-07',
  ]);
});

test('time window around the index: HbA1c > 7 within [-365, 0] days of the first E11 diagnosis', async () => {
  const def = {
    index: { event: { kind: 'diagnosis', codes: ['E11'], descendants: true } },
    criteria: [{ kind: 'lab', code: '4548-4', range: { min: 7, minExclusive: true }, window: { start: -365, end: 0 } }],
  };
  // P1: 8.1 at day -28. P2: 7.0 is not above 7, but 9.0 at day -365 is in. P4: day -822. P5: day +1 in Beijing.
  assert.deepEqual(await cohort(def), ['P1@2021-03-01', 'P2@2020-06-01']);
  const inclusive = structuredClone(def);
  inclusive.criteria[0] = { ...def.criteria[0], range: { min: 7 }, window: { start: -364, end: 0 } } as never;
  assert.deepEqual(await cohort(inclusive), ['P1@2021-03-01', 'P2@2020-06-01']); // P2 now by its 7.0 at day -12
  const dayAfter = structuredClone(def);
  dayAfter.criteria[0] = { ...def.criteria[0], window: { start: 1, end: 1 } } as never;
  assert.deepEqual(await cohort(dayAfter), ['P5@2021-07-07']);
  // A stent within 30 days after the index: P1 at day 9, P2 at day 30; none of them on the index day itself.
  const stent = (window: { start: number; end: number }) => ({
    index: def.index,
    criteria: [{ kind: 'procedure', codes: ['36'], descendants: true, window }],
  });
  assert.deepEqual(await cohort(stent({ start: 0, end: 30 })), ['P1@2021-03-01', 'P2@2020-06-01']);
  assert.deepEqual(await cohort(stent({ start: 0, end: 29 })), ['P1@2021-03-01']);
  assert.deepEqual(await cohort(stent({ start: 10, end: 30 })), ['P2@2020-06-01']);
  assert.deepEqual(await cohort(stent({ start: 0, end: 0 })), []);
});

test('a glucose range in mg/dL is converted to mmol/L: 126 mg/dL = 7.0 mmol/L', async () => {
  const glucose = (range: Record<string, unknown>) => ({ criteria: [{ kind: 'lab', code: '14749-6', range }] });
  assert.deepEqual(await cohort(glucose({ min: 126, unit: 'mg/dL' })), ['P2', 'P3']);
  assert.deepEqual(await cohort(glucose({ min: 7 })), ['P2', 'P3']);
  assert.deepEqual(await cohort(glucose({ min: 126, minExclusive: true, unit: 'mg/dl' })), ['P3']);
  assert.deepEqual(await cohort(glucose({ max: 126, maxExclusive: true, unit: 'mg/dL' })), ['P1']);
  assert.deepEqual(await cohort({ criteria: [{ kind: 'lab', code: '14749-6' }] }), ['P1', 'P2', 'P3', 'P4']);
});

test('at least N times counts distinct days; visit types; observations by text and number; death', async () => {
  const visits = (types: string[], atLeast: number) => ({ criteria: [{ kind: 'visit', types, atLeast }] });
  assert.deepEqual(await cohort(visits(['inpatient'], 2)), []); // P1's two admissions share a day
  assert.deepEqual(await cohort(visits(['inpatient'], 1)), ['P1']);
  assert.deepEqual(await cohort(visits(['inpatient', 'outpatient'], 2)), ['P1', 'P2']);
  assert.deepEqual(await cohort(visits(['emergency', 'outpatient'], 3)), []);
  assert.deepEqual(await cohort({ criteria: [{ kind: 'observation', code: '72166-2', text: ['449868002'] }] }), ['P1']);
  assert.deepEqual(await cohort({ criteria: [{ kind: 'observation', code: '72107-6', range: { max: 24 } }] }), ['P3']);
  assert.deepEqual(await cohort({ criteria: [{ kind: 'death', causes: ['I63'], descendants: true }] }), ['P3']);
  assert.deepEqual(await cohort({ criteria: [{ kind: 'death' }] }), ['P3']);
});

test('age at a date (birthday on the day counts), at the index, from year_of_birth; sex; AND, OR, NOT', async () => {
  const age = (at: string, range: Record<string, number>) => ({ kind: 'age', at, range });
  assert.deepEqual(await cohort({ criteria: [age('2021-03-15', { min: 61 })] }), ['P1', 'P3']); // P3: 2021 - 1950
  assert.deepEqual(await cohort({ criteria: [age('2021-03-14', { min: 61 })] }), ['P3']);
  assert.deepEqual(
    await cohort({
      index: { event: { kind: 'diagnosis', codes: ['E11'], descendants: true } },
      criteria: [age('index', { min: 40, max: 44 })],
    }),
    ['P2@2020-06-01', 'P5@2021-07-07'], // P2 44 at 2020-06-01 (birthday 07-01 not reached); P5 41
  );
  assert.deepEqual(
    await cohort({
      criteria: [
        { kind: 'sex', values: ['F', 'U'] },
        {
          kind: 'or',
          criteria: [{ kind: 'diagnosis', codes: ['E11'], descendants: true }, { kind: 'death' }],
        },
      ],
    }),
    ['P2', 'P3', 'P5'],
  );
  assert.deepEqual(
    await cohort({ criteria: [{ kind: 'not', criterion: { kind: 'drug', codes: ['A10'], descendants: true } }] }),
    ['P2', 'P4', 'P5', 'P6'],
  );
  assert.deepEqual(await cohort({ criteria: [] }), ['P1', 'P2', 'P3', 'P4', 'P5', 'P6']);
});

test('a table the lake lacks reads as empty: its criteria match no one, and their negation everyone', async () => {
  const withoutLabs = new Set([...present].filter((t) => t !== 'measurement'));
  const lab = { kind: 'lab', code: '14749-6' };
  assert.deepEqual(await cohort({ criteria: [lab] }, withoutLabs), []);
  assert.deepEqual(await cohort({ criteria: [{ kind: 'not', criterion: lab }] }, withoutLabs), [
    'P1',
    'P2',
    'P3',
    'P4',
    'P5',
    'P6',
  ]);
  assert.deepEqual(await cohort({ index: { event: lab }, criteria: [] }, new Set(['person'])), []);
});

test('SQL injection: values never enter the SQL text; quotes in free text match nothing and drop nothing', async () => {
  const hostile = ["x' or '1'='1", "'); drop table person; --", '" or ""="', "\\'; select 1; --"];
  const def = parseCohort({
    criteria: [
      {
        kind: 'or',
        criteria: [
          { kind: 'observation', code: '72166-2', text: hostile },
          { kind: 'sex', values: ['M'] },
        ],
      },
    ],
  });
  const q = compileCohort(def, { present });
  for (const value of hostile) assert.ok(!q.sql.includes(value), `${value} is in the SQL`);
  assert.ok(!q.sql.includes('72166-2'));
  assert.deepEqual(q.params.slice(1, 1 + hostile.length), hostile);
  assert.deepEqual(await cohort(def), ['P1', 'P4']);
  const [{ n } = { n: 0 }] = await lake.query<{ n: number }>('select count(*)::bigint as n from person');
  assert.equal(n, 6);

  for (const code of ["E11' or 1=1 --", "E11'); drop table person; --"]) {
    assert.throws(
      () => parseCohort({ criteria: [{ kind: 'diagnosis', codes: [code] }] }),
      (e) =>
        isMeridianError(e, 'MER_COHORT_INVALID') && e.message.includes(`criteria[0].codes[0]: ${JSON.stringify(code)}`),
    );
    // compile validates again, so an object that skipped parseCohort cannot smuggle a code in either.
    const unchecked = { criteria: [{ kind: 'diagnosis', codes: [code] }] } as unknown as CohortDefinition;
    assert.throws(
      () => compileCohort(unchecked),
      (e) => isMeridianError(e, 'MER_COHORT_INVALID'),
    );
  }
  assert.deepEqual(await cohort({ criteria: [{ kind: 'diagnosis', codes: ['E11.900'] }] }), ['P1', 'P4']);
});
