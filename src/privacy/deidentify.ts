/**
 * Applies a de-identification spec to a record-level extract. An extract is rows keyed by output column,
 * each column declared as holding one DWD `table.field`, so the rule for that field applies whatever the
 * query that built the rows (a join of person and condition_occurrence, say). Pure: the project key, the
 * shift window and the reference date for ages come in the context, never from a clock or a random source.
 *
 *   rows ──planExtract(spec, columns)──► plan ──deidentifyExtract(rows, plan, ctx)──► released rows
 *                                                         (then suppressToK for the quasi-identifiers)
 */
import { MeridianError } from '../errors/registry.ts';
import type { DwdTable, FieldDef } from '../model/dwd.ts';
import { dateShiftDays, isoDateToDay, SHIFT_DAYS_MAX, shiftIsoDate, shiftTimestamp } from './date-shift.ts';
import { ageBand, ageYears, codePrefix, generalizeRare, regionPrefix, yearOf } from './generalize.ts';
import { assertProjectKey, pseudonym } from './keyed-hash.ts';
import { scrubText } from './scrub.ts';
import {
  type DeidSpec,
  type FieldRule,
  fieldDef,
  type GeneralizeRule,
  generalizeSteps,
  isDwdTable,
  ruleProblem,
  tableFieldNames,
  throwIfProblems,
} from './spec.ts';

/** The DWD field an extract column holds. */
export interface ExtractColumn {
  table: DwdTable;
  field: string;
}

/** One planned column: where it comes from and what happens to it. */
export interface PlannedColumn {
  column: string;
  source: ExtractColumn;
  def: FieldDef;
  rule: FieldRule;
}

/** A validated plan for one extract shape. */
export interface ExtractPlan {
  columns: readonly PlannedColumn[];
  /** The column holding the clear person key, when the extract has one (needed by date shifting). */
  personColumn: string | null;
}

/** What {@link deidentifyExtract} needs besides the rows and the plan. */
export interface DeidContext {
  /** The project's de-identification key (≥ 32 bytes): pseudonyms and date offsets derive from it. */
  projectKey: Uint8Array;
  /** Dates move by up to this many days either way (1 … {@link SHIFT_DAYS_MAX}). */
  maxShiftDays: number;
  /** The day ages are computed at (YYYY-MM-DD), e.g. the release date or the study's index date. */
  referenceDate: string;
  /** Names known for a person key (decrypted at the node), scrubbed from that person's free text. */
  knownNames?: ReadonlyMap<string, readonly string[]>;
}

/** Columns of an extract holding every field of one table under its own name. */
export function tableExtract(table: DwdTable): Record<string, ExtractColumn> {
  return Object.fromEntries(tableFieldNames(table).map((field) => [field, { table, field }]));
}

/**
 * Checks an extract's columns against the spec: every column must name a known table and field; a table the
 * spec does not release, or a field without a rule, is dropped. Throws MER_PRIVACY_SPEC_INVALID listing all
 * problems.
 */
export function planExtract(
  spec: DeidSpec,
  columns: Readonly<Record<string, { table: string; field: string }>>,
): ExtractPlan {
  const problems: string[] = [];
  const planned: PlannedColumn[] = [];
  let personColumn: string | null = null;
  for (const [column, source] of Object.entries(columns)) {
    if (!isDwdTable(source.table)) {
      problems.push(`column '${column}': unknown table '${source.table}'`);
      continue;
    }
    const def = fieldDef(source.table, source.field);
    if (def === null) {
      problems.push(`column '${column}': unknown field '${source.table}.${source.field}'`);
      continue;
    }
    const rule: FieldRule = spec.tables[source.table]?.[source.field] ?? 'drop';
    const problem = ruleProblem(source.table, source.field, def, rule);
    if (problem !== null) problems.push(`column '${column}': ${problem}`);
    if (source.field === 'person_id' && personColumn === null) personColumn = column;
    planned.push({ column, source: { table: source.table, field: source.field }, def, rule });
  }
  if (personColumn === null && planned.some((c) => c.rule === 'shift'))
    problems.push('date shifting needs a person_id column in the extract (the offset is per patient)');
  throwIfProblems('the extract', problems);
  return { columns: planned, personColumn };
}

function badValue(c: PlannedColumn, row: number, what: string): MeridianError {
  // The message names the column and row, never the value: it may be patient data.
  return new MeridianError(
    'MER_PRIVACY_BAD_VALUE',
    `row ${row}, column '${c.column}' (${c.source.table}.${c.source.field}): ${what}`,
    { column: c.column, row },
  );
}

function checkContext(ctx: DeidContext): void {
  assertProjectKey(ctx.projectKey);
  if (!Number.isInteger(ctx.maxShiftDays) || ctx.maxShiftDays < 1 || ctx.maxShiftDays > SHIFT_DAYS_MAX)
    throw new MeridianError(
      'MER_PRIVACY_INVALID_OPTION',
      `maxShiftDays must be a whole number from 1 to ${SHIFT_DAYS_MAX} (got ${ctx.maxShiftDays})`,
    );
  if (isoDateToDay(ctx.referenceDate) === null)
    throw new MeridianError('MER_PRIVACY_INVALID_OPTION', `referenceDate must be a YYYY-MM-DD date`);
}

/** The ISO date string of a DATE value (lake DATE values arrive as 'YYYY-MM-DD'). */
function asDate(c: PlannedColumn, row: number, value: unknown): string {
  if (typeof value !== 'string' || isoDateToDay(value) === null) throw badValue(c, row, 'not a YYYY-MM-DD date');
  return value;
}

/** A planned column whose values are released (its rule is not drop). */
type ReleasedColumn = PlannedColumn & { rule: Exclude<FieldRule, 'drop'> };

function transform(
  c: ReleasedColumn,
  row: number,
  value: unknown,
  personKey: string | null,
  ctx: DeidContext,
): unknown {
  const rule = c.rule;
  if (rule === 'keep') return value;
  if (rule === 'pseudonymize') return pseudonym(ctx.projectKey, c.source.field, String(value));
  if (rule === 'scrub') {
    if (typeof value !== 'string') throw badValue(c, row, 'not text');
    const knownNames = personKey === null ? undefined : ctx.knownNames?.get(personKey);
    return scrubText(value, knownNames === undefined ? {} : { knownNames }).text;
  }
  if (rule === 'shift') {
    if (personKey === null) throw badValue(c, row, 'the row has no person key to shift its dates by');
    const days = dateShiftDays({ key: ctx.projectKey, personKey, maxDays: ctx.maxShiftDays });
    if (c.def.type === 'DATE') return shiftIsoDate(asDate(c, row, value), days);
    const shifted = value instanceof Date ? shiftTimestamp(value, days) : null;
    if (shifted === null) throw badValue(c, row, 'not a timestamp');
    return shifted;
  }
  let out = value;
  for (const step of generalizeSteps(rule)) out = generalizeValue(c, row, step, out, ctx);
  return out;
}

/** One generalization step over one value (`rare` passes through: it needs the whole column). */
function generalizeValue(
  c: PlannedColumn,
  row: number,
  step: GeneralizeRule,
  value: unknown,
  ctx: DeidContext,
): unknown {
  switch (step.generalize) {
    case 'year':
      return yearOf(asDate(c, row, value));
    case 'age_band': {
      const age = ageYears(asDate(c, row, value), ctx.referenceDate);
      if (age === null || age < 0) throw badValue(c, row, 'the date is after the reference date');
      return ageBand(age, step);
    }
    case 'region': {
      const prefix = typeof value === 'string' ? regionPrefix(value, step.digits) : null;
      if (prefix === null) throw badValue(c, row, 'not a 6-digit region code');
      return prefix;
    }
    case 'code_prefix':
      if (typeof value !== 'string') throw badValue(c, row, 'not a code');
      return codePrefix(value, step.length);
    case 'rare':
      return value;
  }
}

/**
 * De-identifies rows (keyed by the plan's columns) under the plan: dropped columns disappear, nulls stay null,
 * every other value goes through its rule. Throws MER_PRIVACY_BAD_VALUE (naming row and column, never the
 * value) when a value does not fit its rule, so nothing half-transformed is ever released.
 */
export function deidentifyExtract(
  rows: readonly Readonly<Record<string, unknown>>[],
  plan: ExtractPlan,
  ctx: DeidContext,
): Record<string, unknown>[] {
  checkContext(ctx);
  const first = rows[0];
  if (first !== undefined)
    throwIfProblems(
      'the extract',
      plan.columns.filter((c) => !Object.hasOwn(first, c.column)).map((c) => `column '${c.column}' is not in the rows`),
    );
  const kept = plan.columns.filter((c): c is ReleasedColumn => c.rule !== 'drop');
  const out = rows.map((row, i) => {
    const personValue = plan.personColumn === null ? null : row[plan.personColumn];
    const personKey = personValue === null || personValue === undefined ? null : String(personValue);
    const next: Record<string, unknown> = {};
    for (const c of kept) {
      const value = row[c.column];
      next[c.column] = value === null || value === undefined ? null : transform(c, i, value, personKey, ctx);
    }
    return next;
  });
  for (const c of kept) {
    const last = generalizeSteps(c.rule).at(-1);
    if (last?.generalize !== 'rare') continue;
    const column = out.map((r) => r[c.column] ?? null);
    const general = generalizeRare(column, { min: last.min, other: last.other as unknown });
    out.forEach((r, i) => {
      r[c.column] = general[i];
    });
  }
  return out;
}
