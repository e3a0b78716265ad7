/**
 * Cohort definition validation: good trees come back unchanged; bad ones fail with MER_COHORT_INVALID (or
 * MER_COHORT_UNIT_UNCONVERTIBLE) naming the exact path in the tree and the value at fault; limits hold; lab ranges
 * in another unit convert to the standard one; and no input, however malformed, escapes as anything but a
 * MeridianError.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isMeridianError } from '../../../src/errors/registry.ts';
import {
  COHORT_CODES_MAX,
  COHORT_DEPTH_MAX,
  COHORT_NODES_MAX,
  CRITERION_CODES_MAX,
  cohortCodes,
  parseCohort,
  standardLabRange,
} from '../../../src/federation/cohort/index.ts';
import { single, trees } from './arbitraries.ts';

/** The first example of the brief: type 2 diabetes incidence with a high HbA1c in the year before. */
const T2DM = {
  version: 1,
  name: 'T2DM with HbA1c > 7 in the year before',
  index: { event: { kind: 'diagnosis', codes: ['E11'], descendants: true } },
  calendar: { from: '2020-01-01', to: '2023-12-31' },
  criteria: [
    { kind: 'lab', code: '4548-4', range: { min: 7, minExclusive: true }, window: { start: -365, end: 0 } },
    { kind: 'age', at: 'index', range: { min: 18, max: 90 } },
    {
      kind: 'or',
      criteria: [
        { kind: 'sex', values: ['F'] },
        { kind: 'not', criterion: { kind: 'drug', codes: ['A10A'], descendants: true, occurrence: 'any' } },
      ],
    },
    { kind: 'visit', types: ['inpatient'], atLeast: 2 },
    { kind: 'procedure', codes: ['36.06'], descendants: true, occurrence: 'first', window: { start: 0, end: 30 } },
    { kind: 'observation', code: '72166-2', text: ['449868002'] },
    { kind: 'observation', code: '72107-6', range: { max: 24 } },
    { kind: 'death', causes: ['I63'], descendants: true, window: { start: 0, end: 3650 } },
    { kind: 'lab', code: '14749-6', range: { min: 126, unit: 'mg/dL' } },
  ],
};

/** Runs parseCohort and returns the error's code and message (or fails when it parses). */
function failure(input: unknown): { code: string; message: string; paths: string[] } {
  try {
    parseCohort(input);
  } catch (e) {
    assert.ok(isMeridianError(e), `not a MeridianError: ${String(e)}`);
    const problems = (e.details?.problems ?? []) as { path: string }[];
    return { code: e.code, message: e.message, paths: problems.map((p) => p.path) };
  }
  assert.fail('the definition was accepted');
}

const leaf = (extra: Record<string, unknown> = {}) => ({ kind: 'diagnosis', codes: ['E11'], ...extra });

test('a good definition with every kind of criterion parses and comes back unchanged', () => {
  assert.deepEqual(parseCohort(T2DM), T2DM);
  assert.deepEqual(parseCohort(JSON.stringify(T2DM)), T2DM);
  assert.deepEqual(parseCohort({ criteria: [] }), { criteria: [] });
});

test('bad values name the path in the tree and the value', () => {
  const cases: [unknown, string][] = [
    [
      { criteria: [{ kind: 'sex', values: ['M'] }, leaf(), { kind: 'age', at: '2020-01-01', range: { min: -5 } }] },
      'criteria[2].range.min: -5 is below 0',
    ],
    [{ criteria: [{ kind: 'age', at: '2020-01-01', range: { max: 151 } }] }, 'criteria[0].range.max: 151 is above 150'],
    [
      { criteria: [{ kind: 'age', at: '2020-01-01', range: { min: 1.5 } }] },
      'criteria[0].range.min: 1.5 is not an integer',
    ],
    [
      { criteria: [{ kind: 'age', at: '2023-02-29', range: { min: 1 } }] },
      'criteria[0].at: "2023-02-29" is not a calendar date YYYY-MM-DD',
    ],
    [
      { criteria: [{ kind: 'or', criteria: [leaf(), { kind: 'diagnosis', codes: ['E11', 'e11.9'] }] }] },
      'criteria[0].criteria[1].codes[1]: "e11.9" is not an ICD-10 code (e.g. E11, E11.900 or E11.900x001)',
    ],
    [
      { criteria: [{ kind: 'drug', codes: ['A1'] }] },
      'criteria[0].codes[0]: "A1" is not an ATC code (e.g. A10, A10BA or A10BA02)',
    ],
    [
      { criteria: [{ kind: 'procedure', codes: ['3606'] }] },
      'criteria[0].codes[0]: "3606" is not an ICD-9-CM-3 code (e.g. 36, 36.06 or 36.0601)',
    ],
    [{ criteria: [{ kind: 'diagnosis', codes: [] }] }, 'criteria[0].codes: has 0 item(s); at least 1 needed'],
    [{ criteria: [{ kind: 'sex', values: ['X'] }] }, 'criteria[0].values[0]: "X" is not one of "M", "F", "U"'],
    [
      { criteria: [{ kind: 'visit', types: ['ward'] }] },
      'criteria[0].types[0]: "ward" is not one of "outpatient", "emergency", "inpatient"',
    ],
    [{ criteria: [leaf({ occurrence: 'last' })] }, 'criteria[0].occurrence: "last" is not one of "any", "first"'],
    [{ criteria: [leaf({ atLeast: 0 })] }, 'criteria[0].atLeast: 0 is below 1'],
    [{ criteria: [leaf({ codez: ['E11'] })] }, 'criteria[0].codez: is not a field here'],
    [
      { criteria: [{ kind: 'cohort' }] },
      'criteria[0].kind: "cohort" is not one of "and", "or", "not", "age", "sex", "diagnosis", "lab", "drug", "procedure", "visit", "observation", "death"',
    ],
    [{ criteria: [{ kind: 'not' }] }, 'criteria[0].criterion: is missing'],
    [
      { criteria: [{ kind: 'lab', code: '4548-4', range: { min: '7' } }] },
      'criteria[0].range.min: "7" is not a number',
    ],
    [
      { criteria: [{ kind: 'lab', code: "4548-4' or 1=1" }] },
      `criteria[0].code: "4548-4' or 1=1" is not a LOINC or consortium code (letters, digits, . _ -)`,
    ],
    [
      { index: { event: { kind: 'visit', types: ['inpatient'], window: { start: 0, end: 1 } } }, criteria: [] },
      'index.event.window: is not a field here',
    ],
    [{}, 'criteria: is missing'],
    [5, '(definition): 5 is not an object'],
    ['{"criteria": [', '(definition): is not valid JSON: '],
  ];
  for (const [input, expected] of cases) {
    const f = failure(input);
    assert.equal(f.code, 'MER_COHORT_INVALID');
    assert.ok(f.message.startsWith(`Invalid cohort definition: ${expected}`), `${f.message}\n  expected ${expected}`);
  }
});

test('rules across fields: windows and age at index need an index event; ranges and windows must be ordered', () => {
  const f = failure({
    calendar: { from: '2021-01-01', to: '2020-12-31' },
    criteria: [
      leaf({ window: { start: 10, end: -10 } }),
      { kind: 'age', at: 'index', range: { min: 60, max: 40 } },
      leaf({ occurrence: 'first', atLeast: 2 }),
      { kind: 'lab', code: '4548-4', range: {} },
      { kind: 'observation', code: '72107-6', text: ['a'], range: { min: 1 } },
    ],
  });
  assert.equal(f.code, 'MER_COHORT_INVALID');
  assert.equal(
    f.message,
    'Invalid cohort definition: calendar.to: "2020-12-31" is before calendar.from 2021-01-01; ' +
      'criteria[0].window: needs an index event (index) to be relative to; ' +
      'criteria[0].window.end: -10 is before window.start 10; ' +
      'criteria[1].at: "index" needs an index event (index) to be measured at; ' +
      'criteria[1].range.max: 40 is below min 60; ' +
      'criteria[2].atLeast: 2 cannot exceed 1 when occurrence is "first" (a person has one first event); ' +
      'criteria[3].range: needs min, max or both; ' +
      'criteria[4].range: cannot be given together with text; use an or group',
  );
  assert.deepEqual(f.paths, [
    'calendar.to',
    'criteria[0].window',
    'criteria[0].window.end',
    'criteria[1].at',
    'criteria[1].range.max',
    'criteria[2].atLeast',
    'criteria[3].range',
    'criteria[4].range',
  ]);
});

test('limits: group depth, number of nodes, codes per criterion and per definition, raw JSON nesting', () => {
  let deep: unknown = leaf();
  for (let i = 0; i < COHORT_DEPTH_MAX; i++) deep = { kind: 'not', criterion: deep };
  assert.ok(parseCohort({ criteria: [deep] }));
  const tooDeep = failure({ criteria: [{ kind: 'not', criterion: deep }] });
  assert.equal(
    tooDeep.message,
    `Invalid cohort definition: criteria[0]${'.criterion'.repeat(COHORT_DEPTH_MAX)}: groups nest deeper than ${COHORT_DEPTH_MAX} levels`,
  );

  const wide = (n: number) => ({ kind: 'and', criteria: Array.from({ length: n }, () => leaf()) });
  const nodes = Array.from({ length: 2 }, () => wide(31));
  assert.ok(parseCohort({ criteria: nodes })); // 2 groups + 62 criteria = 64 nodes
  assert.equal(
    failure({ criteria: [...nodes, leaf()] }).message,
    `Invalid cohort definition: criteria: the tree has more than ${COHORT_NODES_MAX} nodes`,
  );
  assert.equal(
    failure({ criteria: [wide(33)] }).message,
    'Invalid cohort definition: criteria[0].criteria: has 33 items; at most 32 allowed',
  );

  const many = (n: number) => Array.from({ length: n }, (_, i) => `E${String(10 + (i % 90)).padStart(2, '0')}.${i}`);
  assert.equal(
    failure({ criteria: [{ kind: 'diagnosis', codes: many(CRITERION_CODES_MAX + 1) }] }).message,
    `Invalid cohort definition: criteria[0].codes: has ${CRITERION_CODES_MAX + 1} items; at most ${CRITERION_CODES_MAX} allowed`,
  );
  const five = Array.from({ length: 5 }, () => ({ kind: 'diagnosis', codes: many(CRITERION_CODES_MAX) }));
  assert.equal(
    failure({ criteria: five }).message,
    `Invalid cohort definition: criteria: the definition lists ${5 * CRITERION_CODES_MAX} codes; at most ${COHORT_CODES_MAX}`,
  );

  let nested: unknown = [];
  for (let i = 0; i < 100_000; i++) nested = [nested];
  assert.equal(
    failure({ criteria: nested }).message,
    'Invalid cohort definition: (definition): nests deeper than 40 levels',
  );
  assert.equal(
    failure({ criteria: Array.from({ length: 30_000 }, () => 1) }).message,
    'Invalid cohort definition: (definition): holds more than 20000 values',
  );
});

test('a lab range in another unit is converted to the standard unit; one that cannot be is a clear error', () => {
  assert.deepEqual(standardLabRange('14749-6', { min: 126, unit: 'mg/dL' }), { min: 7 });
  assert.deepEqual(standardLabRange('14749-6', { min: 7, max: 11.1, unit: 'mmol/l' }), { min: 7, max: 11.1 });
  assert.deepEqual(standardLabRange('4548-4', { min: 53, maxExclusive: true, max: 64, unit: 'mmol/mol' }), {
    min: 53 / 10.929 + 2.15,
    max: 64 / 10.929 + 2.15,
    maxExclusive: true,
  });
  assert.deepEqual(standardLabRange('14682-9', { max: 1.5, unit: 'mg/dL' }), { max: 1.5 * 88.4 });
  assert.deepEqual(standardLabRange('29463-7', { min: 80 }), { min: 80 });

  const f = failure({
    index: { event: { kind: 'lab', code: '14749-6', range: { min: 200, unit: 'g/L' } } },
    criteria: [
      { kind: 'lab', code: '14749-6', range: { min: 7, unit: 'mg/kg' } },
      { kind: 'lab', code: '29463-7', range: { min: 80, unit: 'kg' } },
    ],
  });
  assert.equal(f.code, 'MER_COHORT_UNIT_UNCONVERTIBLE');
  assert.equal(
    f.message,
    'Invalid cohort definition: index.event.range.unit: "g/L" cannot be converted to mmol/L, the unit lab 14749-6 (glucose) is stored in; ' +
      'criteria[0].range.unit: "mg/kg" is not a known unit; lab 14749-6 (glucose) is stored in mmol/L; ' +
      'criteria[1].range.unit: "kg" cannot be converted: lab 29463-7 has no standard unit in Meridian\'s unit table; give the range in the unit the lab is stored in and leave out unit',
  );
  assert.throws(
    () => standardLabRange('14749-6', { min: 1, unit: 'U/L' }, 'criteria[3].range'),
    (e) => isMeridianError(e, 'MER_COHORT_UNIT_UNCONVERTIBLE') && e.message.includes('criteria[3].range.unit: "U/L"'),
  );
});

test('cohortCodes lists every code with its vocabulary and path', () => {
  const codes = cohortCodes(parseCohort(T2DM));
  assert.deepEqual(
    codes.map((c) => `${c.vocabulary} ${c.code}${c.descendants ? '*' : ''} ${c.path}`),
    [
      'ICD-10 E11* index.event.codes[0]',
      'LOINC 4548-4 criteria[0].code',
      'ATC A10A* criteria[2].criteria[1].criterion.codes[0]',
      'ICD-9-CM-3 36.06* criteria[4].codes[0]',
      'LOINC 72166-2 criteria[5].code',
      'LOINC 72107-6 criteria[6].code',
      'ICD-10 I63* criteria[7].causes[0]',
      'LOINC 14749-6 criteria[8].code',
    ],
  );
});

test('property: any JSON value is either a definition or a MeridianError, never another exception', () => {
  fc.assert(
    fc.property(fc.oneof(fc.jsonValue(), fc.record({ criteria: fc.array(fc.jsonValue()) })), (value) => {
      try {
        parseCohort(value);
      } catch (e) {
        assert.ok(isMeridianError(e, 'MER_COHORT_INVALID') || isMeridianError(e, 'MER_COHORT_UNIT_UNCONVERTIBLE'));
        assert.ok(e.message.startsWith('Invalid cohort definition: '));
      }
    }),
    { numRuns: 500 },
  );
});

test('property: generated definitions survive a JSON round trip unchanged, and a mutated leaf is refused at its path', () => {
  fc.assert(
    fc.property(fc.oneof(single, trees), (def) => {
      const json = JSON.stringify(def);
      assert.deepEqual(parseCohort(json), JSON.parse(json));
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(single, fc.constantFrom('kind', 'occurrence', 'atLeast'), (def, field) => {
      const bad = structuredClone(def);
      (bad.criteria[0] as Record<string, unknown>)[field] = 'nonsense';
      const f = failure(bad);
      assert.equal(f.code, 'MER_COHORT_INVALID');
      assert.deepEqual(f.paths, [`criteria[0].${field}`]);
    }),
    { numRuns: 200 },
  );
});
