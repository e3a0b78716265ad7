/**
 * The quality rule language: one Zod schema for every rule (built-in templates and the rules a data steward
 * writes), checked against the canonical model (src/model/dwd.ts) so a rule can only name real tables and
 * fields with types its check can use. Checks follow the Kahn framework as OHDSI's Data Quality Dashboard
 * does: completeness, conformance (value, format, unit, relational) and plausibility (atemporal, temporal,
 * uniqueness). A rule set's version is the SHA-256 of its canonical checks, so two runs (or two hospitals)
 * with the same version ran the same SQL.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { MeridianError } from '../errors/registry.ts';
import { canonicalize } from '../ledger/index.ts';
import { DWD_TABLES, type DwdTable, type FieldDef, LINEAGE_FIELDS } from '../model/dwd.ts';
import type { LakeColumnType } from '../store/index.ts';

/** Most rules in one rule set (templates plus steward rules). */
export const RULES_MAX = 1_000;
/** Most values a value set, filter or unit list may hold. */
export const VALUES_MAX = 500;

/** Kahn categories. */
export const CATEGORIES = ['completeness', 'conformance', 'plausibility'] as const;
/** A Kahn category. */
export type Category = (typeof CATEGORIES)[number];

/** Subcategories, each belonging to exactly one category. */
export const SUBCATEGORY_CATEGORY = {
  required: 'completeness',
  value_set: 'conformance',
  format: 'conformance',
  unit: 'conformance',
  relational: 'conformance',
  atemporal: 'plausibility',
  temporal: 'plausibility',
  uniqueness: 'plausibility',
} as const satisfies Record<string, Category>;
/** A subcategory. */
export type Subcategory = keyof typeof SUBCATEGORY_CATEGORY;
const SUBCATEGORIES = Object.keys(SUBCATEGORY_CATEGORY) as [Subcategory, ...Subcategory[]];

/** Severities, most serious first. */
export const SEVERITIES = ['error', 'warning', 'info'] as const;
/** A severity. */
export type Severity = (typeof SEVERITIES)[number];

/** What a rule counts: rows, distinct persons, or distinct source records (a message, a CSV line). */
export const COUNT_UNITS = ['row', 'person', 'record'] as const;
/** A counting unit. */
export type CountUnit = (typeof COUNT_UNITS)[number];

const RULE_ID = /^[a-z][a-z0-9_]*(?:[.-][a-z0-9_]+){0,7}$/;
const FIELD = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'a field name is lowercase letters, digits and _');
const TABLE = z.string().max(63);
const SCALAR = z.union([z.string().max(200), z.number().finite()]);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const BOUND = z.union([z.number().finite(), z.string().regex(ISO_DATE, 'a date bound is YYYY-MM-DD')]);

const NotNull = z.strictObject({ kind: z.literal('not_null'), field: FIELD });
const ValueSet = z.strictObject({
  kind: z.literal('value_set'),
  field: FIELD,
  values: z.array(SCALAR).min(1).max(VALUES_MAX),
});
const Pattern = z.strictObject({
  kind: z.literal('pattern'),
  field: FIELD,
  regex: z
    .string()
    .min(1)
    .max(500)
    .refine((s) => isRegex(s), 'not a valid regular expression'),
});
const UnitPerCode = z.strictObject({
  kind: z.literal('unit_per_code'),
  codeField: FIELD,
  unitField: FIELD,
  units: z
    .record(z.string().min(1).max(100), z.array(z.string().min(1).max(50)).min(1).max(20))
    .refine((r) => Object.keys(r).length > 0 && Object.keys(r).length <= VALUES_MAX, 'one to 500 codes'),
});
const Reference = z.strictObject({ kind: z.literal('reference'), field: FIELD, refTable: TABLE, refField: FIELD });
const Range = z
  .strictObject({ kind: z.literal('range'), field: FIELD, min: BOUND.optional(), max: BOUND.optional() })
  .refine((r) => r.min !== undefined || r.max !== undefined, 'a range needs min, max or both');
const Age = z.strictObject({ kind: z.literal('age'), field: FIELD, maxYears: z.number().int().min(1).max(200) });
const FieldOrder = z.strictObject({ kind: z.literal('field_order'), field: FIELD, notBefore: FIELD });
const RefOrder = z.strictObject({
  kind: z.literal('ref_order'),
  field: FIELD,
  op: z.enum(['not_before', 'not_after']),
  refTable: TABLE,
  refField: FIELD,
  on: FIELD.default('person_id'),
});
const Duplicate = z.strictObject({
  kind: z.literal('duplicate'),
  fields: z.array(FIELD).min(1).max(100).optional(),
});
const NearDuplicate = z.strictObject({
  kind: z.literal('near_duplicate'),
  key: FIELD,
  same: z.array(FIELD).min(1).max(10),
  anyOf: z
    .array(z.strictObject({ field: FIELD }))
    .min(1)
    .max(10),
});

/** Every check a rule can make, by kind. */
export const CheckSchema = z.discriminatedUnion('kind', [
  NotNull,
  ValueSet,
  Pattern,
  UnitPerCode,
  Reference,
  Range,
  Age,
  FieldOrder,
  RefOrder,
  Duplicate,
  NearDuplicate,
]);
/** A check. */
export type Check = z.infer<typeof CheckSchema>;
/** A check kind. */
export type CheckKind = Check['kind'];

/** Which subcategories each check kind may be filed under (the compiler checks every kind is listed). */
export const CHECK_SUBCATEGORIES: Readonly<Record<CheckKind, readonly Subcategory[]>> = {
  not_null: ['required'],
  value_set: ['value_set', 'unit'],
  pattern: ['format'],
  unit_per_code: ['unit'],
  reference: ['relational'],
  range: ['atemporal', 'unit'],
  age: ['atemporal'],
  field_order: ['temporal'],
  ref_order: ['temporal'],
  duplicate: ['uniqueness'],
  near_duplicate: ['uniqueness'],
};

const TextSchema = z.strictObject({ zh: z.string().min(1).max(500), en: z.string().min(1).max(500) });

/** One quality rule, as stored and as a steward writes it. */
export const QualityRuleSchema = z.strictObject({
  id: z
    .string()
    .max(100)
    .regex(RULE_ID, 'a rule id is lowercase words joined by . or - (e.g. measurement.glucose.range)'),
  category: z.enum(CATEGORIES),
  subcategory: z.enum(SUBCATEGORIES),
  table: TABLE,
  severity: z.enum(SEVERITIES),
  /** Largest failing percentage (0–100) that still passes. */
  threshold: z.number().min(0).max(100),
  countBy: z.enum(COUNT_UNITS).default('row'),
  /** Only rows whose field has one of the listed values are checked (equality, compared as text). */
  where: z.record(FIELD, z.array(SCALAR).min(1).max(VALUES_MAX)).optional(),
  check: CheckSchema,
  description: TextSchema,
});
/** A validated rule. */
export type QualityRule = z.infer<typeof QualityRuleSchema>;
/** A rule as written (defaults not yet applied). */
export type QualityRuleInput = z.input<typeof QualityRuleSchema>;

/** One problem found in a rule: where, what, and the value at fault. */
export interface RuleProblem {
  path: string;
  message: string;
  value?: unknown;
}

/**
 * Validates one rule; throws MER_QUALITY_RULE_INVALID naming the rule id, every field at fault and its value.
 *
 * @example
 * const rule = parseRule({ id: 'person.gender.required', category: 'completeness', subcategory: 'required',
 *   table: 'person', severity: 'error', threshold: 0, check: { kind: 'not_null', field: 'gender' },
 *   description: { zh: '性别不能为空', en: 'gender is present' } });
 */
export function parseRule(input: unknown): QualityRule {
  const r = QualityRuleSchema.safeParse(input);
  const id = ruleIdOf(input);
  if (!r.success) {
    throw invalid(
      id,
      r.error.issues.map((i) => ({
        path: i.path.map(String).join('.') || '(rule)',
        message: i.message,
        value: valueAt(input, i.path),
      })),
    );
  }
  const problems = modelProblems(r.data);
  if (problems.length > 0) throw invalid(r.data.id, problems);
  return r.data;
}

/** Validates a whole rule set: each rule, unique ids, at most {@link RULES_MAX} rules. */
export function parseRuleSet(inputs: readonly unknown[]): QualityRule[] {
  if (inputs.length > RULES_MAX) {
    throw new MeridianError('MER_QUALITY_RULE_INVALID', `A rule set holds at most ${RULES_MAX} rules`, {
      rules: inputs.length,
    });
  }
  const seen = new Set<string>();
  return inputs.map((input) => {
    const rule = parseRule(input);
    if (seen.has(rule.id)) throw invalid(rule.id, [{ path: 'id', message: 'is used twice', value: rule.id }]);
    seen.add(rule.id);
    return rule;
  });
}

/** The part of a rule that decides what its SQL counts (thresholds, severity and wording excluded). */
export function ruleSemantics(rule: QualityRule): Record<string, unknown> {
  return {
    id: rule.id,
    category: rule.category,
    subcategory: rule.subcategory,
    table: rule.table,
    countBy: rule.countBy,
    where: rule.where ?? null,
    check: rule.check,
  };
}

/**
 * The rule set's version: SHA-256 of the canonical JSON (RFC 8785) of every rule's semantics, sorted by id.
 * Thresholds are left out on purpose: they are re-applied to stored counts, so changing one never makes two
 * runs incomparable.
 */
export function ruleSetVersion(rules: readonly QualityRule[]): string {
  const sorted = [...rules].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(ruleSemantics);
  return createHash('sha256').update(canonicalize(sorted)).digest('hex');
}

/** The lake column type of a table field (lineage fields included), or undefined if there is no such field. */
export function fieldType(table: DwdTable, field: string): LakeColumnType | undefined {
  const fields: Record<string, FieldDef> = { ...DWD_TABLES[table].fields, ...LINEAGE_FIELDS };
  return Object.hasOwn(fields, field) ? fields[field]?.type : undefined;
}

/** True when a name is a canonical table. */
export function isDwdTable(name: string): name is DwdTable {
  return Object.hasOwn(DWD_TABLES, name);
}

const NUMERIC: readonly LakeColumnType[] = ['DOUBLE', 'BIGINT'];
const TEMPORAL: readonly LakeColumnType[] = ['DATE', 'TIMESTAMP'];

/** Checks a schema-valid rule against the canonical model: tables, fields, and types the check can use. */
function modelProblems(rule: QualityRule): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const add = (path: string, message: string, value: unknown) => problems.push({ path, message, value });
  const expected = SUBCATEGORY_CATEGORY[rule.subcategory];
  if (expected !== rule.category) {
    add('subcategory', `belongs to category ${expected}, not ${rule.category}`, rule.subcategory);
  }
  if (!CHECK_SUBCATEGORIES[rule.check.kind].includes(rule.subcategory)) {
    add(
      'subcategory',
      `a ${rule.check.kind} check is filed under ${CHECK_SUBCATEGORIES[rule.check.kind].join(' or ')}`,
      rule.subcategory,
    );
  }
  if (!isDwdTable(rule.table)) {
    add('table', `unknown table; one of ${Object.keys(DWD_TABLES).join(', ')}`, rule.table);
    return problems;
  }
  const table = rule.table;
  const field = (path: string, name: string, types?: readonly LakeColumnType[], within: DwdTable = table) => {
    const type = fieldType(within, name);
    if (type === undefined) add(path, `unknown field of table ${within}`, name);
    else if (types && !types.includes(type)) add(path, `is ${type}; this check needs ${types.join(' or ')}`, name);
    return type;
  };
  const refTable = (path: string, name: string): DwdTable | undefined => {
    if (isDwdTable(name)) return name;
    add(path, 'unknown table', name);
    return undefined;
  };
  for (const key of Object.keys(rule.where ?? {})) field(`where.${key}`, key);
  const c = rule.check;
  switch (c.kind) {
    case 'not_null':
    case 'value_set':
      field('check.field', c.field);
      break;
    case 'pattern':
      field('check.field', c.field, ['VARCHAR']);
      break;
    case 'unit_per_code':
      field('check.codeField', c.codeField, ['VARCHAR']);
      field('check.unitField', c.unitField, ['VARCHAR']);
      break;
    case 'reference': {
      const own = field('check.field', c.field);
      const ref = refTable('check.refTable', c.refTable);
      const other = ref && field('check.refField', c.refField, undefined, ref);
      if (own && other && own !== other) add('check.refField', `is ${other}, but ${c.field} is ${own}`, c.refField);
      break;
    }
    case 'range': {
      const type = field('check.field', c.field, [...NUMERIC, ...TEMPORAL]);
      for (const [key, bound] of [
        ['min', c.min],
        ['max', c.max],
      ] as const) {
        if (bound === undefined || type === undefined) continue;
        if (NUMERIC.includes(type) && typeof bound !== 'number') add(`check.${key}`, 'must be a number', bound);
        if (TEMPORAL.includes(type) && typeof bound !== 'string')
          add(`check.${key}`, 'must be a YYYY-MM-DD date', bound);
      }
      if (typeof c.min === typeof c.max && c.min !== undefined && c.max !== undefined && c.min > c.max) {
        add('check.max', `is below min ${String(c.min)}`, c.max);
      }
      break;
    }
    case 'age':
      field('check.field', c.field, ['DATE']);
      break;
    case 'field_order':
      field('check.field', c.field, TEMPORAL);
      field('check.notBefore', c.notBefore, TEMPORAL);
      break;
    case 'ref_order': {
      field('check.field', c.field, TEMPORAL);
      field('check.on', c.on);
      const ref = refTable('check.refTable', c.refTable);
      if (ref) {
        field('check.refField', c.refField, TEMPORAL, ref);
        field('check.on', c.on, undefined, ref);
      }
      break;
    }
    case 'duplicate':
      c.fields?.forEach((f, i) => {
        field(`check.fields.${i}`, f);
      });
      break;
    case 'near_duplicate':
      field('check.key', c.key);
      c.same.forEach((f, i) => {
        field(`check.same.${i}`, f);
      });
      c.anyOf.forEach((a, i) => {
        field(`check.anyOf.${i}.field`, a.field);
      });
      break;
  }
  if (rule.countBy === 'person' && fieldType(table, 'person_id') === undefined) {
    add('countBy', `table ${table} has no person_id`, rule.countBy);
  }
  return problems;
}

function invalid(id: string, problems: RuleProblem[]): MeridianError {
  const shown = problems.slice(0, 10).map((p) => `${p.path}: ${p.message} (value: ${preview(p.value)})`);
  return new MeridianError('MER_QUALITY_RULE_INVALID', `Quality rule ${JSON.stringify(id)}: ${shown.join('; ')}`, {
    ruleId: id,
    problems: problems.slice(0, 50).map((p) => ({ ...p, value: preview(p.value) })),
  });
}

function ruleIdOf(input: unknown): string {
  const id = input !== null && typeof input === 'object' ? (input as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id.slice(0, 100) : '(no id)';
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function preview(value: unknown): string {
  if (value === undefined) return 'missing';
  const s = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function isRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}
