/**
 * designMatrix: complete-case filtering with counts by reason, intercept, centring and scaling, categorical indicator
 * columns against a reference level, survival outcome pairs, and bad input named by field; a property test checks
 * that every row is either in the design (with the exact transformed values) or counted once as dropped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isMeridianError } from '../../../src/errors/registry.ts';
import { designMatrix, INTERCEPT } from '../../../src/federation/dataset/index.ts';

const ROWS = [
  { person_id: 'p1', y: 1, age: 64, sex: 'M', bmi: 24.5 },
  { person_id: 'p2', y: 0, age: 70, sex: 'F', bmi: null },
  { person_id: 'p3', y: null, age: null, sex: 'F', bmi: 30 },
  { person_id: 'p4', y: 0, age: 50, sex: 'U', bmi: 22 },
  { person_id: 'p5', y: 1, age: 60, sex: 'F', bmi: 28 },
];

test('complete cases only, with the intercept and the covariates in order; drops counted by reason and column', () => {
  const d = designMatrix(ROWS, { outcome: 'y', covariates: ['age', 'bmi'] });
  assert.deepEqual(d.names, [INTERCEPT, 'age', 'bmi']);
  assert.deepEqual(d.X, [
    [1, 64, 24.5],
    [1, 50, 22],
    [1, 60, 28],
  ]);
  assert.deepEqual(d.y, [1, 0, 1]);
  assert.equal(d.event, undefined);
  assert.deepEqual(d.dropped, { missing: 2, unknownLevel: 0, byColumn: { y: 1, age: 1, bmi: 1 } });
});

test('centring and scaling, no intercept, and a categorical covariate against its reference level', () => {
  const d = designMatrix(ROWS, {
    outcome: 'y',
    covariates: [{ column: 'age', center: 60, scale: 10 }, 'sex'],
    intercept: false,
    categorical: { sex: { levels: ['F', 'M'], reference: 'F' } },
  });
  assert.deepEqual(d.names, ['age', 'sex=M']);
  assert.deepEqual(d.X, [
    [0.4, 1],
    [1, 0],
    [0, 0],
  ]);
  assert.deepEqual(d.y, [1, 0, 1]);
  assert.deepEqual(d.dropped, { missing: 1, unknownLevel: 1, byColumn: { y: 1, age: 1, sex: 0 } }, 'U is no level');
});

test('a survival outcome pairs the time with a 0/1 event column', () => {
  const rows = [
    { t: 10, e: 1, x: 1 },
    { t: 20, e: 0, x: 0 },
    { t: null, e: null, x: 1 },
  ];
  const d = designMatrix(rows, { outcome: 't', event: 'e', covariates: ['x'], intercept: false });
  assert.deepEqual(d.X, [[1], [0]]);
  assert.deepEqual(d.y, [10, 20]);
  assert.deepEqual(d.event, [1, 0]);
  assert.deepEqual(d.dropped, { missing: 1, unknownLevel: 0, byColumn: { t: 1, e: 1, x: 0 } });
  assert.throws(
    () => designMatrix([{ t: 1, e: 2, x: 0 }], { outcome: 't', event: 'e', covariates: ['x'] }),
    (e) => isMeridianError(e, 'MER_DATASET_DESIGN_INVALID') && e.message.includes('rows[0].e is 2'),
  );
});

test('integers as bigint and booleans are numbers; no row gives an empty design', () => {
  const d = designMatrix([{ y: true, n: 3n }], { outcome: 'y', covariates: ['n'] });
  assert.deepEqual(d.X, [[1, 3]]);
  assert.deepEqual(d.y, [1]);
  const none = designMatrix([], { outcome: 'y', covariates: ['n'] });
  assert.deepEqual(none, {
    X: [],
    y: [],
    names: [INTERCEPT, 'n'],
    dropped: { missing: 0, unknownLevel: 0, byColumn: { y: 0, n: 0 } },
  });
});

test('bad input is refused naming the field, never showing a value of the rows', () => {
  const bad = (rows: unknown, spec: unknown, fragment: string) =>
    assert.throws(
      () => designMatrix(rows as never, spec as never),
      (e) => isMeridianError(e, 'MER_DATASET_DESIGN_INVALID') && e.message.includes(fragment),
      fragment,
    );
  bad(ROWS, { outcome: 'y', covariates: ['weight'] }, 'rows[0].weight is not a column of the rows');
  bad([{ y: 1, x: 'abc' }], { outcome: 'y', covariates: ['x'] }, 'rows[0].x is a string, not a finite number');
  bad([{ y: 1, x: Number.NaN }], { outcome: 'y', covariates: ['x'] }, 'rows[0].x is NaN');
  bad(
    [{ y: 1, x: 2 }],
    { outcome: 'y', covariates: ['x'], categorical: { x: { levels: ['a', 'b'], reference: 'a' } } },
    'rows[0].x is a number, not a level string',
  );
  bad(ROWS, { outcome: 'y', covariates: ['age', 'age'] }, 'spec.covariates[1] names age');
  bad(ROWS, { outcome: 'y', covariates: ['y'] }, 'spec.covariates[0] names y');
  bad(ROWS, { outcome: 'y', covariates: [{ column: 'age', scale: 0 }] }, 'spec.covariates[0].scale is 0');
  bad(
    ROWS,
    { outcome: 'y', covariates: ['age'], categorical: { sex: { levels: ['F', 'M'], reference: 'F' } } },
    'spec.categorical.sex is not one of the covariates',
  );
  bad(
    ROWS,
    { outcome: 'y', covariates: ['sex'], categorical: { sex: { levels: ['F', 'M'], reference: 'U' } } },
    'spec.categorical.sex.reference is "U"',
  );
  bad(
    ROWS,
    { outcome: 'y', covariates: ['sex'], categorical: { sex: { levels: ['F', 'F'], reference: 'F' } } },
    'levels[1] repeats',
  );
  bad(ROWS, { outcome: 'y', covariates: [], intercept: false }, 'spec.covariates give no column');
  bad(ROWS, { outcome: '', covariates: ['age'] }, 'spec.outcome is not a column name');
  bad('rows', { outcome: 'y', covariates: [] }, 'rows is not a list');
});

test('property: every row is in the design with its transformed values, or counted once as dropped', () => {
  const value = fc.option(fc.integer({ min: -50, max: 50 }), { nil: null, freq: 4 });
  const row = fc.record({
    y: fc.option(fc.constantFrom(0, 1), { nil: null, freq: 6 }),
    a: value,
    b: value,
    g: fc.option(fc.constantFrom('x', 'y', 'z', 'w'), { nil: null, freq: 6 }),
  });
  fc.assert(
    fc.property(
      fc.array(row, { maxLength: 60 }),
      fc.integer({ min: -5, max: 5 }),
      fc.integer({ min: 1, max: 4 }),
      (rows, center, scale) => {
        const d = designMatrix(rows, {
          outcome: 'y',
          covariates: ['a', { column: 'b', center, scale }, 'g'],
          categorical: { g: { levels: ['x', 'y', 'z'], reference: 'y' } },
        });
        const complete = rows.filter((r) => r.y !== null && r.a !== null && r.b !== null && r.g !== null);
        const kept = complete.filter((r) => r.g !== 'w');
        assert.equal(d.dropped.missing, rows.length - complete.length);
        assert.equal(d.dropped.unknownLevel, complete.length - kept.length);
        assert.equal(d.X.length + d.dropped.missing + d.dropped.unknownLevel, rows.length);
        for (const c of ['y', 'a', 'b', 'g'] as const) {
          assert.equal(d.dropped.byColumn[c], rows.filter((r) => r[c] === null).length, c);
        }
        assert.deepEqual(d.names, [INTERCEPT, 'a', 'b', 'g=x', 'g=z']);
        assert.deepEqual(
          d.X,
          kept.map((r) => [1, r.a, ((r.b as number) - center) / scale, r.g === 'x' ? 1 : 0, r.g === 'z' ? 1 : 0]),
        );
        assert.deepEqual(
          d.y,
          kept.map((r) => r.y),
        );
      },
    ),
    { numRuns: 300 },
  );
});
