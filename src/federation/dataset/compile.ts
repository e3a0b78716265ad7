/**
 * Compiles analysis variables over a cohort to one DuckDB query over the lake's DWD views: one row per cohort person,
 * `person_id` plus one column per variable (two for survival). Pure (no I/O, no clock). Every value from the
 * variables travels as a positional parameter numbered after the cohort query's own ($k+1, $k+2, …); the SQL text
 * holds only canonical table and column names, validated variable names and fixed keywords. Each table is read
 * once, joined to the (materialized) cohort on person_id and aggregated per person with one FILTERed aggregate
 * per variable; there is no per-row subquery:
 *
 * ```
 * cohort                 person_id, index_date (DATE)  ← the cohort query, one row per person (earliest index)
 * t_person               birth date, sex                (when an age or sex variable asks)
 * t_measurement          arg_min / arg_max / min / max / avg per variable, over its code and window
 * t_condition_occurrence any-in-window flags, first day in window, first event date on/after index
 * t_observation, t_drug_exposure, t_procedure_occurrence, t_death, t_visit_occurrence   likewise
 * result                 cohort ⟕ t_… on person_id, ordered by person_id; missing values stay NULL
 * ```
 *
 * A table the lake lacks is an empty relation of its canonical columns (as in quality/compile.ts), so a hospital
 * without, say, any death simply has no deaths.
 */

import { MeridianError } from '../../errors/registry.ts';
import { DWD_TABLES, type DwdTable, lakeColumns } from '../../model/dwd.ts';
import type { LakeParam } from '../../store/index.ts';
import {
  type AnalysisVariable,
  type DatasetColumnType,
  needsIndex,
  parseVariables,
  unitChange,
  type ValuePick,
  variableColumns,
  type Window,
} from './schema.ts';

/** Longest cohort SQL accepted, in characters. */
export const COHORT_SQL_CHARS_MAX = 1_000_000;
/** Most positional parameters a cohort query may carry. */
export const COHORT_PARAMS_MAX = 10_000;

/** The compiled cohort: a query returning `(person_id VARCHAR, index_date DATE NULL)`, with parameters $1, $2, …. */
export interface CohortQuery {
  sql: string;
  params: readonly LakeParam[];
}

/** One column of the analysis table. */
export interface DatasetColumn {
  name: string;
  type: DatasetColumnType;
}

/** The analysis-table query: the cohort's parameters first, then the variables'. */
export interface CompiledDataset {
  sql: string;
  params: LakeParam[];
  /** Every result column in order, `person_id` first. */
  columns: DatasetColumn[];
}

/** What the compiler needs to know about the lake. */
export interface CompileDatasetOptions {
  /** Tables the lake holds now (`await lake.tables()`); absent ones read as empty. Default: every DWD table. */
  present?: ReadonlySet<string>;
}

/** The clinical day of a measurement: measured_at is a UTC instant, the day is Beijing's (UTC+8, no DST). */
const MEASURED_DAY = "cast(e.measured_at + interval '8 hours' as date)";

/**
 * Compiles the analysis table of `variables` over `cohort`. The variables are validated again (cheap), so an
 * unchecked list fails loudly with MER_DATASET_INVALID; a malformed cohort query fails the same way.
 *
 * @example
 * const cohort = compileCohort(definition, { present });          // { sql, params }: person_id, index_date
 * const table = compileDataset(cohort, variables, { present });
 * const rows = await lake.query(table.sql, table.params);          // one row per cohort person
 */
export function compileDataset(
  cohort: CohortQuery,
  variables: readonly AnalysisVariable[],
  options: CompileDatasetOptions = {},
): CompiledDataset {
  checkCohort(cohort);
  const list = parseVariables(variables);
  const present = options.present ?? new Set<string>(Object.keys(DWD_TABLES));
  const b = new Builder(cohort.params.length);
  const selects: string[] = [];
  const columns: DatasetColumn[] = [{ name: 'person_id', type: 'VARCHAR' }];
  list.forEach((v, i) => {
    const exprs = variableSql(v, i, b);
    variableColumns(v).forEach((column, k) => {
      selects.push(`cast(${exprs[k] as string} as ${column.type}) as ${q(column.name)}`);
      columns.push(column);
    });
  });
  const empty = 'select cast(null as varchar) as person_id, cast(null as date) as index_date where false';
  const ctes = [
    `cohort as materialized (select cast(k.person_id as varchar) as person_id, min(cast(k.index_date as date)) as index_date from (select * from (${cohort.sql}) union all by name (${empty})) k where k.person_id is not null group by k.person_id)`,
  ];
  const joins: string[] = [];
  for (const [table, aggregates] of b.tables) {
    const t = cteName(table);
    const columnsSql = aggregates.map((a) => `, ${a.aggregate} as ${a.name}`).join('');
    const filters = aggregates.map((a) => a.rowFilter);
    const where = filters.includes('true') ? '' : ` and (${[...new Set(filters)].map((f) => `(${f})`).join(' or ')})`;
    ctes.push(
      `${t} as (select e.person_id${columnsSql} from ${relation(table, present)} e join cohort c on c.person_id = e.person_id where e.person_id is not null${where} group by e.person_id)`,
    );
    joins.push(` left join ${t} on ${t}.person_id = c.person_id`);
  }
  const sql = `with ${ctes.join(', ')} select c.person_id, ${selects.join(', ')} from cohort c${joins.join('')} order by c.person_id`;
  return { sql, params: [...cohort.params, ...b.params], columns };
}

/** One aggregate column of a per-table CTE. */
interface Aggregate {
  name: string;
  aggregate: string;
  /** Rows this aggregate reads (ORed into the CTE's WHERE). */
  rowFilter: string;
}

/** Collects parameters (numbered after the cohort's) and the per-table aggregates the variables need. */
class Builder {
  readonly params: LakeParam[] = [];
  readonly tables = new Map<DwdTable, Aggregate[]>();
  readonly #offset: number;
  readonly #shared = new Map<string, string>();
  #next = 0;

  constructor(offset: number) {
    this.#offset = offset;
  }

  /** A positional parameter for `value`. */
  add(value: LakeParam): string {
    this.params.push(value);
    return `$${this.#offset + this.params.length}`;
  }

  /** Adds an aggregate to a table's CTE and returns the qualified column to read it from. */
  aggregate(table: DwdTable, aggregate: string, rowFilter: string): string {
    const name = `a${this.#next++}`;
    const list = this.tables.get(table) ?? [];
    list.push({ name, aggregate, rowFilter });
    this.tables.set(table, list);
    return `${cteName(table)}.${name}`;
  }

  /** Like {@link aggregate}, but one column per `key` however many variables ask for it. */
  shared(key: string, table: DwdTable, aggregate: string, rowFilter: string): string {
    const known = this.#shared.get(key);
    if (known !== undefined) return known;
    const column = this.aggregate(table, aggregate, rowFilter);
    this.#shared.set(key, column);
    return column;
  }
}

/** The SELECT expressions of one variable, one per output column. */
function variableSql(v: AnalysisVariable, index: number, b: Builder): string[] {
  // A windowed or index-relative value is unknown (NULL) for a person without an index date, never 0.
  const unknownWithoutIndex = (expr: string) =>
    needsIndex(v) ? `case when c.index_date is null then null else ${expr} end` : expr;
  switch (v.kind) {
    case 'age': {
      const birth = personBirthDate(b);
      const at = v.at === undefined || v.at === 'index' ? 'c.index_date' : `cast(${b.add(v.at)} as date)`;
      return [
        `year(${at}) - year(${birth}) - (case when month(${at}) * 100 + day(${at}) < month(${birth}) * 100 + day(${birth}) then 1 else 0 end)`,
      ];
    }
    case 'sex': {
      const sex = personSex(b);
      if (v.level === undefined) return [sex];
      // 'U' (unknown) is a missing value for an indicator of M or F.
      return [
        `case when ${sex} is null then null when ${sex} = ${b.add(v.level)} then 1 when ${sex} = 'U' then null else 0 end`,
      ];
    }
    case 'measurement': {
      const day = `(${MEASURED_DAY} - c.index_date)`;
      const filter = [
        `e.measurement_code = ${b.add(v.code)}`,
        'e.value is not null',
        'e.measured_at is not null',
        ...windowParts(day, v.window, v.value === 'nearest', b),
      ].join(' and ');
      const value = b.aggregate(
        'measurement',
        `${pickAggregate(v.value, 'e.value', day, 'e.measured_at', 'epoch_us(e.measured_at)')} filter (where ${filter})`,
        filter,
      );
      let out = value;
      const change = unitChange(v, index);
      if (change !== null) out = `((${out} - ${b.add(change.offset)}::double) / ${b.add(change.factor)}::double)`;
      if (v.decimals !== undefined) out = `round(${out}, ${b.add(v.decimals)}::integer)`;
      return [out];
    }
    case 'condition': {
      const day = '(e.condition_date - c.index_date)';
      const filter = [
        codePredicate('e.condition_code', v.codes, v.descendants === true, b),
        'e.condition_date is not null',
        ...windowParts(day, v.window, v.value === 'first_day', b),
      ].join(' and ');
      if (v.value === 'first_day')
        return [b.aggregate('condition_occurrence', `min(${day}) filter (where ${filter})`, filter)];
      return [
        unknownWithoutIndex(
          `coalesce(${b.aggregate('condition_occurrence', `max(1) filter (where ${filter})`, filter)}, 0)`,
        ),
      ];
    }
    case 'observation': {
      const day = '(e.observed_on - c.index_date)';
      const base = [`e.observation_code = ${b.add(v.code)}`, 'e.observed_on is not null'];
      const windowed = windowParts(day, v.window, v.value === 'nearest', b);
      if (v.value === 'indicator') {
        const filter = [...base, 'e.value_text is not null', ...windowed].join(' and ');
        const texts = [...new Set(v.text ?? [])].map((t) => b.add(t)).join(', ');
        return [
          b.aggregate(
            'observation',
            `max(case when e.value_text in (${texts}) then 1 else 0 end) filter (where ${filter})`,
            filter,
          ),
        ];
      }
      const filter = [...base, 'e.value_number is not null', ...windowed].join(' and ');
      return [
        b.aggregate(
          'observation',
          `${pickAggregate(v.value, 'e.value_number', day, 'e.observed_on', null)} filter (where ${filter})`,
          filter,
        ),
      ];
    }
    case 'drug': {
      // An exposure is the period [start_date, end_date] (one day without an end date); it counts if it overlaps.
      const stop = 'greatest(e.start_date, coalesce(e.end_date, e.start_date))';
      const parts = [codePredicate('e.atc_code', v.codes, true, b), 'e.start_date is not null'];
      if (v.window?.end !== undefined) parts.push(`(e.start_date - c.index_date) <= ${b.add(v.window.end)}::integer`);
      if (v.window?.start !== undefined) parts.push(`(${stop} - c.index_date) >= ${b.add(v.window.start)}::integer`);
      const filter = parts.join(' and ');
      return [
        unknownWithoutIndex(`coalesce(${b.aggregate('drug_exposure', `max(1) filter (where ${filter})`, filter)}, 0)`),
      ];
    }
    case 'procedure': {
      const day = '(e.procedure_date - c.index_date)';
      const filter = [
        codePredicate('e.procedure_code', v.codes, v.descendants === true, b),
        'e.procedure_date is not null',
        ...windowParts(day, v.window, false, b),
      ].join(' and ');
      return [
        unknownWithoutIndex(
          `coalesce(${b.aggregate('procedure_occurrence', `max(1) filter (where ${filter})`, filter)}, 0)`,
        ),
      ];
    }
    case 'death': {
      const died = deathDate(b);
      const inWindow = [`${died} is not null`, ...windowParts(`(${died} - c.index_date)`, v.window, false, b)].join(
        ' and ',
      );
      if (v.value === 'days') return [`case when ${inWindow} then ${died} - c.index_date end`];
      return [unknownWithoutIndex(`case when ${inWindow} then 1 else 0 end`)];
    }
    case 'survival':
      return survivalSql(v, b);
  }
}

/**
 * Time to the first event on or after the index date; with no event (or one after `endDate`), the time to the
 * censoring date: the last visit (start or end date, whichever is later; capped by `endDate` when given) or
 * `endDate`. No index date, or a censoring date before it: both columns NULL.
 */
function survivalSql(v: Extract<AnalysisVariable, { kind: 'survival' }>, b: Builder): string[] {
  let event: string;
  if (v.event.kind === 'death') {
    event = b.shared(
      'death.after_index',
      'death',
      'min(e.death_date) filter (where e.death_date >= c.index_date)',
      'e.death_date is not null',
    );
  } else {
    const filter = `${codePredicate('e.condition_code', v.event.codes, v.event.descendants === true, b)} and e.condition_date >= c.index_date`;
    event = b.aggregate('condition_occurrence', `min(e.condition_date) filter (where ${filter})`, filter);
  }
  const end = v.endDate === undefined ? null : `cast(${b.add(v.endDate)} as date)`;
  let censor: string;
  if (v.censor === 'end_date') censor = end as string;
  else {
    const last = b.shared(
      'visit.last',
      'visit_occurrence',
      'max(greatest(e.start_date, coalesce(e.end_date, e.start_date)))',
      'e.start_date is not null',
    );
    // least() skips NULLs in DuckDB: a person without a visit has no censoring date, whatever the end date.
    censor = end === null ? last : `(case when ${last} is not null then least(${last}, ${end}) end)`;
  }
  const hasEvent = end === null ? `${event} is not null` : `${event} is not null and ${event} <= ${end}`;
  const time = `case when c.index_date is null then null when ${hasEvent} then ${event} - c.index_date when ${censor} is null or ${censor} < c.index_date then null else ${censor} - c.index_date end`;
  const status = `case when c.index_date is null then null when ${hasEvent} then 1 when ${censor} is null or ${censor} < c.index_date then null else 0 end`;
  return [time, status];
}

/** The person's birth date when their person rows agree on it (duplicates do), else NULL. */
function personBirthDate(b: Builder): string {
  return b.shared(
    'person.birth_date',
    'person',
    'case when min(e.birth_date) = max(e.birth_date) then min(e.birth_date) end',
    'true',
  );
}

/** The person's sex (M/F/U) when their person rows agree on it, else NULL. */
function personSex(b: Builder): string {
  return b.shared('person.gender', 'person', 'case when min(e.gender) = max(e.gender) then min(e.gender) end', 'true');
}

/** The person's (earliest) death date. */
function deathDate(b: Builder): string {
  return b.shared('death.date', 'death', 'min(e.death_date)', 'e.death_date is not null');
}

/**
 * The aggregate picking one value (without its FILTER): first/last by `time` (ties: the smaller value), nearest to
 * the index by |days| (ties: the side before the index, then the `instant` closest to it, then the smaller value),
 * or min/max/mean. `instant` orders events within a day; null when the table has dates only.
 */
function pickAggregate(pick: ValuePick, value: string, day: string, time: string, instant: string | null): string {
  switch (pick) {
    case 'first':
      return `arg_min(${value}, {'t': ${time}, 'v': ${value}})`;
    case 'last':
      return `arg_max(${value}, {'t': ${time}, 'v': -${value}})`;
    case 'nearest': {
      const within = instant === null ? '' : `, 'o': case when ${day} < 0 then -${instant} else ${instant} end`;
      return `arg_min(${value}, {'a': abs(${day}), 'after': ${day} > 0${within}, 'v': ${value}})`;
    }
    case 'min':
      return `min(${value})`;
    case 'max':
      return `max(${value})`;
    case 'mean':
      return `avg(${value})`;
  }
}

/** The window as predicates on a day offset (inclusive ends); `needDay` also requires the offset to exist. */
function windowParts(day: string, window: Window | undefined, needDay: boolean, b: Builder): string[] {
  const parts: string[] = [];
  if (window?.start !== undefined) parts.push(`${day} >= ${b.add(window.start)}::integer`);
  if (window?.end !== undefined) parts.push(`${day} <= ${b.add(window.end)}::integer`);
  if (needDay || (window !== undefined && parts.length === 0)) parts.push(`${day} is not null`);
  return parts;
}

/** Exact codes as one IN list; with descendants, a prefix test per code (a code under another one is dropped). */
function codePredicate(column: string, codes: readonly string[], descendants: boolean, b: Builder): string {
  const distinct = [...new Set(codes)];
  if (!descendants) return `${column} in (${distinct.map((c) => b.add(c)).join(', ')})`;
  const roots = distinct.filter((c) => !distinct.some((other) => other !== c && c.startsWith(other)));
  const tests = roots.map((c) => `starts_with(${column}, ${b.add(c)})`);
  return tests.length === 1 ? (tests[0] as string) : `(${tests.join(' or ')})`;
}

function checkCohort(cohort: CohortQuery): void {
  const fail = (field: string, message: string, value?: unknown): never => {
    throw new MeridianError('MER_DATASET_INVALID', `Invalid cohort query: cohort.${field} ${message}`, {
      field: `cohort.${field}`,
      ...(value === undefined ? {} : { value }),
    });
  };
  if (cohort === null || typeof cohort !== 'object') fail('sql', 'is missing: the cohort must be { sql, params }');
  const { sql, params } = cohort;
  if (typeof sql !== 'string' || sql.trim() === '') fail('sql', 'is not a non-empty SQL string');
  if (sql.length > COHORT_SQL_CHARS_MAX) fail('sql', `is longer than ${COHORT_SQL_CHARS_MAX} characters`, sql.length);
  if (/;\s*$/.test(sql)) fail('sql', 'ends with a semicolon; give one SELECT statement without it');
  if (!Array.isArray(params)) fail('params', 'is not a list');
  if (params.length > COHORT_PARAMS_MAX) fail('params', `has more than ${COHORT_PARAMS_MAX} items`, params.length);
  params.forEach((value, i) => {
    const ok =
      value === null ||
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      typeof value === 'bigint' ||
      (typeof value === 'number' && Number.isFinite(value)) ||
      (value instanceof Date && !Number.isNaN(value.getTime()));
    if (!ok) fail(`params[${i}]`, 'is not a string, finite number, bigint, boolean, valid Date or null');
  });
  // DuckDB numbers a statement's parameters by the placeholders it holds, so every $1 … $k must appear.
  const used = new Set<number>();
  for (const m of sql.matchAll(/\$(\d+)/g)) used.add(Number(m[1]));
  const highest = Math.max(0, ...used);
  if (highest > params.length)
    fail('params', `has ${params.length} item(s), but cohort.sql uses $${highest}`, params.length);
  for (let i = 1; i <= params.length; i++) {
    if (!used.has(i)) fail(`params[${i - 1}]`, `is not used: cohort.sql has no $${i}`);
  }
}

/** A table the lake has, or an empty relation with its canonical columns. */
function relation(table: DwdTable, present: ReadonlySet<string>): string {
  if (present.has(table)) return q(table);
  const columns = Object.entries(lakeColumns(table)).map(([name, type]) => `cast(null as ${type}) as ${q(name)}`);
  return `(select ${columns.join(', ')} where false)`;
}

function cteName(table: DwdTable): string {
  return `t_${table}`;
}

function q(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
