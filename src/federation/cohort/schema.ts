/**
 * The cohort definition (队列定义): a JSON condition tree a researcher sends to every hospital at once, validated
 * by one Zod schema (the web app imports the same one) plus the checks a schema cannot express (limits over the
 * whole tree, windows that need an index event, a lab range's unit). Semantics are in this folder's README.md;
 * compile.ts turns a valid definition into DuckDB SQL over DWD. Pure: no I/O, no clock.
 *
 * ```
 * { index?: { event }, calendar?: { from?, to? }, criteria: [node, …] }      top-level criteria are ANDed
 * node = { kind: 'and' | 'or', criteria: [node, …] } | { kind: 'not', criterion: node } | criterion
 * criterion = age | sex | diagnosis | lab | drug | procedure | visit | observation | death
 * ```
 */
import assert from 'node:assert/strict';
import { z } from 'zod';
import { MeridianError } from '../../errors/registry.ts';
import { analyteOfCode, normalizeUnit, STANDARD_UNIT, toStandardUnit } from '../../pipeline/units.ts';
import { describeProblems, issueProblems, type Problem, problemDetails } from '../problems.ts';

/** Most group levels (and/or/not) on any path from the top of the tree to a criterion. */
export const COHORT_DEPTH_MAX = 6;
/** Most nodes (groups and criteria) in one definition. */
export const COHORT_NODES_MAX = 64;
/** Most children of one group (and of the top-level criteria list). */
export const GROUP_CRITERIA_MAX = 32;
/** Most codes one criterion lists. */
export const CRITERION_CODES_MAX = 500;
/** Most codes in one definition, every criterion and the index event together. */
export const COHORT_CODES_MAX = 2_000;
/** Most text values one observation criterion lists. */
export const TEXT_VALUES_MAX = 50;
/** Largest distance, in days, a window may reach before or after the index date (100 years). */
export const WINDOW_DAYS_MAX = 36_525;
/** Largest "at least N times" count. */
export const AT_LEAST_MAX = 1_000;
/** Largest age in a range, in years. */
export const AGE_YEARS_MAX = 150;

/** Deepest JSON nesting accepted before schema validation (guards the recursive parse). */
const JSON_DEPTH_MAX = 40;
/** Most JSON values (objects, arrays, scalars) accepted before schema validation. */
const JSON_VALUES_MAX = 20_000;
/** Longest JSON text {@link parseCohort} parses, in characters. */
const JSON_TEXT_CHARS_MAX = 1_000_000;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar date 'YYYY-MM-DD' that exists (2023-02-29 does not). */
export const DateSchema = z.string().refine(isCalendarDate, 'is not a calendar date YYYY-MM-DD');

/** ICD-10, national clinical edition: category E11, code E11.900, extension E11.900x001, I10.x00. */
export const ICD10_CODE = z
  .string()
  .regex(/^[A-Z][0-9]{2}(\.[0-9A-Za-z]{1,12})?$/, 'is not an ICD-10 code (e.g. E11, E11.900 or E11.900x001)');
/** ICD-9-CM-3, national clinical edition: category 36, code 36.06, extension 36.0601. */
export const ICD9CM3_CODE = z
  .string()
  .regex(/^[0-9]{2}(\.[0-9A-Za-z]{1,8})?$/, 'is not an ICD-9-CM-3 code (e.g. 36, 36.06 or 36.0601)');
/** ATC at any level: A, A10, A10B, A10BA, A10BA02. */
export const ATC_CODE = z
  .string()
  .regex(/^[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?$/, 'is not an ATC code (e.g. A10, A10BA or A10BA02)');
/** A measurement or observation code: LOINC (4548-4) or a consortium code. */
export const ITEM_CODE = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'is not a LOINC or consortium code (letters, digits, . _ -)');

function codeList<T extends z.ZodString>(code: T) {
  return z.array(code).min(1).max(CRITERION_CODES_MAX);
}

/** Sexes as DWD writes them (GB/T 2261.1 mapped): male, female, unknown. */
export const SEXES = ['M', 'F', 'U'] as const;
/** Visit types as DWD writes them. */
export const VISIT_TYPES = ['outpatient', 'emergency', 'inpatient'] as const;
/** Which occurrences of an event count: any of them, or only the person's first. */
export const OCCURRENCES = ['any', 'first'] as const;

/** A numeric range; bounds are inclusive unless marked exclusive. */
export const ValueRangeSchema = z.strictObject({
  min: z.number().optional(),
  max: z.number().optional(),
  minExclusive: z.boolean().optional(),
  maxExclusive: z.boolean().optional(),
});
/** A numeric range of a value (lab result, observation number). */
export type ValueRange = z.infer<typeof ValueRangeSchema>;

/** A lab range, optionally in another unit than the lab's standard one (converted by units.ts). */
export const LabRangeSchema = ValueRangeSchema.extend({ unit: z.string().min(1).max(32).optional() });
/** A lab range as written. */
export type LabRange = z.infer<typeof LabRangeSchema>;

/** Days relative to the index date, both ends inclusive: [-365, 0] is the year up to and including the index. */
export const WindowSchema = z.strictObject({
  start: z.number().int().min(-WINDOW_DAYS_MAX).max(WINDOW_DAYS_MAX),
  end: z.number().int().min(-WINDOW_DAYS_MAX).max(WINDOW_DAYS_MAX),
});
/** A window relative to the index date. */
export type Window = z.infer<typeof WindowSchema>;

/** Qualifiers every event criterion takes. */
const QUALIFIERS = {
  /** 'first': only the person's first matching event counts (incidence); default 'any'. */
  occurrence: z.enum(OCCURRENCES).optional(),
  /** Matching events on at least this many different days; default 1. */
  atLeast: z.number().int().min(1).max(AT_LEAST_MAX).optional(),
  /** Events must fall in this window around the index date. */
  window: WindowSchema.optional(),
};

/** Diagnoses (condition_occurrence.condition_code); `descendants` also matches every code under each one. */
export const DiagnosisMatchSchema = z.strictObject({
  kind: z.literal('diagnosis'),
  codes: codeList(ICD10_CODE),
  descendants: z.boolean().optional(),
});
/** A lab result (measurement) of one code, optionally within a range. */
export const LabMatchSchema = z.strictObject({
  kind: z.literal('lab'),
  code: ITEM_CODE,
  range: LabRangeSchema.optional(),
});
/** Drugs (drug_exposure.atc_code); `descendants` matches every ATC code under each prefix. */
export const DrugMatchSchema = z.strictObject({
  kind: z.literal('drug'),
  codes: codeList(ATC_CODE),
  descendants: z.boolean().optional(),
});
/** Procedures (procedure_occurrence.procedure_code, ICD-9-CM-3); `descendants` as for diagnoses. */
export const ProcedureMatchSchema = z.strictObject({
  kind: z.literal('procedure'),
  codes: codeList(ICD9CM3_CODE),
  descendants: z.boolean().optional(),
});
/** Visits of the given types. */
export const VisitMatchSchema = z.strictObject({
  kind: z.literal('visit'),
  types: z.array(z.enum(VISIT_TYPES)).min(1).max(VISIT_TYPES.length),
});
/** Observations of one code, optionally with one of the text values or a number in a range. */
export const ObservationMatchSchema = z.strictObject({
  kind: z.literal('observation'),
  code: ITEM_CODE,
  text: z.array(z.string().min(1).max(200)).min(1).max(TEXT_VALUES_MAX).optional(),
  range: ValueRangeSchema.optional(),
});
/** Death, optionally of the given underlying causes (ICD-10). */
export const DeathMatchSchema = z.strictObject({
  kind: z.literal('death'),
  causes: codeList(ICD10_CODE).optional(),
  descendants: z.boolean().optional(),
});

/** What makes a row an event, without qualifiers: the shape of an index event. */
export const EventMatchSchema = z.discriminatedUnion('kind', [
  DiagnosisMatchSchema,
  LabMatchSchema,
  DrugMatchSchema,
  ProcedureMatchSchema,
  VisitMatchSchema,
  ObservationMatchSchema,
  DeathMatchSchema,
]);
/** An event match (no qualifiers). */
export type EventMatch = z.infer<typeof EventMatchSchema>;
/** The kinds of events, one DWD table each. */
export type EventKind = EventMatch['kind'];

/** Age in whole years at the index date or at a given date, within an inclusive range. */
export const AgeCriterionSchema = z.strictObject({
  kind: z.literal('age'),
  at: z.union([z.literal('index'), DateSchema], { error: 'is neither "index" nor a date YYYY-MM-DD' }),
  range: z.strictObject({
    min: z.number().int().min(0).max(AGE_YEARS_MAX).optional(),
    max: z.number().int().min(0).max(AGE_YEARS_MAX).optional(),
  }),
});
/** Sex is one of the values. */
export const SexCriterionSchema = z.strictObject({
  kind: z.literal('sex'),
  values: z.array(z.enum(SEXES)).min(1).max(SEXES.length),
});

const EVENT_CRITERIA = [
  DiagnosisMatchSchema.extend(QUALIFIERS),
  LabMatchSchema.extend(QUALIFIERS),
  DrugMatchSchema.extend(QUALIFIERS),
  ProcedureMatchSchema.extend(QUALIFIERS),
  VisitMatchSchema.extend(QUALIFIERS),
  ObservationMatchSchema.extend(QUALIFIERS),
  DeathMatchSchema.extend(QUALIFIERS),
] as const;

/** An event criterion: an event match with its qualifiers (occurrence, at least N days, window). */
export const EventCriterionSchema = z.discriminatedUnion('kind', [...EVENT_CRITERIA]);
/** An event criterion. */
export type EventCriterion = z.infer<typeof EventCriterionSchema>;

/** Every leaf of the tree: demographics and events. */
export const CriterionSchema = z.discriminatedUnion('kind', [
  AgeCriterionSchema,
  SexCriterionSchema,
  ...EVENT_CRITERIA,
]);
/** A leaf of the condition tree. */
export type Criterion = z.infer<typeof CriterionSchema>;

/** AND of the children. */
export const AndGroupSchema = z.strictObject({
  kind: z.literal('and'),
  get criteria() {
    return z.array(CohortNodeSchema).min(1).max(GROUP_CRITERIA_MAX);
  },
});
/** OR of the children. */
export const OrGroupSchema = z.strictObject({
  kind: z.literal('or'),
  get criteria() {
    return z.array(CohortNodeSchema).min(1).max(GROUP_CRITERIA_MAX);
  },
});
/** NOT of one child (a person-level negation: the person has no such event). */
export const NotGroupSchema = z.strictObject({
  kind: z.literal('not'),
  get criterion() {
    return CohortNodeSchema;
  },
});

/** A node of the condition tree: a group or a criterion. */
export const CohortNodeSchema = z.discriminatedUnion('kind', [
  AndGroupSchema,
  OrGroupSchema,
  NotGroupSchema,
  AgeCriterionSchema,
  SexCriterionSchema,
  ...EVENT_CRITERIA,
]);
/** A node of the condition tree. */
export type CohortNode = z.infer<typeof CohortNodeSchema>;

/** The index event: each person's index date is the date of their first matching event. */
export const IndexEventSchema = z.strictObject({ event: EventMatchSchema });

/** A calendar window every counted event (and the index date) must fall in; both ends inclusive. */
export const CalendarSchema = z.strictObject({ from: DateSchema.optional(), to: DateSchema.optional() });

/** A whole cohort definition. */
export const CohortDefinitionSchema = z.strictObject({
  version: z.literal(1).optional(),
  name: z.string().min(1).max(200).optional(),
  index: IndexEventSchema.optional(),
  calendar: CalendarSchema.optional(),
  criteria: z.array(CohortNodeSchema).max(GROUP_CRITERIA_MAX),
});
/** A validated cohort definition. */
export type CohortDefinition = z.infer<typeof CohortDefinitionSchema>;

/** One problem in a definition: where (a path like `criteria[2].range.min`), what, and the value at fault. */
export type CohortProblem = Problem;

/**
 * Validates a cohort definition (a parsed JSON value, or JSON text) and returns it unchanged; throws
 * MER_COHORT_INVALID naming every path at fault and its value, or MER_COHORT_UNIT_UNCONVERTIBLE when a lab range's
 * unit has no conversion to the lab's standard unit.
 *
 * @example
 * const def = parseCohort({
 *   index: { event: { kind: 'diagnosis', codes: ['E11'], descendants: true } },
 *   criteria: [{ kind: 'lab', code: '4548-4', range: { min: 7, minExclusive: true }, window: { start: -365, end: 0 } }],
 * });
 */
export function parseCohort(input: unknown): CohortDefinition {
  const value = typeof input === 'string' ? parseJsonText(input) : input;
  const shape = jsonShapeProblem(value);
  if (shape) throw invalid([shape]);
  const parsed = CohortDefinitionSchema.safeParse(value);
  if (!parsed.success) throw invalid(parsed.error.issues.flatMap((issue) => issueProblems(issue, value, formatPath)));
  const problems = treeProblems(parsed.data);
  if (problems.length > 0) throw invalid(problems);
  const units = unitProblems(parsed.data);
  if (units.length > 0) throw unconvertible(units);
  return parsed.data;
}

/** A code a definition names, with its vocabulary and path (so a caller can check them against known concepts). */
export interface CohortCode {
  vocabulary: 'ICD-10' | 'ICD-9-CM-3' | 'ATC' | 'LOINC';
  code: string;
  /** True when the criterion also matches the code's descendants. */
  descendants: boolean;
  path: string;
}

/** Every code a valid definition names (index event and criteria), in tree order. */
export function cohortCodes(def: CohortDefinition): CohortCode[] {
  const out: CohortCode[] = [];
  const visit = (e: EventMatch, path: string) => {
    const descendants = 'descendants' in e && e.descendants === true;
    const add = (vocabulary: CohortCode['vocabulary'], codes: readonly string[], field: string) =>
      codes.forEach((code, i) => {
        out.push({ vocabulary, code, descendants, path: `${path}.${field}[${i}]` });
      });
    switch (e.kind) {
      case 'diagnosis':
        add('ICD-10', e.codes, 'codes');
        return;
      case 'death':
        add('ICD-10', e.causes ?? [], 'causes');
        return;
      case 'drug':
        add('ATC', e.codes, 'codes');
        return;
      case 'procedure':
        add('ICD-9-CM-3', e.codes, 'codes');
        return;
      case 'lab':
      case 'observation':
        out.push({ vocabulary: 'LOINC', code: e.code, descendants: false, path: `${path}.code` });
        return;
      case 'visit':
        return;
    }
  };
  if (def.index) visit(def.index.event, 'index.event');
  walkTree(def, (node, path) => {
    if (isEventCriterion(node)) visit(node, path);
  });
  return out;
}

/** True when a tree node is an event criterion (not a group, not a demographic criterion). */
export function isEventCriterion(node: CohortNode): node is EventCriterion {
  switch (node.kind) {
    case 'and':
    case 'or':
    case 'not':
    case 'age':
    case 'sex':
      return false;
    case 'diagnosis':
    case 'lab':
    case 'drug':
    case 'procedure':
    case 'visit':
    case 'observation':
    case 'death':
      return true;
  }
}

/**
 * A lab range in the lab's standard unit (DWD stores every value in it): unchanged when no unit is given, converted
 * by units.ts otherwise. Throws MER_COHORT_UNIT_UNCONVERTIBLE when the code has no standard unit in Meridian's
 * unit table or the unit is not one of the analyte's.
 */
export function standardLabRange(code: string, range: LabRange, path = 'range'): ValueRange {
  const r = convertLabRange(code, range, path);
  if ('problem' in r) throw unconvertible([r.problem]);
  return r.range;
}

/** Walks the condition tree depth first, giving each node its path and its group depth (0 at the top). */
export function walkTree(def: CohortDefinition, visit: (node: CohortNode, path: string, depth: number) => void): void {
  const stack: { node: CohortNode; path: string; depth: number }[] = [];
  for (let i = def.criteria.length - 1; i >= 0; i--) {
    stack.push({ node: def.criteria[i] as CohortNode, path: `criteria[${i}]`, depth: 0 });
  }
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    visit(top.node, top.path, top.depth);
    const { node, path, depth } = top;
    if (node.kind === 'and' || node.kind === 'or') {
      for (let i = node.criteria.length - 1; i >= 0; i--) {
        stack.push({ node: node.criteria[i] as CohortNode, path: `${path}.criteria[${i}]`, depth: depth + 1 });
      }
    } else if (node.kind === 'not') {
      stack.push({ node: node.criterion, path: `${path}.criterion`, depth: depth + 1 });
    }
  }
}

function convertLabRange(
  code: string,
  range: LabRange,
  path: string,
): { range: ValueRange } | { problem: CohortProblem } {
  const { unit, ...bounds } = range;
  if (unit === undefined) return { range: bounds };
  const problem = (message: string): { problem: CohortProblem } => ({
    problem: { path: `${path}.unit`, message, value: unit },
  });
  const analyte = analyteOfCode(code);
  if (analyte === undefined) {
    return problem(
      `cannot be converted: lab ${code} has no standard unit in Meridian's unit table; give the range in the unit the lab is stored in and leave out unit`,
    );
  }
  const standard = STANDARD_UNIT[analyte];
  const normalized = normalizeUnit(unit);
  if (normalized === null) return problem(`is not a known unit; lab ${code} (${analyte}) is stored in ${standard}`);
  if (normalized === standard) return { range: bounds };
  const convert = (v: number | undefined): number | undefined | string => {
    if (v === undefined) return undefined;
    const c = toStandardUnit(analyte, v, normalized);
    return c.ok ? c.value : c.reason;
  };
  const min = convert(bounds.min);
  const max = convert(bounds.max);
  if (typeof min === 'string' || typeof max === 'string') {
    return problem(`cannot be converted to ${standard}, the unit lab ${code} (${analyte}) is stored in`);
  }
  // Every conversion in units.ts increases with its input, so the bounds keep their order.
  assert(min === undefined || max === undefined || min <= max, 'unit conversions are increasing');
  const out: ValueRange = { ...bounds };
  if (min !== undefined) out.min = min;
  if (max !== undefined) out.max = max;
  return { range: out };
}

function treeProblems(def: CohortDefinition): CohortProblem[] {
  const problems: CohortProblem[] = [];
  const add = (path: string, message: string, value?: unknown) => problems.push({ path, message, value });
  const hasIndex = def.index !== undefined;
  let nodes = 0;
  let codes = 0;
  const countCodes = (e: EventMatch) => {
    if (e.kind === 'diagnosis' || e.kind === 'drug' || e.kind === 'procedure') codes += e.codes.length;
    if (e.kind === 'death') codes += e.causes?.length ?? 0;
  };
  const checkMatch = (e: EventMatch, path: string) => {
    countCodes(e);
    if (e.kind === 'lab' && e.range) rangeProblems(e.range, `${path}.range`, add);
    if (e.kind === 'observation') {
      if (e.range) rangeProblems(e.range, `${path}.range`, add);
      if (e.range && e.text) add(`${path}.range`, 'cannot be given together with text; use an or group');
    }
  };
  if (def.index) checkMatch(def.index.event, 'index.event');
  const { from, to } = def.calendar ?? {};
  if (from !== undefined && to !== undefined && from > to) add('calendar.to', `is before calendar.from ${from}`, to);
  walkTree(def, (node, path, depth) => {
    nodes++;
    if (nodes === COHORT_NODES_MAX + 1) add('criteria', `the tree has more than ${COHORT_NODES_MAX} nodes`);
    const isGroup = node.kind === 'and' || node.kind === 'or' || node.kind === 'not';
    if (isGroup && depth === COHORT_DEPTH_MAX) add(path, `groups nest deeper than ${COHORT_DEPTH_MAX} levels`);
    if (node.kind === 'age') {
      if (node.at === 'index' && !hasIndex)
        add(`${path}.at`, 'needs an index event (index) to be measured at', 'index');
      rangeProblems(node.range, `${path}.range`, add);
    }
    if (!isEventCriterion(node)) return;
    checkMatch(node, path);
    if (node.window) {
      if (!hasIndex) add(`${path}.window`, 'needs an index event (index) to be relative to');
      if (node.window.start > node.window.end) {
        add(`${path}.window.end`, `is before window.start ${node.window.start}`, node.window.end);
      }
    }
    if (node.occurrence === 'first' && node.atLeast !== undefined && node.atLeast > 1) {
      add(`${path}.atLeast`, 'cannot exceed 1 when occurrence is "first" (a person has one first event)', node.atLeast);
    }
  });
  if (codes > COHORT_CODES_MAX) add('criteria', `the definition lists ${codes} codes; at most ${COHORT_CODES_MAX}`);
  return problems;
}

function rangeProblems(
  range: { min?: number | undefined; max?: number | undefined },
  path: string,
  add: (path: string, message: string, value?: unknown) => void,
): void {
  if (range.min === undefined && range.max === undefined) add(path, 'needs min, max or both');
  if (range.min !== undefined && range.max !== undefined && range.min > range.max) {
    add(`${path}.max`, `is below min ${range.min}`, range.max);
  }
}

function unitProblems(def: CohortDefinition): CohortProblem[] {
  const problems: CohortProblem[] = [];
  const check = (e: EventMatch, path: string) => {
    if (e.kind !== 'lab' || e.range === undefined) return;
    const r = convertLabRange(e.code, e.range, `${path}.range`);
    if ('problem' in r) problems.push(r.problem);
  };
  if (def.index) check(def.index.event, 'index.event');
  walkTree(def, (node, path) => {
    if (isEventCriterion(node)) check(node, path);
  });
  return problems;
}

function parseJsonText(text: string): unknown {
  if (text.length > JSON_TEXT_CHARS_MAX) {
    throw invalid([{ path: '(definition)', message: `is longer than ${JSON_TEXT_CHARS_MAX} characters` }]);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw invalid([{ path: '(definition)', message: `is not valid JSON: ${reason}` }]);
  }
}

/** Bounds the raw value before the recursive schema sees it: nesting depth and number of values. */
function jsonShapeProblem(value: unknown): CohortProblem | undefined {
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 1 }];
  let values = 0;
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    values++;
    if (values > JSON_VALUES_MAX) return { path: '(definition)', message: `holds more than ${JSON_VALUES_MAX} values` };
    if (top.depth > JSON_DEPTH_MAX)
      return { path: '(definition)', message: `nests deeper than ${JSON_DEPTH_MAX} levels` };
    if (top.v !== null && typeof top.v === 'object') {
      for (const child of Object.values(top.v)) stack.push({ v: child, depth: top.depth + 1 });
    }
  }
  return undefined;
}

/** `['criteria', 2, 'range', 'min']` → `criteria[2].range.min`. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(definition)' : out;
}

function invalid(problems: readonly CohortProblem[]): MeridianError {
  return new MeridianError(
    'MER_COHORT_INVALID',
    `Invalid cohort definition: ${describeProblems(problems)}`,
    problemDetails(problems),
  );
}

function unconvertible(problems: readonly CohortProblem[]): MeridianError {
  return new MeridianError(
    'MER_COHORT_UNIT_UNCONVERTIBLE',
    `Invalid cohort definition: ${describeProblems(problems)}`,
    problemDetails(problems),
  );
}

function isCalendarDate(text: string): boolean {
  if (!ISO_DATE.test(text)) return false;
  const [y, m, d] = text.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}
