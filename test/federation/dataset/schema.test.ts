/**
 * The analysis-variable schema: valid lists pass unchanged; every kind of bad input is refused with the variable
 * (index and name) and the field named; unit changes invert units.ts exactly (property).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isMeridianError } from '../../../src/errors/registry.ts';
import {
  DATASET_VARIABLES_MAX,
  needsIndex,
  parseVariables,
  unitChange,
  variableColumns,
} from '../../../src/federation/dataset/index.ts';
import { analyteOfCode, toStandardUnit } from '../../../src/pipeline/units.ts';

const VALID = [
  { name: 'age', kind: 'age' },
  { name: 'age_2020', kind: 'age', at: '2020-01-01' },
  { name: 'male', kind: 'sex', level: 'M' },
  { name: 'sex', kind: 'sex' },
  { name: 'hba1c', kind: 'measurement', code: '4548-4', value: 'first', window: { start: 0, end: 0 }, unit: '%' },
  { name: 'glucose_mgdl', kind: 'measurement', code: '14749-6', value: 'mean', unit: 'mg/dL', decimals: 0 },
  { name: 'complication', kind: 'condition', codes: ['E11.2', 'E11.3'], descendants: true, window: { start: 0 } },
  { name: 'first_complication', kind: 'condition', codes: ['E11.2'], value: 'first_day' },
  { name: 'smoker', kind: 'observation', code: '72166-2', value: 'indicator', text: ['449868002'] },
  { name: 'mmse', kind: 'observation', code: '72107-6', value: 'nearest', window: { start: -365, end: 0 } },
  { name: 'metformin', kind: 'drug', codes: ['A10BA'], window: { end: 0 } },
  { name: 'pci', kind: 'procedure', codes: ['36.06'], descendants: true },
  { name: 'died', kind: 'death', value: 'days' },
  { name: 'os', kind: 'survival', event: { kind: 'death' }, censor: 'last_visit' },
  {
    name: 'efs',
    kind: 'survival',
    event: { kind: 'condition', codes: ['C78'] },
    censor: 'end_date',
    endDate: '2024-12-31',
  },
];

/** Asserts `input` is refused with MER_DATASET_INVALID and a message holding every fragment. */
function refused(input: unknown, ...fragments: string[]): void {
  assert.throws(
    () => parseVariables(input),
    (e) => {
      assert.ok(isMeridianError(e, 'MER_DATASET_INVALID'), String(e));
      for (const f of fragments) assert.ok(e.message.includes(f), `${e.message} names ${f}`);
      return true;
    },
  );
}

test('a valid list of every kind passes unchanged; columns and index needs follow the kinds', () => {
  assert.deepEqual(parseVariables(VALID), VALID);
  const columns = parseVariables(VALID).flatMap(variableColumns);
  assert.equal(columns.length, VALID.length + 2, 'survival variables give two columns each');
  assert.deepEqual(
    columns.filter((c) => c.name.startsWith('os_')),
    [
      { name: 'os_time_days', type: 'INTEGER' },
      { name: 'os_event', type: 'INTEGER' },
    ],
  );
  assert.deepEqual(
    parseVariables(VALID).map((v) => needsIndex(v)),
    [true, false, false, false, true, false, true, true, false, true, true, false, true, true, true],
  );
});

test('limits: 1 to 50 variables, names of the pattern, unique output columns, person_id reserved', () => {
  refused([], 'has 0 item(s); at least 1');
  refused(
    Array.from({ length: DATASET_VARIABLES_MAX + 1 }, (_, i) => ({ name: `v${i}`, kind: 'age' })),
    `has 51 items; at most ${DATASET_VARIABLES_MAX}`,
  );
  refused([{ name: 'HbA1c', kind: 'age' }], 'variables[0] (HbA1c).name: "HbA1c" is not a variable name');
  refused([{ name: '1age', kind: 'age' }], 'variables[0] (1age).name');
  refused([{ name: `a${'b'.repeat(40)}`, kind: 'age' }], 'variables[0]', '.name');
  refused(
    [
      { name: 'age', kind: 'age' },
      { name: 'age', kind: 'sex' },
    ],
    'variables[1] (age).name',
    'which variables[0] (age) also gives',
  );
  refused(
    [
      { name: 'os_event', kind: 'death' },
      { name: 'os', kind: 'survival', event: { kind: 'death' }, censor: 'last_visit' },
    ],
    'variables[1] (os).name',
    'os_event',
  );
  refused([{ name: 'person_id', kind: 'age' }], 'variables[0] (person_id).name', 'reserved');
  refused({ name: 'age', kind: 'age' }, 'variables', 'is not a list');
});

test('fields: unknown kinds and fields, bad codes, dates and windows name the variable and field with the value', () => {
  refused([{ name: 'x', kind: 'lab' }], 'variables[0] (x).kind: "lab" is not one of');
  refused([{ name: 'x', kind: 'age', window: { start: 0 } }], 'variables[0] (x).window: is not a field here');
  refused([{ name: 'x', kind: 'age', at: '2023-02-29' }], 'variables[0] (x).at: "2023-02-29"');
  refused([{ name: 'x', kind: 'condition', codes: ['e11'] }], 'variables[0] (x).codes[0]: "e11" is not an ICD-10 code');
  refused([{ name: 'x', kind: 'condition', codes: [] }], 'variables[0] (x).codes: has 0 item(s)');
  refused([{ name: 'x', kind: 'drug', codes: ['A1'] }], 'variables[0] (x).codes[0]: "A1" is not an ATC code');
  refused([{ name: 'x', kind: 'procedure', codes: ['3606'] }], '"3606" is not an ICD-9-CM-3 code');
  refused([{ name: 'x', kind: 'measurement', code: '4548-4' }], 'variables[0] (x).value: is missing');
  refused([{ name: 'x', kind: 'measurement', code: '4548-4', value: 'median' }], '(x).value: "median" is not one of');
  refused(
    [{ name: 'x', kind: 'measurement', code: '4548-4', value: 'first', window: { start: 1, end: -1 } }],
    'variables[0] (x).window.end: -1 is before window.start 1',
  );
  refused(
    [{ name: 'x', kind: 'measurement', code: '4548-4', value: 'first', window: { start: 0.5 } }],
    'variables[0] (x).window.start: 0.5',
  );
  refused(
    [{ name: 'x', kind: 'measurement', code: '4548-4', value: 'first', window: { end: 40_000 } }],
    '(x).window.end: 40000 is above 36525',
  );
  refused([{ name: 'x', kind: 'measurement', code: '4548-4', value: 'first', decimals: 7 }], '(x).decimals: 7');
  refused(
    [{ name: 's', kind: 'observation', code: '72166-2', value: 'indicator' }],
    'variables[0] (s).text: is missing',
  );
  refused(
    [{ name: 's', kind: 'observation', code: '72107-6', value: 'mean', text: ['x'] }],
    'variables[0] (s).text: cannot be given with value "mean"',
  );
  refused(
    [{ name: 'os', kind: 'survival', event: { kind: 'death' }, censor: 'end_date' }],
    'variables[0] (os).endDate: is missing',
  );
  refused(
    [{ name: 'os', kind: 'survival', event: { kind: 'visit' }, censor: 'last_visit' }],
    'variables[0] (os).event.kind: "visit" is not one of',
  );
  refused(
    Array.from({ length: 5 }, (_, i) => ({
      name: `c${i}`,
      kind: 'condition',
      codes: Array.from({ length: 450 }, (__, k) => `E11.${k}`),
    })),
    'variables: list 2250 codes together; at most 2000',
  );
});

test('units: the standard unit is no change; another unit of the analyte inverts units.ts; others are refused', () => {
  assert.equal(unitChange({ name: 'a', code: '4548-4', unit: '%' }), null);
  assert.equal(unitChange({ name: 'a', code: '14749-6', unit: 'mmol/l' }), null, 'spellings are normalized');
  assert.equal(unitChange({ name: 'a', code: '4548-4' }), null);
  const ifcc = unitChange({ name: 'a', code: '4548-4', unit: 'mmol/mol' });
  assert.ok(ifcc);
  assert.equal(ifcc.from, '%');
  assert.equal(ifcc.to, 'mmol/mol');
  assert.ok(Math.abs(ifcc.factor - 1 / 10.929) < 1e-15 && Math.abs(ifcc.offset - 2.15) < 1e-12);
  const codes = (e: unknown) => (isMeridianError(e, 'MER_DATASET_UNIT_UNCONVERTIBLE') ? e.message : '');
  assert.throws(
    () => unitChange({ name: 'bmi', code: '39156-5', unit: 'kg/m2' }, 3),
    (e) => codes(e).includes('variables[3] (bmi).unit: "kg/m2" cannot be converted: code 39156-5 has no standard unit'),
  );
  assert.throws(
    () => unitChange({ name: 'g', code: '14749-6', unit: 'furlong' }),
    (e) => codes(e).includes('"furlong" is not a known unit; code 14749-6 (glucose) is stored in mmol/L'),
  );
  assert.throws(
    () => unitChange({ name: 'g', code: '14749-6', unit: 'g/L' }),
    (e) => codes(e).includes('"g/L" cannot be converted from mmol/L'),
  );
  assert.throws(
    () => parseVariables([{ name: 'a1c', kind: 'measurement', code: '4548-4', value: 'first', unit: 'mg/dL' }]),
    (e) => codes(e).includes('variables[0] (a1c).unit'),
  );
});

test('property: a stored value changed to another unit converts back to itself through units.ts', () => {
  const cases = [
    { code: '4548-4', unit: 'mmol/mol' },
    { code: '14749-6', unit: 'mg/dL' },
    { code: '14682-9', unit: 'mg/dL' },
    { code: '14647-2', unit: 'mg/dL' },
    { code: '718-7', unit: 'g/dL' },
    { code: '8480-6', unit: 'kPa' },
  ];
  fc.assert(
    fc.property(
      fc.constantFrom(...cases),
      fc.double({ min: 0.01, max: 5000, noNaN: true }),
      ({ code, unit }, stored) => {
        const change = unitChange({ name: 'v', code, unit });
        assert.ok(change);
        const asked = (stored - change.offset) / change.factor;
        const analyte = analyteOfCode(code);
        assert.ok(analyte);
        const back = toStandardUnit(analyte, asked, unit);
        assert.ok(back.ok);
        assert.ok(Math.abs(back.value - stored) <= 1e-9 * Math.max(1, stored), `${code} ${unit} ${stored}`);
      },
    ),
    { numRuns: 300 },
  );
});
