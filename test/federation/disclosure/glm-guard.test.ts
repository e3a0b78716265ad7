/** DataSHIELD's GLM guards: parameters against a share of N, rare categories of binary variables. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMeridianError } from '../../../src/errors/registry.ts';
import { checkGlmDisclosure } from '../../../src/federation/disclosure/glm-guard.ts';

const column = (ones: number, rows: number) => Float64Array.from({ length: rows }, (_, i) => (i < ones ? 1 : 0));

test('a model within 0.33 × N with common categories passes', () => {
  const rows = 100;
  checkGlmDisclosure({
    rows,
    parameters: 33,
    variables: [
      { name: 'smoker', values: column(5, rows) },
      { name: 'age', values: Float64Array.from({ length: rows }, (_, i) => 20 + i) },
      { name: 'died', values: column(95, rows) },
    ],
  });
});

test('too many parameters for the rows is refused with both numbers', () => {
  assert.throws(
    () => checkGlmDisclosure({ rows: 100, parameters: 34, variables: [] }),
    (e) => isMeridianError(e, 'MER_DISCLOSURE_GLM_REFUSED') && /34 parameters for 100 rows/.test(e.message),
  );
  checkGlmDisclosure({ rows: 100, parameters: 50, variables: [] }, { parameterShareMax: 0.5 });
});

test('a binary variable with a rare category is refused naming the variable, category and count', () => {
  assert.throws(
    () => checkGlmDisclosure({ rows: 100, parameters: 2, variables: [{ name: 'hiv', values: column(4, 100) }] }),
    (e) =>
      isMeridianError(e, 'MER_DISCLOSURE_GLM_REFUSED') &&
      /binary variable hiv has 4 rows with value 1; each category needs at least 5/.test(e.message),
  );
  assert.throws(
    () => checkGlmDisclosure({ rows: 100, parameters: 2, variables: [{ name: 'alive', values: column(98, 100) }] }),
    (e) => isMeridianError(e) && /alive has 2 rows with value 0/.test(e.message),
  );
  assert.throws(
    () => checkGlmDisclosure({ rows: 100, parameters: 2, variables: [{ name: 'constant', values: column(100, 100) }] }),
    (e) => isMeridianError(e) && /constant has 0 rows with value 0/.test(e.message),
  );
  checkGlmDisclosure(
    { rows: 100, parameters: 2, variables: [{ name: 'hiv', values: column(3, 100) }] },
    { minCell: 3 },
  );
});

test('bad guard input names the field', () => {
  assert.throws(
    () => checkGlmDisclosure({ rows: 10, parameters: 1, variables: [{ name: 'x', values: [1, 0] }] }),
    (e) => isMeridianError(e, 'MER_DISCLOSURE_INVALID_INPUT') && /variables\.x\.length/.test(e.message),
  );
  assert.throws(
    () => checkGlmDisclosure({ rows: 10, parameters: 1, variables: [] }, { parameterShareMax: 0 }),
    (e) => isMeridianError(e, 'MER_DISCLOSURE_INVALID_OPTION') && /parameterShareMax/.test(e.message),
  );
});
