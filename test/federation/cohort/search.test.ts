/**
 * Concept search and batch lookup: Chinese and English names, case and width insensitive, codes with or without
 * dots, vocabulary filters, bounded results and clear errors; every code the demo generator writes into DWD is
 * known (so the list stays in step with the catalogue); and the definition's unknown codes are found.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DIAGNOSES, DRUGS, LAB_CANONICAL, PROCEDURES } from '../../../src/demo/generator/index.ts';
import { VITAL_LOINC } from '../../../src/demo/mappings/codes.ts';
import { isMeridianError } from '../../../src/errors/registry.ts';
import {
  COHORT_CONCEPTS,
  COHORT_VOCABULARIES,
  type CohortVocabulary,
  LOOKUP_CODES_MAX,
  lookupCodes,
  parseCohort,
  SEARCH_LIMIT_DEFAULT,
  searchConcepts,
  unknownCohortCodes,
} from '../../../src/federation/cohort/index.ts';

const codesOf = (hits: { code: string }[]) => hits.map((h) => h.code);
const invalid = (text: string) => (e: unknown) => isMeridianError(e, 'MER_COHORT_SEARCH_INVALID') && e.message === text;

test('Chinese keywords find diagnoses, drug classes and labs; the broadest code and the closest name come first', () => {
  const hits = searchConcepts('糖尿病');
  assert.equal(hits[0]?.code, 'E11');
  assert.deepEqual(codesOf(hits).sort(), ['A10', 'E11', 'E11.200', 'E11.300', 'E11.400', 'E11.900', 'E11.900x001']);
  assert.deepEqual(codesOf(searchConcepts('糖尿病', { vocabularies: ['ATC'] })), ['A10']);
  assert.deepEqual(codesOf(searchConcepts('血糖')), ['14749-6', 'A10B']);
  assert.deepEqual(codesOf(searchConcepts('支架')), ['36.06', '36.07', '36.0601', '36.0700']);
});

test('English keywords, any case, and full-width letters find the same concepts', () => {
  assert.equal(searchConcepts('TYPE 2 Diabetes')[0]?.code, 'E11');
  const hba1c = searchConcepts('ＨｂＡ１ｃ');
  assert.deepEqual(
    hba1c.map((h) => [h.vocabulary, h.code, h.zh, h.unit, h.score]),
    [['LOINC', '4548-4', '糖化血红蛋白', '%', 90]],
  );
  assert.deepEqual(codesOf(searchConcepts('statin')), ['C10AA', 'C10AA05', 'C10AA07']);
  assert.deepEqual(codesOf(searchConcepts('metformin 二甲双胍')), ['A10BA02']);
  assert.deepEqual(
    searchConcepts('hemodialysis', { vocabularies: ['ICD-9-CM-3'] }).map((h) => h.code),
    ['39.95', '39.9500'],
  );
});

test('codes match exactly, by prefix, and without their dots', () => {
  assert.deepEqual(
    searchConcepts('e11.9').map((h) => [h.code, h.score]),
    [
      ['E11.900', 80],
      ['E11.900x001', 80],
    ],
  );
  assert.deepEqual(
    searchConcepts('E11900').map((h) => [h.code, h.score]),
    [
      ['E11.900', 100],
      ['E11.900x001', 80],
    ],
  );
  assert.equal(searchConcepts('3606')[0]?.code, '36.06');
  assert.equal(searchConcepts('a10ba02')[0]?.en, 'metformin');
});

test('results are bounded and bad queries are clear errors', () => {
  assert.equal(searchConcepts('a').length, SEARCH_LIMIT_DEFAULT);
  assert.equal(searchConcepts('a', { limit: 100 }).length > SEARCH_LIMIT_DEFAULT, true);
  assert.equal(searchConcepts('糖尿病', { limit: 2 }).length, 2);
  assert.deepEqual(searchConcepts('no such thing at all'), []);
  assert.throws(() => searchConcepts('  '), invalid('query "  " is empty'));
  assert.throws(
    () => searchConcepts('x'.repeat(101)),
    invalid('query "xxxxxxxxxxxxxxxxxxxx" is longer than 100 characters'),
  );
  assert.throws(() => searchConcepts('a', { limit: 0 }), invalid('limit 0 is not an integer from 1 to 100'));
  assert.throws(() => searchConcepts('a', { limit: 2.5 }), invalid('limit 2.5 is not an integer from 1 to 100'));
  assert.throws(
    () => searchConcepts('a', { vocabularies: ['SNOMED' as CohortVocabulary] }),
    invalid('vocabularies[0] "SNOMED" is not one of ICD-10, ICD-9-CM-3, LOINC, ATC'),
  );
});

test('property: results are at most the limit, best first, and each one holds every word of the query', () => {
  const words = fc.constantFrom('糖', '尿', 'e1', '36.', 'a10', 'in', 'ＨＢ', '  ', 'acid', 'x', '病', '-', '.');
  fc.assert(
    fc.property(fc.array(words, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 100 }), (parts, limit) => {
      const query = parts.join('');
      const q = query.normalize('NFKC').toLowerCase().trim();
      if (q === '') return;
      const hits = searchConcepts(query, { limit });
      assert.ok(hits.length <= limit);
      for (let i = 1; i < hits.length; i++) assert.ok((hits[i - 1]?.score ?? 0) >= (hits[i]?.score ?? 0));
      for (const h of hits) {
        const text = [h.code, h.code.replaceAll('.', ''), h.zh, h.en, ...(h.synonyms ?? [])]
          .join('\u0000')
          .normalize('NFKC')
          .toLowerCase();
        const tokens = q.replace(/\s+/g, ' ').split(' ');
        assert.ok(
          tokens.every((t) => text.includes(t) || text.includes(t.replaceAll('.', ''))),
          `${h.code} for ${query}`,
        );
      }
    }),
    { numRuns: 300 },
  );
});

test('every known concept is found first by its own code, and by each of its names', () => {
  for (const vocabulary of COHORT_VOCABULARIES) {
    for (const c of COHORT_CONCEPTS[vocabulary]) {
      const [first] = searchConcepts(c.code, { vocabularies: [vocabulary] });
      assert.equal(first?.code, c.code);
      assert.equal(first?.score, 100);
      for (const name of [c.zh, c.en]) {
        assert.ok(codesOf(searchConcepts(name, { limit: 100 })).includes(c.code), `${c.code} by ${name}`);
      }
    }
  }
});

test('batch lookup: known codes with names, unknown ones as given; case, width and spaces ignored; order kept', () => {
  const r = lookupCodes(['E11.900', 'i10.X00', 'Z99.999', ' a10ba02 ', 'E11.900', '４５４８-４', '']);
  assert.deepEqual(
    r.known.map((k) => [k.input, k.vocabulary, k.code, k.zh]),
    [
      ['E11.900', 'ICD-10', 'E11.900', '2型糖尿病'],
      ['i10.X00', 'ICD-10', 'I10.x00', '原发性高血压'],
      [' a10ba02 ', 'ATC', 'A10BA02', '二甲双胍'],
      ['４５４８-４', 'LOINC', '4548-4', '糖化血红蛋白'],
    ],
  );
  assert.deepEqual(r.unknown, ['Z99.999', '']);
  assert.deepEqual(lookupCodes(['E11.900', 'A10BA02'], { vocabularies: ['ATC'] }).unknown, ['E11.900']);
  assert.equal(lookupCodes(['14749-6']).known[0]?.unit, 'mmol/L');
  assert.throws(
    () => lookupCodes(Array.from({ length: LOOKUP_CODES_MAX + 1 }, () => 'E11')),
    invalid(`codes has ${LOOKUP_CODES_MAX + 1} codes; at most ${LOOKUP_CODES_MAX}`),
  );
  assert.throws(() => lookupCodes(['E11', 5 as unknown as string]), invalid('codes[1] 5 is not a string'));
});

test("every code the demo generator writes into DWD is known, with the generator's Chinese name", () => {
  const expectName = (code: string, zh: string) => {
    const { known, unknown } = lookupCodes([code]);
    assert.deepEqual(unknown, [], `${code} is unknown`);
    assert.equal(known[0]?.zh, zh, code);
  };
  for (const d of Object.values(DIAGNOSES)) {
    expectName(d.code, d.name);
    if ('yibao' in d) assert.deepEqual(lookupCodes([d.yibao.code]).unknown, []);
  }
  for (const p of Object.values(PROCEDURES)) expectName(p.code, p.name);
  for (const d of DRUGS) expectName(d.atc, d.generic);
  for (const lab of Object.values(LAB_CANONICAL)) assert.deepEqual(lookupCodes([lab.loinc]).unknown, [], lab.loinc);
  for (const loinc of Object.values(VITAL_LOINC)) assert.deepEqual(lookupCodes([loinc]).unknown, [], loinc);
});

test("a definition's unknown codes are listed with their paths; a parent code is known when a known code lies under it", () => {
  const def = parseCohort({
    index: { event: { kind: 'diagnosis', codes: ['E11'], descendants: true } },
    criteria: [
      { kind: 'diagnosis', codes: ['E11.9', 'E11.901'], descendants: false },
      { kind: 'diagnosis', codes: ['E11.9'], descendants: true },
      { kind: 'drug', codes: ['A10BA02', 'A10BX'], descendants: true },
      { kind: 'not', criterion: { kind: 'lab', code: '99999-9' } },
      { kind: 'procedure', codes: ['36.0601'] },
    ],
  });
  assert.deepEqual(
    unknownCohortCodes(def).map((c) => `${c.vocabulary} ${c.code} ${c.path}`),
    [
      'ICD-10 E11.9 criteria[0].codes[0]',
      'ICD-10 E11.901 criteria[0].codes[1]',
      'ATC A10BX criteria[2].codes[1]',
      'LOINC 99999-9 criteria[3].criterion.code',
    ],
  );
});
