/**
 * Analysis variables (分析变量): the columns of the per-person analysis table a hospital node builds over a cohort,
 * the design every federated analysis (GLM, Cox, Kaplan–Meier, descriptive statistics) runs on. One Zod schema
 * validates a list of them (the web app imports the same one), plus the checks a schema cannot express (unique
 * output columns, window order, a measurement's unit). Semantics: this folder's README.md. Pure: no I/O, no clock.
 *
 * ```
 * [ { name, kind: 'age' | 'sex' | 'measurement' | 'condition' | 'observation' | 'drug' | 'procedure'
 *                | 'death' | 'survival', …kind fields }, … ]            ≤ 50 variables, unique names
 * ```
 */
import assert from 'node:assert/strict';
import { z } from 'zod';
import { MeridianError } from '../../errors/registry.ts';
import { type Analyte, analyteOfCode, normalizeUnit, STANDARD_UNIT, toStandardUnit } from '../../pipeline/units.ts';
import { ATC_CODE, DateSchema, ICD9CM3_CODE, ICD10_CODE, ITEM_CODE, SEXES } from '../cohort/schema.ts';
import { describeProblems, issueProblems, type Problem, problemDetails } from '../problems.ts';

/** Most variables in one analysis table. */
export const DATASET_VARIABLES_MAX = 50;
/** Most codes one variable lists. */
export const VARIABLE_CODES_MAX = 500;
/** Most codes in one variable list, all variables together. */
export const DATASET_CODES_MAX = 2_000;
/** Most text values one observation indicator lists. */
export const TEXT_VALUES_MAX = 50;
/** Largest distance, in days, a window may reach before or after the index date (100 years). */
export const WINDOW_DAYS_MAX = 36_525;
/** Most decimals a measurement value may be rounded to. */
export const DECIMALS_MAX = 6;
/** A variable name: a lowercase letter, then up to 39 lowercase letters, digits or '_'. */
export const VARIABLE_NAME = /^[a-z][a-z0-9_]{0,39}$/;
/** Output column names no variable may produce (the table's key). */
export const RESERVED_COLUMNS: readonly string[] = ['person_id'];

function codeList<T extends z.ZodString>(code: T) {
  return z.array(code).min(1).max(VARIABLE_CODES_MAX);
}

/** Which of a person's values in the window a measurement or numeric observation variable takes. */
export const VALUE_PICKS = ['first', 'last', 'nearest', 'min', 'max', 'mean'] as const;
/** One value pick. */
export type ValuePick = (typeof VALUE_PICKS)[number];

/**
 * Days relative to the index date, both ends inclusive; a missing end is unbounded: `{ start: 0 }` is the index day
 * and everything after it, `{ start: -365, end: 0 }` the year up to and including the index day.
 */
export const WindowSchema = z.strictObject({
  start: z.number().int().min(-WINDOW_DAYS_MAX).max(WINDOW_DAYS_MAX).optional(),
  end: z.number().int().min(-WINDOW_DAYS_MAX).max(WINDOW_DAYS_MAX).optional(),
});
/** A window relative to the index date. */
export type Window = z.infer<typeof WindowSchema>;

const NameSchema = z
  .string()
  .regex(VARIABLE_NAME, "is not a variable name (a lowercase letter, then up to 39 lowercase letters, digits or '_')");

/** Age in completed years at the index date (default) or at a fixed date, from the person's birth date. */
export const AgeVariableSchema = z.strictObject({
  name: NameSchema,
  kind: z.literal('age'),
  at: z.union([z.literal('index'), DateSchema], { error: 'is neither "index" nor a date YYYY-MM-DD' }).optional(),
});
/** Sex: a 0/1 indicator of `level`, or (no level) the categorical value M/F/U. */
export const SexVariableSchema = z.strictObject({
  name: NameSchema,
  kind: z.literal('sex'),
  level: z.enum(SEXES).optional(),
});
/** A lab or vital-sign value of one code, picked among the person's values in the window, optionally in another unit. */
export const MeasurementVariableSchema = z.strictObject({
  name: NameSchema,
  kind: z.literal('measurement'),
  code: ITEM_CODE,
  value: z.enum(VALUE_PICKS),
  window: WindowSchema.optional(),
  unit: z.string().min(1).max(32).optional(),
  decimals: z.number().int().min(0).max(DECIMALS_MAX).optional(),
});
/** Diagnoses: a 0/1 indicator of any occurrence in the window, or the day (from index) of the first one in it. */
export const ConditionVariableSchema = z.strictObject({
  name: NameSchema,
  kind: z.literal('condition'),
  codes: codeList(ICD10_CODE),
  descendants: z.boolean().optional(),
  value: z.enum(['indicator', 'first_day']).optional(),
  window: WindowSchema.optional(),
});
/** An observation of one code: a numeric value (picked as for measurements) or a 0/1 indicator of text values. */
export const ObservationVariableSchema = z.strictObject({
  name: NameSchema,
  kind: z.literal('observation'),
  code: ITEM_CODE,
  value: z.enum([...VALUE_PICKS, 'indicator']),
  text: z.array(z.string().min(1).max(200)).min(1).max(TEXT_VALUES_MAX).optional(),
  window: WindowSchema.optional(),
});
/** A 0/1 indicator of any drug exposure under the ATC prefixes that overlaps the window. */
export const DrugVariableSchema = z.strictObject({
  name: NameSchema,
  kind: z.literal('drug'),
  codes: codeList(ATC_CODE),
  window: WindowSchema.optional(),
});
/** A 0/1 indicator of any procedure (ICD-9-CM-3) in the window. */
export const ProcedureVariableSchema = z.strictObject({
  name: NameSchema,
  kind: z.literal('procedure'),
  codes: codeList(ICD9CM3_CODE),
  descendants: z.boolean().optional(),
  window: WindowSchema.optional(),
});
/** Death: a 0/1 indicator of death in the window, or the days from the index date to death. */
export const DeathVariableSchema = z.strictObject({
  name: NameSchema,
  kind: z.literal('death'),
  value: z.enum(['indicator', 'days']).optional(),
  window: WindowSchema.optional(),
});
/** What ends a survival time: death, or the first diagnosis of the codes on or after the index date. */
export const SurvivalEventSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('death') }),
  z.strictObject({ kind: z.literal('condition'), codes: codeList(ICD10_CODE), descendants: z.boolean().optional() }),
]);
/**
 * A time-to-event pair from the index date: `<name>_time_days` and `<name>_event`; censored at the last visit
 * (capped by `endDate` when given) or at the fixed `endDate`.
 */
export const SurvivalVariableSchema = z.strictObject({
  name: NameSchema,
  kind: z.literal('survival'),
  event: SurvivalEventSchema,
  censor: z.enum(['last_visit', 'end_date']),
  endDate: DateSchema.optional(),
});

/** One analysis variable. */
export const AnalysisVariableSchema = z.discriminatedUnion('kind', [
  AgeVariableSchema,
  SexVariableSchema,
  MeasurementVariableSchema,
  ConditionVariableSchema,
  ObservationVariableSchema,
  DrugVariableSchema,
  ProcedureVariableSchema,
  DeathVariableSchema,
  SurvivalVariableSchema,
]);
/** One validated analysis variable. */
export type AnalysisVariable = z.infer<typeof AnalysisVariableSchema>;
/** The kinds of variables. */
export type VariableKind = AnalysisVariable['kind'];

/** A whole list of analysis variables. */
export const AnalysisVariablesSchema = z.array(AnalysisVariableSchema).min(1).max(DATASET_VARIABLES_MAX);

/** The SQL type of an output column (what DuckDB returns for it). */
export type DatasetColumnType = 'VARCHAR' | 'INTEGER' | 'DOUBLE';

/** One output column of a variable: its name and SQL type. */
export interface VariableColumn {
  name: string;
  type: DatasetColumnType;
}

/** The output columns a variable produces, in order (two for survival, one for every other kind). */
export function variableColumns(v: AnalysisVariable): VariableColumn[] {
  switch (v.kind) {
    case 'survival':
      return [
        { name: `${v.name}_time_days`, type: 'INTEGER' },
        { name: `${v.name}_event`, type: 'INTEGER' },
      ];
    case 'sex':
      return [{ name: v.name, type: v.level === undefined ? 'VARCHAR' : 'INTEGER' }];
    case 'measurement':
      return [{ name: v.name, type: 'DOUBLE' }];
    case 'observation':
      return [{ name: v.name, type: v.value === 'indicator' ? 'INTEGER' : 'DOUBLE' }];
    case 'age':
    case 'condition':
    case 'drug':
    case 'procedure':
    case 'death':
      return [{ name: v.name, type: 'INTEGER' }];
  }
}

/** A unit change for a measurement variable: requested = (stored − offset) / factor. */
export interface UnitChange {
  /** The analyte's standard unit, the one DWD stores. */
  from: string;
  /** The requested unit (canonical spelling). */
  to: string;
  factor: number;
  offset: number;
}

/**
 * How a measurement variable's stored values (in the code's standard unit) become the requested unit: null when no
 * unit is asked for or it is the standard one. Throws MER_DATASET_UNIT_UNCONVERTIBLE naming the variable otherwise.
 */
export function unitChange(v: { name: string; code: string; unit?: string | undefined }, index = 0): UnitChange | null {
  const r = planUnit(v, index);
  if ('problem' in r) throw unconvertible([r.problem]);
  return r.change;
}

/** One problem in a variable list: where (`variables[2] (hba1c).window.end`), what, and the value at fault. */
export type VariableProblem = Problem;

/**
 * Validates a list of analysis variables and returns it unchanged; throws MER_DATASET_INVALID naming each variable
 * and field at fault with its value, or MER_DATASET_UNIT_UNCONVERTIBLE when a measurement's unit has no conversion.
 *
 * @example
 * const variables = parseVariables([
 *   { name: 'hba1c', kind: 'measurement', code: '4548-4', value: 'first', window: { start: 0, end: 0 }, unit: '%' },
 *   { name: 'age', kind: 'age' },
 *   { name: 'complication', kind: 'condition', codes: ['E11.2', 'E11.3'], descendants: true, window: { start: 0 } },
 * ]);
 */
export function parseVariables(input: unknown): AnalysisVariable[] {
  const parsed = AnalysisVariablesSchema.safeParse(input);
  if (!parsed.success)
    throw invalid(
      parsed.error.issues.flatMap((issue) => issueProblems(issue, input, (path) => formatPath(path, input))),
    );
  const problems = listProblems(parsed.data);
  if (problems.length > 0) throw invalid(problems);
  const units: VariableProblem[] = [];
  parsed.data.forEach((v, i) => {
    if (v.kind !== 'measurement') return;
    const r = planUnit(v, i);
    if ('problem' in r) units.push(r.problem);
  });
  if (units.length > 0) throw unconvertible(units);
  return parsed.data;
}

/** True when a variable reads the index date (a window, a value relative to it, or age at the index). */
export function needsIndex(v: AnalysisVariable): boolean {
  switch (v.kind) {
    case 'age':
      return (v.at ?? 'index') === 'index';
    case 'sex':
      return false;
    case 'measurement':
    case 'observation':
      return v.window !== undefined || v.value === 'nearest';
    case 'condition':
      return v.window !== undefined || v.value === 'first_day';
    case 'death':
      return v.window !== undefined || v.value === 'days';
    case 'drug':
    case 'procedure':
      return v.window !== undefined;
    case 'survival':
      return true;
  }
}

function label(variables: readonly unknown[], i: number): string {
  const v = variables[i];
  const name = v !== null && typeof v === 'object' ? (v as { name?: unknown }).name : undefined;
  return typeof name === 'string' && name.length <= 60 ? `variables[${i}] (${name})` : `variables[${i}]`;
}

function listProblems(variables: readonly AnalysisVariable[]): VariableProblem[] {
  const problems: VariableProblem[] = [];
  const add = (i: number, field: string, message: string, value?: unknown) =>
    problems.push({ path: `${label(variables, i)}${field === '' ? '' : `.${field}`}`, message, value });
  const seen = new Map<string, number>();
  let codes = 0;
  variables.forEach((v, i) => {
    for (const column of variableColumns(v)) {
      const first = seen.get(column.name);
      if (RESERVED_COLUMNS.includes(column.name)) {
        add(i, 'name', `gives the column ${column.name}, which is reserved for the table's key`, v.name);
      } else if (first !== undefined) {
        add(i, 'name', `gives the column ${column.name}, which ${label(variables, first)} also gives`, v.name);
      } else seen.set(column.name, i);
    }
    if ('window' in v && v.window?.start !== undefined && v.window.end !== undefined && v.window.start > v.window.end) {
      add(i, 'window.end', `is before window.start ${v.window.start}`, v.window.end);
    }
    if (v.kind === 'observation') {
      if (v.value === 'indicator' && v.text === undefined) {
        add(i, 'text', 'is missing; an indicator counts observations whose text value is one of these');
      }
      if (v.value !== 'indicator' && v.text !== undefined) {
        add(i, 'text', `cannot be given with value "${v.value}", which reads the numeric value`);
      }
    }
    if (v.kind === 'survival' && v.censor === 'end_date' && v.endDate === undefined) {
      add(i, 'endDate', 'is missing; censor "end_date" censors at this date');
    }
    if ('codes' in v) codes += v.codes.length;
    if (v.kind === 'survival' && v.event.kind === 'condition') codes += v.event.codes.length;
  });
  if (codes > DATASET_CODES_MAX) {
    problems.push({ path: 'variables', message: `list ${codes} codes together; at most ${DATASET_CODES_MAX}` });
  }
  return problems;
}

function planUnit(
  v: { name: string; code: string; unit?: string | undefined },
  index: number,
): { change: UnitChange | null } | { problem: VariableProblem } {
  if (v.unit === undefined) return { change: null };
  const problem = (message: string) => ({
    problem: { path: `variables[${index}] (${v.name}).unit`, message, value: v.unit },
  });
  const analyte = analyteOfCode(v.code);
  if (analyte === undefined) {
    return problem(
      `cannot be converted: code ${v.code} has no standard unit in Meridian's unit table; leave out unit to take the value as stored`,
    );
  }
  const standard = STANDARD_UNIT[analyte];
  const to = normalizeUnit(v.unit);
  if (to === null) return problem(`is not a known unit; code ${v.code} (${analyte}) is stored in ${standard}`);
  if (to === standard) return { change: null };
  const at = (x: number) => convertible(analyte, x, to);
  const offset = at(0);
  const one = at(1);
  if (offset === null || one === null) {
    return problem(`cannot be converted from ${standard}, the unit code ${v.code} (${analyte}) is stored in`);
  }
  const factor = one - offset;
  // Every conversion in units.ts is affine and increasing, so one factor and one offset invert it.
  const check = at(100);
  assert(factor > 0 && check !== null, `unit conversion ${to} → ${standard} is increasing`);
  assert(
    Math.abs(check - (offset + 100 * factor)) <= 1e-9 * Math.max(1, Math.abs(check)),
    'unit conversions are affine',
  );
  return { change: { from: standard, to, factor, offset } };
}

function convertible(analyte: Analyte, x: number, unit: string): number | null {
  const c = toStandardUnit(analyte, x, unit);
  return c.ok ? c.value : null;
}

/** `[2, 'window', 'end']` → `variables[2] (hba1c).window.end`. */
function formatPath(path: readonly PropertyKey[], root: unknown): string {
  if (path.length === 0) return 'variables';
  const [first, ...rest] = path;
  let out = typeof first === 'number' && Array.isArray(root) ? label(root, first) : `variables.${String(first)}`;
  for (const key of rest) out += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  return out;
}

function invalid(problems: readonly VariableProblem[]): MeridianError {
  return new MeridianError(
    'MER_DATASET_INVALID',
    `Invalid analysis variables: ${describeProblems(problems)}`,
    problemDetails(problems),
  );
}

function unconvertible(problems: readonly VariableProblem[]): MeridianError {
  return new MeridianError(
    'MER_DATASET_UNIT_UNCONVERTIBLE',
    `Invalid analysis variables: ${describeProblems(problems)}`,
    problemDetails(problems),
  );
}
