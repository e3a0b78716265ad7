/**
 * The de-identification spec: for every DWD table and field of a record-level release, what happens to the
 * value — keep, drop, pseudonymize (keyed HMAC), shift (per-patient date offset), scrub (free text) or
 * generalize (year, age band, region prefix, code prefix, rare values). A field a table's rules do not name is
 * dropped, and a table the spec does not name is not released (minimum necessity, PIPL art. 6). Validation
 * names every unknown table or field and every rule that does not fit its field; L4 and L5 fields can never
 * be kept as they are. {@link defaultDeidSpec} derives a spec from the fields' sensitivity levels.
 */
import { z } from 'zod';
import { MeridianError } from '../errors/registry.ts';
import { DWD_TABLES, type DwdTable, type FieldDef, LINEAGE_FIELDS } from '../model/dwd.ts';
import { RARE_VALUE_LABEL } from './generalize.ts';

/** The band width and top age an age band uses unless the rule says otherwise. */
export const AGE_BAND_DEFAULTS = { width: 10, topAge: 90 } as const;

const GeneralizeSchema = z.discriminatedUnion('generalize', [
  z.strictObject({ generalize: z.literal('year') }),
  z.strictObject({
    generalize: z.literal('age_band'),
    width: z.int().min(1).max(50).default(AGE_BAND_DEFAULTS.width),
    topAge: z.int().min(1).max(120).default(AGE_BAND_DEFAULTS.topAge),
  }),
  z.strictObject({ generalize: z.literal('region'), digits: z.union([z.literal(2), z.literal(4)]) }),
  z.strictObject({ generalize: z.literal('code_prefix'), length: z.int().min(1).max(16) }),
  z.strictObject({
    generalize: z.literal('rare'),
    min: z.int().min(2).max(100_000),
    other: z.string().min(1).max(32).default(RARE_VALUE_LABEL),
  }),
]);

/** Most generalization steps one field's rule may chain. */
export const GENERALIZE_STEPS_MAX = 4;

/** A generalization rule. */
export type GeneralizeRule = z.infer<typeof GeneralizeSchema>;

/**
 * What happens to one field: a plain action, a generalization, or a chain of generalizations applied in order
 * (e.g. region prefix, then rare prefixes to 其他); `rare` may only come last, since it needs the whole column.
 */
export const FieldRuleSchema = z.union([
  z.enum(['keep', 'drop', 'pseudonymize', 'shift', 'scrub']),
  GeneralizeSchema,
  z.array(GeneralizeSchema).min(1).max(GENERALIZE_STEPS_MAX),
]);

/** A field rule (parsed, defaults filled in). */
export type FieldRule = z.infer<typeof FieldRuleSchema>;

/** Zod schema of a de-identification spec: `tables.<table>.<field>` → rule. */
export const DeidSpecSchema = z.strictObject({
  version: z.literal(1),
  tables: z.record(z.string(), z.record(z.string(), FieldRuleSchema)),
});

/** A parsed de-identification spec (table and field names checked against the canonical model). */
export interface DeidSpec {
  version: 1;
  tables: Partial<Record<DwdTable, Readonly<Record<string, FieldRule>>>>;
}

/** Fields pseudonymized by default: keys that join rows of one patient or visit inside the release. */
const KEY_FIELDS: ReadonlySet<string> = new Set(['person_id', 'visit_id', 'patient_token', 'study_uid']);
/** L4 free-text fields the default spec scrubs instead of dropping. */
const FREE_TEXT_FIELDS: ReadonlySet<string> = new Set(['note.note_text']);
/**
 * Fields dropped by default although their level would allow keeping them: pointers into hospital files, and
 * what the node derives from identifiers for its own checks (blind indexes would link a person across releases).
 */
const DEFAULT_DROPS: ReadonlySet<string> = new Set([
  'source_sha256',
  'source_position',
  'imaging_study.location',
  'person.id_number_check',
  'person.id_number_bidx',
  'person.name_bidx',
  'person.phone_bidx',
]);

/** The definition of a canonical field or lineage field, or null when the table has no such field. */
export function fieldDef(table: DwdTable, field: string): FieldDef | null {
  const fields: Readonly<Record<string, FieldDef>> = DWD_TABLES[table].fields;
  const lineage: Readonly<Record<string, FieldDef>> = LINEAGE_FIELDS;
  return Object.hasOwn(fields, field)
    ? (fields[field] as FieldDef)
    : Object.hasOwn(lineage, field)
      ? (lineage[field] as FieldDef)
      : null;
}

/** True when `name` is a canonical table. */
export function isDwdTable(name: string): name is DwdTable {
  return Object.hasOwn(DWD_TABLES, name);
}

/** Every field name of a table, lineage fields last. */
export function tableFieldNames(table: DwdTable): string[] {
  return [...Object.keys(DWD_TABLES[table].fields), ...Object.keys(LINEAGE_FIELDS)];
}

/** The generalization steps of a rule (empty for a plain action). */
export function generalizeSteps(rule: FieldRule): readonly GeneralizeRule[] {
  return typeof rule === 'string' ? [] : Array.isArray(rule) ? rule : [rule];
}

/** The lake type a generalization step outputs, given the type it reads. */
function stepOutput(step: GeneralizeRule, input: FieldDef['type']): FieldDef['type'] {
  if (step.generalize === 'year') return 'BIGINT';
  return step.generalize === 'rare' ? input : 'VARCHAR';
}

/** Why generalization `step` cannot read a value of `type`, or null when it can. */
function stepProblem(step: GeneralizeRule, type: FieldDef['type']): string | null {
  const needs = (what: string, ...types: FieldDef['type'][]): string | null =>
    types.includes(type) ? null : `generalize ${step.generalize}' needs ${what} (got ${type})`;
  switch (step.generalize) {
    case 'year':
    case 'age_band':
      return needs('a DATE', 'DATE');
    case 'region':
    case 'code_prefix':
      return needs('a VARCHAR', 'VARCHAR');
    case 'rare':
      return needs('a VARCHAR or BIGINT', 'VARCHAR', 'BIGINT');
  }
}

/** Why `rule` cannot apply to field `table.field` (of definition `def`), or null when it fits. */
export function ruleProblem(table: string, field: string, def: FieldDef, rule: FieldRule): string | null {
  const at = `${table}.${field}`;
  const is = (...types: FieldDef['type'][]): boolean => types.includes(def.type);
  const needs = (what: string): string => `${at}: rule '${rule}' needs ${what} (${field} is ${def.type})`;
  if (rule === 'keep' && def.level >= 4)
    return `${at}: rule 'keep' would release an L${def.level} field as it is; use drop, pseudonymize, scrub or generalize`;
  if (rule === 'keep' || rule === 'drop') return null;
  if (rule === 'shift') return is('DATE', 'TIMESTAMP') ? null : needs('a DATE or TIMESTAMP field');
  if (rule === 'scrub') return is('VARCHAR') ? null : needs('a VARCHAR field');
  if (rule === 'pseudonymize') return is('VARCHAR', 'BIGINT') ? null : needs('a VARCHAR or BIGINT field');
  const steps = generalizeSteps(rule);
  let type = def.type;
  for (const [i, step] of steps.entries()) {
    if (step.generalize === 'rare' && i < steps.length - 1)
      return `${at}: 'generalize rare' must be the last step of a chain (it needs the whole column)`;
    const problem = stepProblem(step, type);
    if (problem !== null) return `${at}: step ${i + 1} '${problem}`;
    type = stepOutput(step, type);
  }
  return null;
}

/** Throws MER_PRIVACY_SPEC_INVALID listing every problem, when there is one. */
export function throwIfProblems(what: string, problems: readonly string[]): void {
  if (problems.length === 0) return;
  throw new MeridianError('MER_PRIVACY_SPEC_INVALID', `${what} is not valid: ${problems.join('; ')}`, {
    problems: [...problems],
  });
}

/** Validates a spec; throws MER_PRIVACY_SPEC_INVALID naming each unknown table or field and each misfit rule. */
export function parseDeidSpec(input: unknown): DeidSpec {
  const parsed = DeidSpecSchema.safeParse(input);
  if (!parsed.success)
    throwIfProblems(
      'the de-identification spec',
      parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`),
    );
  const data = parsed.data as z.infer<typeof DeidSpecSchema>;
  const problems: string[] = [];
  const tables: DeidSpec['tables'] = {};
  for (const [table, rules] of Object.entries(data.tables)) {
    if (!isDwdTable(table)) {
      problems.push(`unknown table '${table}' (known tables: ${Object.keys(DWD_TABLES).join(', ')})`);
      continue;
    }
    for (const [field, rule] of Object.entries(rules)) {
      const def = fieldDef(table, field);
      if (def === null) {
        problems.push(`unknown field '${table}.${field}' (fields of ${table}: ${tableFieldNames(table).join(', ')})`);
        continue;
      }
      const problem = ruleProblem(table, field, def, rule);
      if (problem !== null) problems.push(problem);
    }
    tables[table] = rules;
  }
  throwIfProblems('the de-identification spec', problems);
  return { version: 1, tables };
}

/** The rule the default spec gives a field, from its sensitivity level, type and vocabulary. */
function defaultRule(table: DwdTable, field: string, def: FieldDef): FieldRule {
  if (DEFAULT_DROPS.has(field) || DEFAULT_DROPS.has(`${table}.${field}`)) return 'drop';
  if (def.level >= 5) return 'drop';
  if (def.level === 4) return FREE_TEXT_FIELDS.has(`${table}.${field}`) ? 'scrub' : 'drop';
  if (def.level <= 2) return 'keep';
  if (KEY_FIELDS.has(field)) return 'pseudonymize';
  if (def.vocabulary === 'GB/T 2260') return { generalize: 'region', digits: 4 };
  if (field === 'birth_date') return { generalize: 'year' };
  if (def.type === 'DATE' || def.type === 'TIMESTAMP') return 'shift';
  return 'keep';
}

/**
 * The default spec: L1–L2 kept; L3 keys pseudonymized, dates shifted, birth date to its year, region codes
 * to their city prefix, other L3 values kept; L4 dropped except free text, which is scrubbed; L5 dropped;
 * lineage pointers into hospital files dropped.
 */
export function defaultDeidSpec(): DeidSpec {
  const tables: DeidSpec['tables'] = {};
  for (const table of Object.keys(DWD_TABLES) as DwdTable[]) {
    const rules: Record<string, FieldRule> = {};
    for (const field of tableFieldNames(table))
      rules[field] = defaultRule(table, field, fieldDef(table, field) as FieldDef);
    tables[table] = rules;
  }
  return { version: 1, tables };
}

/** A copy of `spec` with some fields' rules replaced (validated like any spec). */
export function withRules(
  spec: DeidSpec,
  overrides: Partial<Record<DwdTable, Readonly<Record<string, unknown>>>>,
): DeidSpec {
  const tables: Record<string, Record<string, unknown>> = {};
  for (const [table, rules] of Object.entries(spec.tables)) tables[table] = { ...rules };
  for (const [table, rules] of Object.entries(overrides)) tables[table] = { ...tables[table], ...rules };
  return parseDeidSpec({ version: 1, tables });
}
