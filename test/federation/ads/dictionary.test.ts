/**
 * Code dictionaries: codes to runs of ids. Properties over random sorted dictionaries and random queries: the runs
 * cover exactly the ids whose codes match (equal, or under a prefix with descendants), are ascending, disjoint and
 * maximal; and the ADS source turns them into the predicates the compiler needs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { adsCohortSource, type CodeDictionary, idRanges } from '../../../src/federation/ads/index.ts';

const ICD10 = ['C34.900', 'E10.900', 'E11', 'E11.200', 'E11.900', 'E11.900x001', 'E110', 'I10.x00', 'I10.x00x002'];

test('a prefix with descendants is one run of ids; exact codes are single ids; unknown codes match nothing', () => {
  const dictionary: CodeDictionary = { condition_code: ICD10 };
  assert.deepEqual(idRanges(dictionary, 'condition_code', ['E11'], true), [{ from: 2, to: 6 }]);
  assert.deepEqual(idRanges(dictionary, 'condition_code', ['E11.'], true), [{ from: 3, to: 5 }]);
  assert.deepEqual(idRanges(dictionary, 'condition_code', ['E11.900', 'C34.900'], false), [
    { from: 0, to: 0 },
    { from: 4, to: 4 },
  ]);
  assert.deepEqual(idRanges(dictionary, 'condition_code', ['E11.900', 'E11.200'], false), [{ from: 3, to: 4 }]);
  assert.deepEqual(idRanges(dictionary, 'condition_code', ['E12'], true), []);
  assert.deepEqual(idRanges(dictionary, 'atc_code', ['A10'], true), [], 'a column the generation has no codes of');
});

const code = fc.stringMatching(/^[A-C][0-9]{0,3}(\.[0-9x]{0,3})?$/);

test('property: the runs are exactly the matching ids, ascending, disjoint and maximal', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(code, { maxLength: 40 }),
      fc.array(code, { minLength: 1, maxLength: 4 }),
      fc.boolean(),
      (codes, query, descendants) => {
        const sorted = [...codes].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        const ranges = idRanges({ procedure_code: sorted }, 'procedure_code', query, descendants);
        const covered = ranges.flatMap((r) => Array.from({ length: r.to - r.from + 1 }, (_, i) => r.from + i));
        const expected = sorted.flatMap((c, id) =>
          query.some((q) => (descendants ? c.startsWith(q) : c === q)) ? [id] : [],
        );
        assert.deepEqual(covered, expected);
        for (let i = 1; i < ranges.length; i++) {
          assert.ok((ranges[i]?.from as number) > (ranges[i - 1]?.to as number) + 1, 'runs are separate');
        }
        // In byte order the codes under one prefix are contiguous: one run per prefix at most.
        if (descendants) assert.ok(ranges.length <= new Set(query).size);
      },
    ),
    { numRuns: 500 },
  );
});

test('the ADS source compiles runs to integer comparisons, and a code it never saw to false', () => {
  const source = adsCohortSource({ generation: 7, dictionary: { condition_code: ICD10 }, personUnique: true });
  const values: unknown[] = [];
  const params = { add: (v: unknown) => `$${values.push(v)}` };
  assert.equal(
    source.codeMatch('condition_code', ['E11', 'C34'], true, params),
    '(e.condition_code = $1::integer or e.condition_code between $2::integer and $3::integer)',
  );
  assert.deepEqual(values, [0, 2, 6]);
  assert.equal(source.codeMatch('condition_code', ['J18'], true, params), 'false');
  assert.equal(source.relation('measurement'), 'g7.measurement');
  assert.equal(source.eventDate('lab'), 'e.measured_on');
});
