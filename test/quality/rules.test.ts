/**
 * The rule language: built-in templates are valid and versioned by content; malformed rules, unknown tables and
 * unknown fields are refused with a MeridianError that names the rule id, the field at fault and its value.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMeridianError } from '../../src/errors/registry.ts';
import {
  BUILTIN_RULES,
  parseRule,
  parseRuleSet,
  type QualityRuleInput,
  ruleSetVersion,
} from '../../src/quality/index.ts';

const GOOD: QualityRuleInput = {
  id: 'measurement.potassium.range',
  category: 'plausibility',
  subcategory: 'atemporal',
  table: 'measurement',
  severity: 'warning',
  threshold: 0.5,
  where: { measurement_code: ['2823-3'] },
  check: { kind: 'range', field: 'value', min: 1, max: 10 },
  description: { zh: '血钾在 1–10 mmol/L 之间', en: 'potassium is within 1–10 mmol/L' },
};

/** Asserts that parsing refuses the rule with a message containing every fragment. */
function refused(input: unknown, ...fragments: string[]): void {
  assert.throws(
    () => parseRule(input),
    (e: unknown) => {
      assert.ok(isMeridianError(e, 'MER_QUALITY_RULE_INVALID'), `MER_QUALITY_RULE_INVALID, got ${String(e)}`);
      for (const f of fragments) assert.ok(e.message.includes(f), `"${e.message}" mentions ${f}`);
      return true;
    },
  );
}

test('every built-in rule is valid, ids are unique, and every category and check kind is covered', () => {
  assert.ok(BUILTIN_RULES.length > 80, `${BUILTIN_RULES.length} built-in rules`);
  assert.equal(new Set(BUILTIN_RULES.map((r) => r.id)).size, BUILTIN_RULES.length);
  assert.deepEqual(
    new Set(BUILTIN_RULES.map((r) => r.category)),
    new Set(['completeness', 'conformance', 'plausibility']),
  );
  const kinds = new Set(BUILTIN_RULES.map((r) => r.check.kind));
  for (const k of [
    'not_null',
    'value_set',
    'pattern',
    'unit_per_code',
    'reference',
    'range',
    'age',
    'field_order',
    'ref_order',
    'duplicate',
    'near_duplicate',
  ]) {
    assert.ok(kinds.has(k as never), `a built-in ${k} rule`);
  }
  for (const r of BUILTIN_RULES) assert.deepEqual(parseRule(JSON.parse(JSON.stringify(r))), r, r.id);
});

test('a valid steward rule parses, with defaults applied', () => {
  const rule = parseRule(GOOD);
  assert.equal(rule.countBy, 'row');
  assert.deepEqual(rule.check, { kind: 'range', field: 'value', min: 1, max: 10 });
});

test('the rule-set version is a content hash: order and thresholds do not change it, a check does', () => {
  const rules = [...BUILTIN_RULES];
  const v = ruleSetVersion(rules);
  assert.match(v, /^[0-9a-f]{64}$/);
  assert.equal(ruleSetVersion([...rules].reverse()), v, 'order does not matter');
  const relaxed = rules.map((r) => ({ ...r, threshold: 50, severity: 'info' as const }));
  assert.equal(ruleSetVersion(relaxed), v, 'thresholds and severity are re-applied, not part of the version');
  const changed = rules.map((r) =>
    r.id === 'measurement.systolic.range' ? { ...r, check: { kind: 'range' as const, field: 'value', max: 250 } } : r,
  );
  assert.notEqual(ruleSetVersion(changed), v);
  assert.notEqual(ruleSetVersion([...rules, parseRule(GOOD)]), v);
});

test('malformed rules are refused naming the rule id, the field and the value', () => {
  refused({ ...GOOD, id: undefined }, '(no id)', 'id', 'missing');
  refused({ ...GOOD, id: 'Bad Id!' }, '"Bad Id!"', 'id:');
  refused({ ...GOOD, threshold: 150 }, 'measurement.potassium.range', 'threshold', '150');
  refused({ ...GOOD, severity: 'fatal' }, 'severity', '"fatal"');
  refused({ ...GOOD, description: { zh: '血钾' } }, 'description.en', 'missing');
  refused({ ...GOOD, check: { ...GOOD.check, kind: 'between' } }, 'check.kind', '"between"');
  refused({ ...GOOD, check: { kind: 'range', field: 'value' } }, 'check', 'min, max or both');
  refused(
    { ...GOOD, check: { kind: 'pattern', field: 'measurement_code', regex: '([' } },
    'check.regex',
    'regular expression',
  );
});

test('unknown keys, tables and fields are refused with their names', () => {
  refused({ ...GOOD, colour: 'red' }, 'measurement.potassium.range', 'colour');
  refused({ ...GOOD, check: { ...GOOD.check, unit: 'mmol/L' } }, 'check', 'unit');
  refused({ ...GOOD, table: 'labs' }, 'measurement.potassium.range', 'table', 'unknown table', '"labs"');
  refused(
    { ...GOOD, check: { ...GOOD.check, field: 'valu' } },
    'check.field',
    'unknown field of table measurement',
    '"valu"',
  );
  refused({ ...GOOD, where: { loinc: ['2823-3'] } }, 'where.loinc', 'unknown field', '"loinc"');
  refused(
    {
      ...GOOD,
      subcategory: 'relational',
      category: 'conformance',
      check: { kind: 'reference', field: 'person_id', refTable: 'patient', refField: 'person_id' },
    },
    'check.refTable',
    '"patient"',
  );
  refused(
    {
      ...GOOD,
      subcategory: 'relational',
      category: 'conformance',
      check: { kind: 'reference', field: 'person_id', refTable: 'person', refField: 'pid' },
    },
    'check.refField',
    'unknown field of table person',
    '"pid"',
  );
});

test('checks must fit the field types and the category', () => {
  refused(
    { ...GOOD, check: { kind: 'range', field: 'measurement_code', min: 1 } },
    'check.field',
    'is VARCHAR',
    'DOUBLE',
  );
  refused({ ...GOOD, check: { kind: 'range', field: 'value', min: '2020-01-01' } }, 'check.min', 'must be a number');
  refused({ ...GOOD, check: { kind: 'range', field: 'measured_at', min: 0 } }, 'check.min', 'YYYY-MM-DD');
  refused({ ...GOOD, check: { kind: 'range', field: 'value', min: 10, max: 1 } }, 'check.max', 'below min');
  refused(
    {
      ...GOOD,
      subcategory: 'format',
      category: 'conformance',
      check: { kind: 'pattern', field: 'value', regex: '[0-9]+' },
    },
    'check.field',
    'is DOUBLE',
  );
  refused({ ...GOOD, category: 'completeness' }, 'subcategory', 'belongs to category plausibility');
  refused({ ...GOOD, subcategory: 'temporal' }, 'subcategory', 'a range check is filed under atemporal or unit');
  refused(
    { ...GOOD, subcategory: 'temporal', check: { kind: 'field_order', field: 'value', notBefore: 'measured_at' } },
    'check.field',
    'is DOUBLE; this check needs DATE or TIMESTAMP',
  );
});

test('a rule set refuses duplicate ids', () => {
  assert.throws(() => parseRuleSet([GOOD, GOOD]), /measurement\.potassium\.range.*used twice/);
});
