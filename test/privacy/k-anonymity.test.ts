/**
 * k-anonymity and l-diversity: class sizes and the smallest classes with their values, l for a sensitive
 * attribute, suppression to a target k (property: every class left is ≥ k and exactly the small classes'
 * rows are removed), and clear errors for a missing column or a bad k.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isMeridianError } from '../../src/errors/registry.ts';
import { checkKAnonymity, describeClass, suppressToK } from '../../src/privacy/index.ts';

const QI = ['age', 'sex'];

test('classes, k, the smallest classes with their values, and l for a sensitive attribute', () => {
  const rows = [
    ...Array.from({ length: 6 }, (_, i) => ({ age: '40-49', sex: 'F', dx: i % 2 ? 'E11' : 'I10' })),
    ...Array.from({ length: 3 }, () => ({ age: '50-59', sex: 'M', dx: 'J44' })),
    { age: '90+', sex: 'M', dx: 'C34' },
  ];
  const r = checkKAnonymity(rows, { quasiIdentifiers: QI, k: 5, sensitive: 'dx', show: 2 });
  assert.equal(r.records, 10);
  assert.equal(r.classes, 3);
  assert.equal(r.k, 1);
  assert.deepEqual(r.smallest, [
    { values: { age: '90+', sex: 'M' }, size: 1, distinctSensitive: 1 },
    { values: { age: '50-59', sex: 'M' }, size: 3, distinctSensitive: 1 },
  ]);
  assert.deepEqual(r.belowK, { classes: 2, records: 4 });
  assert.equal(r.l, 1);
  assert.equal(describeClass(r.smallest[0] as (typeof r.smallest)[0]), 'age=90+, sex=M (1 record)');
  assert.equal(checkKAnonymity([], { quasiIdentifiers: QI }).k, 0);
});

test('property: suppressToK leaves only classes of at least k and removes exactly the rows below it', () => {
  const row = fc.record({
    age: fc.constantFrom('20-39', '40-59', '60+', null),
    sex: fc.constantFrom('M', 'F'),
    dx: fc.constantFrom('E', 'I', 'J'),
  });
  fc.assert(
    fc.property(fc.array(row, { maxLength: 200 }), fc.integer({ min: 1, max: 8 }), (rows, k) => {
      const before = checkKAnonymity(rows, { quasiIdentifiers: QI, k });
      const s = suppressToK(rows, { quasiIdentifiers: QI, k });
      assert.equal(s.suppressed, before.belowK.records);
      assert.equal(s.rows.length + s.suppressed, rows.length);
      assert.ok(s.rows.length === 0 || s.report.k >= k);
      assert.equal(s.suppressedClasses.length, before.belowK.classes);
      assert.ok(
        s.rows.every((r) => rows.includes(r)),
        'rows are kept as they were',
      );
    }),
  );
});

test('a quasi-identifier that is not a column, or a bad k, is refused with a clear error', () => {
  assert.throws(
    () => checkKAnonymity([{ age: 1 }], { quasiIdentifiers: ['age', 'zip'] }),
    (e) => isMeridianError(e, 'MER_PRIVACY_SPEC_INVALID') && /zip/.test(e.message),
  );
  assert.throws(
    () => suppressToK([{ age: 1 }], { quasiIdentifiers: ['age'], k: 0 }),
    (e) => isMeridianError(e, 'MER_PRIVACY_INVALID_OPTION'),
  );
  assert.throws(
    () => checkKAnonymity([{ age: 1 }], { quasiIdentifiers: [] }),
    (e) => isMeridianError(e, 'MER_PRIVACY_INVALID_OPTION'),
  );
});

test('a million-row check groups every row into its class (speed is measured by benchmarks, not here)', () => {
  const rows = Array.from({ length: 1_000_000 }, (_, i) => ({
    age: `${(i % 9) * 10}`,
    sex: i % 2 ? 'M' : 'F',
    r: `${i % 7}`,
  }));
  const r = checkKAnonymity(rows, { quasiIdentifiers: ['age', 'sex', 'r'], k: 5 });
  assert.equal(r.classes, 126);
  assert.equal(r.records, 1_000_000);
  assert.equal(r.k, Math.floor(1_000_000 / 126));
  assert.deepEqual(r.belowK, { classes: 0, records: 0 });
});
