/**
 * Hand-made DWD rows with known answers for every variable kind, run by a real in-memory DuckDB: window edges
 * (inclusive, Beijing days of UTC instants), first / last / nearest and their tie rules, unit conversion and
 * rounding, code descendants, indicators vs NULL, survival censoring, a cohort without index dates, absent tables,
 * and the cohort's parameters coming first.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { isMeridianError } from '../../../src/errors/registry.ts';
import {
  type AnalysisVariable,
  type CohortQuery,
  compileDataset,
  parseVariables,
} from '../../../src/federation/dataset/index.ts';
import { type Dataset, type DwdDb, daysBetween, openDwdDb } from './dwd-db.ts';

/** The cohort of the tests: persons with a type 2 diabetes diagnosis, indexed at their first one. */
const E11_COHORT: CohortQuery = {
  sql: 'select person_id, min(condition_date) as index_date from condition_occurrence where starts_with(condition_code, $1) group by person_id',
  params: ['E11'],
};

const HBA1C = '4548-4';
const MMSE = '72107-6';
const SMOKING = '72166-2';
const SMOKER = ['449868002', '8517006'];

const person = (person_id: string, gender: string, birth_date: string | null) => ({ person_id, gender, birth_date });
const dx = (person_id: string, condition_code: string, condition_date: string) => ({
  person_id,
  condition_code,
  condition_date,
});
const lab = (person_id: string, measurement_code: string, measured_at: string, value: number | null) => ({
  person_id,
  measurement_code,
  measured_at,
  value,
});

/**
 * p1 index 2024-03-10 (born 1960-03-10: 64 on the index day), p2 index 2024-03-10 (born a day later: 63),
 * p3 index 2023-12-31 (sex U, no birth date), p4 index 2024-02-01 (no person row), p6 index 2023-02-28 (born
 * 2000-02-29), p7 index 2024-03-10 (two person rows disagreeing on the birth date); p5 is not in the cohort.
 */
const DATA: Dataset = {
  person: [
    person('p1', 'M', '1960-03-10'),
    person('p1', 'M', '1960-03-10'),
    person('p2', 'F', '1960-03-11'),
    person('p3', 'U', null),
    person('p5', 'F', '1970-01-01'),
    person('p6', 'F', '2000-02-29'),
    person('p7', 'M', '1950-01-01'),
    person('p7', 'M', '1951-01-01'),
  ],
  condition_occurrence: [
    dx('p1', 'E11.900', '2024-03-10'),
    dx('p1', 'I10.x00', '2024-02-01'),
    dx('p2', 'E11.900x001', '2024-03-10'),
    dx('p2', 'I10.x00', '2024-03-10'),
    dx('p2', 'E11.200', '2024-06-01'),
    dx('p3', 'E11.9', '2023-12-31'),
    dx('p3', 'E11.300', '2023-12-31'),
    dx('p4', 'E11.900', '2024-02-01'),
    dx('p5', 'E10.900', '2024-03-10'),
    dx('p6', 'E11.900', '2023-02-28'),
    dx('p7', 'E11.900', '2024-03-10'),
  ],
  measurement: [
    // p1: Beijing 2024-03-09 23:59 (day −1), 2024-03-10 00:00 (day 0, the window edge), 10:00 (day 0), +1, +2 (NULL).
    lab('p1', HBA1C, '2024-03-09T15:59:00Z', 7),
    lab('p1', HBA1C, '2024-03-09T16:00:00Z', 8),
    lab('p1', HBA1C, '2024-03-10T02:00:00Z', 9),
    lab('p1', HBA1C, '2024-03-11T01:00:00Z', 6),
    lab('p1', HBA1C, '2024-03-12T01:00:00Z', null),
    lab('p1', '39156-5', '2024-03-10T02:00:00Z', 24.5),
    // p2: two on day −1, and two at one instant on day +1 (a tie for "last": the smaller value wins).
    lab('p2', HBA1C, '2024-03-09T01:00:00Z', 5),
    lab('p2', HBA1C, '2024-03-09T05:00:00Z', 5.5),
    lab('p2', HBA1C, '2024-03-11T02:00:00Z', 6.5),
    lab('p2', HBA1C, '2024-03-11T02:00:00Z', 6.4),
    lab('p5', HBA1C, '2024-03-10T02:00:00Z', 12),
  ],
  observation: [
    { person_id: 'p1', observation_code: SMOKING, value_text: '449868002', observed_on: '2023-01-01' },
    { person_id: 'p2', observation_code: SMOKING, value_text: '266919005', observed_on: '2024-03-10' },
    { person_id: 'p4', observation_code: SMOKING, value_text: '8517006', observed_on: '2024-01-01' },
    { person_id: 'p4', observation_code: SMOKING, value_text: '266919005', observed_on: '2024-02-01' },
    { person_id: 'p1', observation_code: MMSE, value_number: 24, observed_on: '2024-03-01' },
    { person_id: 'p1', observation_code: MMSE, value_number: 26, observed_on: '2024-03-20' },
  ],
  drug_exposure: [
    { person_id: 'p1', atc_code: 'A10BA02', drug_name: '二甲双胍', start_date: '2024-01-01', end_date: '2024-03-09' },
    { person_id: 'p2', atc_code: 'C08CA01', drug_name: '氨氯地平', start_date: '2024-03-10', end_date: null },
    { person_id: 'p2', atc_code: 'A10BB12', drug_name: '格列美脲', start_date: '2024-03-20', end_date: null },
    // An end before the start (a typing error) leaves a one-day exposure on the start date.
    { person_id: 'p3', atc_code: 'A10AE04', drug_name: '甘精胰岛素', start_date: '2024-01-05', end_date: '2023-12-01' },
  ],
  procedure_occurrence: [
    { person_id: 'p1', procedure_code: '36.0601', procedure_date: '2024-03-15' },
    { person_id: 'p2', procedure_code: '36.0700', procedure_date: '2024-03-15' },
  ],
  death: [
    { person_id: 'p2', death_date: '2024-07-01' },
    { person_id: 'p2', death_date: '2024-07-05' },
  ],
  visit_occurrence: [
    { visit_id: 'v1', person_id: 'p1', visit_type: 'outpatient', start_date: '2024-03-10', end_date: null },
    { visit_id: 'v2', person_id: 'p1', visit_type: 'inpatient', start_date: '2024-05-01', end_date: '2024-05-10' },
    { visit_id: 'v3', person_id: 'p2', visit_type: 'outpatient', start_date: '2024-03-10', end_date: null },
    { visit_id: 'v4', person_id: 'p2', visit_type: 'outpatient', start_date: '2024-06-01', end_date: null },
    { visit_id: 'v5', person_id: 'p4', visit_type: 'outpatient', start_date: '2024-01-01', end_date: null },
  ],
};

const INDEX: Record<string, string> = {
  p1: '2024-03-10',
  p2: '2024-03-10',
  p3: '2023-12-31',
  p4: '2024-02-01',
  p6: '2023-02-28',
  p7: '2024-03-10',
};
const COHORT = Object.keys(INDEX).sort();

let db: DwdDb;

before(async () => {
  db = await openDwdDb();
  await db.load(DATA);
});

after(() => db.close());

/** Runs the variables over the E11 cohort; returns each output column as a map person → value. */
async function table(
  variables: readonly AnalysisVariable[],
  cohort: CohortQuery = E11_COHORT,
): Promise<Record<string, Record<string, unknown>>> {
  const compiled = compileDataset(cohort, variables);
  const rows = await db.query(compiled.sql, compiled.params);
  assert.deepEqual(
    Object.keys(rows[0] ?? {}),
    compiled.columns.map((c) => c.name),
    'the declared columns are the result columns, in order',
  );
  const out: Record<string, Record<string, unknown>> = {};
  for (const { name } of compiled.columns.slice(1)) {
    out[name] = Object.fromEntries(rows.map((r) => [r.person_id as string, r[name]]));
  }
  out.person_id = Object.fromEntries(rows.map((r, i) => [String(i), r.person_id]));
  return out;
}

/** One variable's column over the cohort. */
async function column(v: AnalysisVariable, cohort?: CohortQuery): Promise<Record<string, unknown>> {
  const t = await table([v], cohort);
  return t[v.name] as Record<string, unknown>;
}

/** Expected values: every cohort member NULL except those given. */
function expect(values: Record<string, unknown>, members: readonly string[] = COHORT): Record<string, unknown> {
  return Object.fromEntries(members.map((p) => [p, values[p] ?? null]));
}

test('one row per cohort person, ordered by person_id; the cohort parameters come first and keep their numbers', async () => {
  const compiled = compileDataset(E11_COHORT, [
    { name: 'hba1c', kind: 'measurement', code: HBA1C, value: 'first', window: { start: 0, end: 0 } },
  ]);
  assert.equal(compiled.params[0], 'E11');
  assert.deepEqual(compiled.params.slice(1), [HBA1C, 0, 0]);
  assert.match(compiled.sql, /\$2\b/);
  assert.deepEqual(compiled.columns, [
    { name: 'person_id', type: 'VARCHAR' },
    { name: 'hba1c', type: 'DOUBLE' },
  ]);
  const rows = await db.query(compiled.sql, compiled.params);
  assert.deepEqual(
    rows.map((r) => r.person_id),
    COHORT,
  );
});

test('age: completed years at the index date (birthday on the index day counts; 29 February), or at a fixed date', async () => {
  assert.deepEqual(
    await column({ name: 'age', kind: 'age' }),
    // p3 has no birth date, p4 no person row, p7 two rows that disagree: unknown.
    expect({ p1: 64, p2: 63, p6: 22 }),
  );
  assert.deepEqual(await column({ name: 'age', kind: 'age', at: '2023-03-01' }), expect({ p1: 62, p2: 62, p6: 23 }));
});

test('sex: a 0/1 indicator of a level (U and unknown are NULL), or the categorical value', async () => {
  assert.deepEqual(await column({ name: 'male', kind: 'sex', level: 'M' }), expect({ p1: 1, p2: 0, p6: 0, p7: 1 }));
  assert.deepEqual(await column({ name: 'sex', kind: 'sex' }), expect({ p1: 'M', p2: 'F', p3: 'U', p6: 'F', p7: 'M' }));
});

test('measurement windows are Beijing days, both ends inclusive: first, last, min, max, mean', async () => {
  const at = (value: AnalysisVariable & { kind: 'measurement' }) => column(value);
  const m = (value: 'first' | 'last' | 'min' | 'max' | 'mean', start?: number, end?: number) =>
    at({ name: 'x', kind: 'measurement', code: HBA1C, value, window: { start, end } });
  // Day 0 of p1 holds 16:00Z of the day before (Beijing midnight) and 02:00Z; 15:59Z the day before is day −1.
  assert.deepEqual(await m('first', 0, 0), expect({ p1: 8 }));
  assert.deepEqual(await m('last', 0, 0), expect({ p1: 9 }));
  assert.deepEqual(await m('min', 0, 0), expect({ p1: 8 }));
  assert.deepEqual(await m('max', 0, 0), expect({ p1: 9 }));
  assert.deepEqual(await m('mean', 0, 0), expect({ p1: 8.5 }));
  assert.deepEqual(await m('first', -1, 1), expect({ p1: 7, p2: 5 }));
  // p2's two values at one instant on day +1: "last" takes the smaller.
  assert.deepEqual(await m('last', -1, 1), expect({ p1: 6, p2: 6.4 }));
  assert.deepEqual(await m('mean', -1, 1), expect({ p1: 7.5, p2: 5.85 }));
  // Open-ended windows; the NULL value on day +2 is not a value.
  assert.deepEqual(await m('first', 1), expect({ p1: 6, p2: 6.4 }));
  assert.deepEqual(await m('last', undefined, -1), expect({ p1: 7, p2: 5.5 }));
  assert.deepEqual(await m('first', -5, -2), expect({}));
  assert.deepEqual(
    await at({ name: 'x', kind: 'measurement', code: HBA1C, value: 'last' }),
    expect({ p1: 6, p2: 6.4 }),
    'no window: every value of the person, index or not',
  );
});

test('measurement nearest: smallest |days|, the side before the index on a tie, then the time closest to it', async () => {
  const nearest = (window?: { start?: number; end?: number }) =>
    column({ name: 'x', kind: 'measurement', code: HBA1C, value: 'nearest', ...(window ? { window } : {}) });
  // p1: two on day 0 → the earlier; p2: days −1 and +1 tie → before wins, and of day −1 the later one.
  assert.deepEqual(await nearest(), expect({ p1: 8, p2: 5.5 }));
  assert.deepEqual(await nearest({ start: 1 }), expect({ p1: 6, p2: 6.4 }));
});

test('measurement units: converted from the stored standard unit and rounded, or a clear error', async () => {
  const ifcc = await column({
    name: 'x',
    kind: 'measurement',
    code: HBA1C,
    value: 'first',
    window: { start: 0, end: 0 },
    unit: 'mmol/mol',
    decimals: 1,
  });
  assert.deepEqual(ifcc, expect({ p1: 63.9 }), '(8 % − 2.15) × 10.929 = 63.93 mmol/mol');
  const same = await column({ name: 'x', kind: 'measurement', code: HBA1C, value: 'first', unit: '%' });
  assert.deepEqual(same, expect({ p1: 7, p2: 5 }));
  assert.throws(
    () =>
      compileDataset(E11_COHORT, [
        { name: 'bmi', kind: 'measurement', code: '39156-5', value: 'first', unit: 'kg/m2' },
      ]),
    (e) =>
      isMeridianError(e, 'MER_DATASET_UNIT_UNCONVERTIBLE') &&
      e.message.includes('variables[0] (bmi).unit') &&
      e.message.includes('39156-5'),
  );
  assert.throws(
    () =>
      compileDataset(E11_COHORT, [{ name: 'a1c', kind: 'measurement', code: HBA1C, value: 'first', unit: 'mg/dL' }]),
    (e) => isMeridianError(e, 'MER_DATASET_UNIT_UNCONVERTIBLE') && e.message.includes('"mg/dL"'),
  );
});

test('condition: indicator within the window (index day included), descendants, and the first day from index', async () => {
  const complication = (window?: { start?: number; end?: number }, value?: 'indicator' | 'first_day') =>
    column({
      name: 'c',
      kind: 'condition',
      codes: ['E11.2', 'E11.3', 'E11.4'],
      descendants: true,
      ...(window ? { window } : {}),
      ...(value ? { value } : {}),
    });
  const zero = expect({ p1: 0, p2: 0, p3: 0, p4: 0, p6: 0, p7: 0 });
  assert.deepEqual(await complication({ start: 0 }), { ...zero, p2: 1, p3: 1 });
  assert.deepEqual(await complication({ start: 1 }), { ...zero, p2: 1 }, "p3's is on the index day");
  assert.deepEqual(
    await complication({ start: 0 }, 'first_day'),
    expect({ p2: daysBetween('2024-03-10', '2024-06-01'), p3: 0 }),
  );
  const hypertension = (end: number) =>
    column({ name: 'h', kind: 'condition', codes: ['I10'], descendants: true, window: { end } });
  assert.deepEqual(await hypertension(-1), { ...zero, p1: 1 });
  assert.deepEqual(await hypertension(0), { ...zero, p1: 1, p2: 1 });
  const exact = (descendants: boolean) => column({ name: 'e', kind: 'condition', codes: ['E11.900'], descendants });
  assert.deepEqual(await exact(false), { ...zero, p1: 1, p4: 1, p6: 1, p7: 1 }, 'E11.900x001 is not E11.900');
  assert.deepEqual(await exact(true), { ...zero, p1: 1, p2: 1, p4: 1, p6: 1, p7: 1 });
});

test('observation: numeric picks on observed_on, and a text indicator that is NULL without any observation', async () => {
  const smoker = await column({ name: 's', kind: 'observation', code: SMOKING, value: 'indicator', text: SMOKER });
  assert.deepEqual(smoker, expect({ p1: 1, p2: 0, p4: 1 }), 'p4 was a former smoker before saying never');
  const since = (start: number) =>
    column({ name: 's', kind: 'observation', code: SMOKING, value: 'indicator', text: SMOKER, window: { start } });
  // p4's "former" is on day −31 and "never" on day 0; p1 was observed 434 days before the index.
  assert.deepEqual(await since(-31), expect({ p2: 0, p4: 1 }), 'the window start is inclusive');
  assert.deepEqual(await since(-30), expect({ p2: 0, p4: 0 }));
  const mmse = (value: 'first' | 'last' | 'nearest' | 'mean', start?: number) =>
    column({
      name: 'm',
      kind: 'observation',
      code: MMSE,
      value,
      ...(start === undefined ? {} : { window: { start } }),
    });
  assert.deepEqual(await mmse('first'), expect({ p1: 24 }));
  assert.deepEqual(await mmse('last'), expect({ p1: 26 }));
  assert.deepEqual(await mmse('nearest'), expect({ p1: 24 }), 'day −9 is nearer than day +10');
  assert.deepEqual(await mmse('mean'), expect({ p1: 25 }));
  assert.deepEqual(await mmse('first', 0), expect({ p1: 26 }));
});

test('drug: an exposure period under the ATC prefix that overlaps the window; procedure: a dated code', async () => {
  const a10 = (window?: { start?: number; end?: number }) =>
    column({ name: 'd', kind: 'drug', codes: ['A10'], ...(window ? { window } : {}) });
  const zero = expect({ p1: 0, p2: 0, p3: 0, p4: 0, p6: 0, p7: 0 });
  assert.deepEqual(await a10(), { ...zero, p1: 1, p2: 1, p3: 1 });
  assert.deepEqual(await a10({ start: 0 }), { ...zero, p2: 1, p3: 1 }, "p1's exposure ended the day before");
  assert.deepEqual(await a10({ start: -1 }), { ...zero, p1: 1, p2: 1, p3: 1 });
  assert.deepEqual(await a10({ start: 0, end: 9 }), { ...zero, p3: 1 }, "p2's starts on day +10");
  const pci = await column({ name: 'p', kind: 'procedure', codes: ['36.06'], descendants: true, window: { start: 0 } });
  assert.deepEqual(pci, { ...zero, p1: 1 });
});

test('death: indicator (earliest date of duplicates) and days from the index', async () => {
  const zero = expect({ p1: 0, p2: 0, p3: 0, p4: 0, p6: 0, p7: 0 });
  assert.deepEqual(await column({ name: 'd', kind: 'death' }), { ...zero, p2: 1 });
  assert.deepEqual(await column({ name: 'd', kind: 'death', window: { start: 0, end: 30 } }), zero);
  assert.deepEqual(
    await column({ name: 'd', kind: 'death', value: 'days' }),
    expect({ p2: daysBetween('2024-03-10', '2024-07-01') }),
  );
});

test('survival: event time, censoring at the last visit (capped by an end date) or at a fixed end date', async () => {
  const survival = async (v: Omit<AnalysisVariable & { kind: 'survival' }, 'name' | 'kind'>) => {
    const t = await table([{ name: 'os', kind: 'survival', ...v }]);
    return Object.fromEntries(COHORT.map((p) => [p, [t.os_time_days?.[p], t.os_event?.[p]]]));
  };
  const d = daysBetween;
  assert.deepEqual(await survival({ event: { kind: 'death' }, censor: 'last_visit' }), {
    p1: [d('2024-03-10', '2024-05-10'), 0], // the last visit's discharge date
    p2: [d('2024-03-10', '2024-07-01'), 1], // death after the last visit still counts
    p3: [null, null], // no visit at all
    p4: [null, null], // last visit before the index
    p6: [null, null],
    p7: [null, null],
  });
  assert.deepEqual(await survival({ event: { kind: 'death' }, censor: 'last_visit', endDate: '2024-05-05' }), {
    p1: [d('2024-03-10', '2024-05-05'), 0],
    p2: [d('2024-03-10', '2024-05-05'), 0], // death after the end date is censored there
    p3: [null, null],
    p4: [null, null],
    p6: [null, null],
    p7: [null, null],
  });
  assert.deepEqual(await survival({ event: { kind: 'death' }, censor: 'end_date', endDate: '2024-12-31' }), {
    p1: [d('2024-03-10', '2024-12-31'), 0],
    p2: [d('2024-03-10', '2024-07-01'), 1],
    p3: [d('2023-12-31', '2024-12-31'), 0],
    p4: [d('2024-02-01', '2024-12-31'), 0],
    p6: [d('2023-02-28', '2024-12-31'), 0],
    p7: [d('2024-03-10', '2024-12-31'), 0],
  });
  const complication = await survival({
    event: { kind: 'condition', codes: ['E11.2'], descendants: true },
    censor: 'end_date',
    endDate: '2024-12-31',
  });
  assert.deepEqual(complication.p2, [d('2024-03-10', '2024-06-01'), 1]);
  assert.deepEqual(complication.p3, [d('2023-12-31', '2024-12-31'), 0], 'E11.300 is not under E11.2');
});

test('many variables at once read each table once and give the same values as one at a time', async () => {
  const variables: AnalysisVariable[] = parseVariables([
    { name: 'age', kind: 'age' },
    { name: 'sex', kind: 'sex' },
    { name: 'a1c_first', kind: 'measurement', code: HBA1C, value: 'first', window: { start: -1, end: 1 } },
    { name: 'a1c_nearest', kind: 'measurement', code: HBA1C, value: 'nearest' },
    { name: 'bmi', kind: 'measurement', code: '39156-5', value: 'first', window: { start: 0, end: 0 } },
    { name: 'comp', kind: 'condition', codes: ['E11.2', 'E11.3'], descendants: true, window: { start: 0 } },
    { name: 'smoker', kind: 'observation', code: SMOKING, value: 'indicator', text: SMOKER },
    { name: 'died', kind: 'death' },
    { name: 'os', kind: 'survival', event: { kind: 'death' }, censor: 'last_visit' },
  ]);
  const compiled = compileDataset(E11_COHORT, variables);
  assert.equal(compiled.sql.match(/ from "measurement" e /g)?.length, 1, 'one scan of measurement');
  assert.equal(compiled.sql.match(/ from "person" e /g)?.length, 1, 'one scan of person');
  assert.equal(compiled.sql.match(/ from "death" e /g)?.length, 1, 'one scan of death');
  const together = await table(variables);
  for (const v of variables) {
    const alone = await table([v]);
    for (const [name, values] of Object.entries(alone)) {
      if (name !== 'person_id') assert.deepEqual(together[name], values, name);
    }
  }
});

test('a cohort without index dates: index-relative values are NULL, the rest are computed', async () => {
  const noIndex: CohortQuery = { sql: "select person_id from person where person_id in ('p1', 'p2')", params: [] };
  const nullIndex: CohortQuery = {
    sql: "select person_id, cast(null as date) as index_date from person where person_id in ('p1', 'p2')",
    params: [],
  };
  for (const cohort of [noIndex, nullIndex]) {
    const t = await table(
      [
        { name: 'age_index', kind: 'age' },
        { name: 'age_2024', kind: 'age', at: '2024-01-01' },
        { name: 'ever_comp', kind: 'condition', codes: ['E11.2'], descendants: true },
        { name: 'comp_after', kind: 'condition', codes: ['E11.2'], descendants: true, window: { start: 0 } },
        { name: 'a1c_first', kind: 'measurement', code: HBA1C, value: 'first' },
        { name: 'a1c_near', kind: 'measurement', code: HBA1C, value: 'nearest' },
        { name: 'died', kind: 'death' },
        { name: 'os', kind: 'survival', event: { kind: 'death' }, censor: 'end_date', endDate: '2024-12-31' },
      ],
      cohort,
    );
    assert.deepEqual(t.age_index, { p1: null, p2: null });
    assert.deepEqual(t.age_2024, { p1: 63, p2: 63 });
    assert.deepEqual(t.ever_comp, { p1: 0, p2: 1 });
    assert.deepEqual(t.comp_after, { p1: null, p2: null });
    assert.deepEqual(t.a1c_first, { p1: 7, p2: 5 });
    assert.deepEqual(t.a1c_near, { p1: null, p2: null });
    assert.deepEqual(t.died, { p1: 0, p2: 1 });
    assert.deepEqual(t.os_time_days, { p1: null, p2: null });
    assert.deepEqual(t.os_event, { p1: null, p2: null });
  }
});

test('a person listed twice by the cohort is one row, at the earliest index date', async () => {
  const twice: CohortQuery = {
    sql: "select * from (values ('p1', date '2024-03-11'), ('p1', date '2024-03-10'), ('p9', null)) t(person_id, index_date)",
    params: [],
  };
  const t = await table(
    [{ name: 'a1c', kind: 'measurement', code: HBA1C, value: 'first', window: { start: 0, end: 0 } }],
    twice,
  );
  assert.deepEqual(t.a1c, { p1: 8, p9: null });
});

test('tables the lake lacks read as empty', async () => {
  const sparse = await openDwdDb();
  try {
    await sparse.load(DATA, ['person', 'condition_occurrence']);
    const compiled = compileDataset(
      E11_COHORT,
      [
        { name: 'died', kind: 'death' },
        { name: 'a1c', kind: 'measurement', code: HBA1C, value: 'first' },
        { name: 'os', kind: 'survival', event: { kind: 'death' }, censor: 'end_date', endDate: '2024-12-31' },
      ],
      { present: new Set(['person', 'condition_occurrence']) },
    );
    const rows = await sparse.query(compiled.sql, compiled.params);
    assert.deepEqual(
      rows.map((r) => [r.person_id, r.died, r.a1c, r.os_event]),
      COHORT.map((p) => [p, 0, null, 0]),
    );
  } finally {
    sparse.close();
  }
});

test('a malformed cohort query is refused, naming the field', () => {
  const v: AnalysisVariable[] = [{ name: 'age', kind: 'age' }];
  const refused = (cohort: unknown, field: string) =>
    assert.throws(
      () => compileDataset(cohort as CohortQuery, v),
      (e) => isMeridianError(e, 'MER_DATASET_INVALID') && e.message.includes(field),
      field,
    );
  refused({ sql: '', params: [] }, 'cohort.sql');
  refused({ sql: 'select 1 as person_id;', params: [] }, 'semicolon');
  refused({ sql: 'select $2 as person_id', params: ['a'] }, 'uses $2');
  refused({ sql: 'select $2 as person_id', params: ['a', 'b'] }, 'cohort.params[0] is not used');
  refused({ sql: 'select $1 as person_id', params: [Number.NaN] }, 'cohort.params[0]');
  refused({ sql: 'select 1 as person_id' }, 'cohort.params');
});

test('an unchecked variable list fails with the variable and field named', () => {
  assert.throws(
    () =>
      compileDataset(E11_COHORT, [
        { name: 'a1c', kind: 'measurement', code: HBA1C, value: 'first', window: { start: 5, end: 1 } },
      ]),
    (e) => isMeridianError(e, 'MER_DATASET_INVALID') && e.message.includes('variables[0] (a1c).window.end: 1'),
  );
});
