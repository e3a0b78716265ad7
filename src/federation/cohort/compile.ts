/**
 * Compiles a cohort definition to one DuckDB query over the lake's DWD views; pure (no I/O, no clock). Every value
 * from the definition travels as a positional parameter ($1, $2, …); the SQL text holds only table and column
 * names of the canonical model and fixed keywords. The query is person-level and reads each table once:
 *
 * ```
 * idx       first matching index event per person (min date) [inside the calendar window]   ← index event table
 * p         one row per person of `person` [joined to idx]; one boolean column per age/sex criterion
 * t_<table> one row per person with a matching event of any criterion on that table; one column per criterion:
 *             any, at least 1   bool_or(match ∧ calendar ∧ window)
 *             any, at least N   count(distinct event date) filter (match ∧ calendar ∧ window)
 *             first             min(event date) filter (match); calendar and window are checked on it
 * result    p ⟕ t_<table> … where <the tree as a boolean expression over those columns>
 * ```
 *
 * Every leaf is coalesced to false, so NOT is a plain person-level negation ("has no such event"). A table the lake
 * lacks is an empty relation of its canonical columns (as in quality/compile.ts).
 */
import { DWD_TABLES, type DwdTable, lakeColumns } from '../../model/dwd.ts';
import type { LakeParam } from '../../store/index.ts';
import {
  type CohortDefinition,
  type CohortNode,
  type Criterion,
  type EventCriterion,
  type EventKind,
  type EventMatch,
  parseCohort,
  standardLabRange,
  type ValueRange,
} from './schema.ts';

/** One statement and its positional parameters ($1, $2, …). */
export interface CompiledCohortSql {
  sql: string;
  params: LakeParam[];
}

/** What the compiler needs to know about the lake. */
export interface CompileCohortOptions {
  /** Tables the lake holds now (`await lake.tables()`); absent ones read as empty. Default: every DWD table. */
  present?: ReadonlySet<string>;
}

/** Where each kind of event lives: its table, and the expression of its clinical date (a DATE) on alias `e`. */
export const EVENT_SOURCES: Readonly<Record<EventKind, { table: DwdTable; date: string }>> = {
  diagnosis: { table: 'condition_occurrence', date: 'e.condition_date' },
  // measured_at is a UTC instant; the clinical day is the day in Beijing time (UTC+8, no daylight saving).
  lab: { table: 'measurement', date: "cast(e.measured_at + interval '8 hours' as date)" },
  drug: { table: 'drug_exposure', date: 'e.start_date' },
  procedure: { table: 'procedure_occurrence', date: 'e.procedure_date' },
  visit: { table: 'visit_occurrence', date: 'e.start_date' },
  observation: { table: 'observation', date: 'e.observed_on' },
  death: { table: 'death', date: 'e.death_date' },
};

/**
 * The cohort's members: one row per person, `person_id` (and `index_date`, a DATE, when the definition has an index
 * event), ordered by person_id. The definition is validated again (cheap), so an unchecked object fails loudly.
 *
 * @example
 * const def = parseCohort(body);
 * const { sql, params } = compileCohort(def, { present: new Set(await lake.tables()) });
 * const rows = await lake.query<{ person_id: string; index_date: string }>(sql, params);
 */
export function compileCohort(def: CohortDefinition, options: CompileCohortOptions = {}): CompiledCohortSql {
  const q = buildQuery(parseCohort(def), options);
  const columns = q.hasIndex ? 'p.person_id, p.index_date' : 'p.person_id';
  return { sql: `${q.with} select ${columns} ${q.from} where ${q.where} order by p.person_id`, params: q.params };
}

/** The cohort's size: one row `{ n }` (a BIGINT), from the same plan as {@link compileCohort}. */
export function compileCohortCount(def: CohortDefinition, options: CompileCohortOptions = {}): CompiledCohortSql {
  const q = buildQuery(parseCohort(def), options);
  return { sql: `${q.with} select count(*)::bigint as n ${q.from} where ${q.where}`, params: q.params };
}

interface QueryParts {
  with: string;
  from: string;
  where: string;
  params: LakeParam[];
  hasIndex: boolean;
}

/** One aggregate column of a per-table CTE. */
interface Column {
  name: string;
  /** The aggregate expression. */
  aggregate: string;
  /** A predicate the row must meet to matter to this column (ORed into the CTE's WHERE). */
  rowFilter: string;
}

function buildQuery(def: CohortDefinition, options: CompileCohortOptions): QueryParts {
  const p = new Params();
  const present = options.present ?? new Set<string>(Object.keys(DWD_TABLES));
  const rel = (table: DwdTable) => relation(table, present);
  const hasIndex = def.index !== undefined;
  const calendar = def.calendar ?? {};
  const ctes: string[] = [];
  const joinIdx = hasIndex ? ' join idx i on i.person_id = e.person_id' : '';

  if (def.index) {
    const { table, date } = EVENT_SOURCES[def.index.event.kind];
    const match = matchPredicate(def.index.event, p, 'index.event');
    const having = calendarPredicate(`min(${date})`, calendar, p);
    ctes.push(
      `idx as (select e.person_id, min(${date}) as index_date from ${rel(table)} e where e.person_id is not null and ${match} group by e.person_id${having === 'true' ? '' : ` having ${having}`})`,
    );
  }

  const personColumns: string[] = [];
  const tableColumns = new Map<DwdTable, Column[]>();
  let next = 0;
  const leaf = (node: Criterion, path: string): string => {
    const name = `c${next++}`;
    if (node.kind === 'sex') {
      personColumns.push(`bool_or(e.gender in (${node.values.map((v) => p.add(v)).join(', ')})) as ${name}`);
      return `coalesce(p.${name}, false)`;
    }
    if (node.kind === 'age') {
      const at = node.at === 'index' ? 'i.index_date' : `cast(${p.add(node.at)} as date)`;
      const age = ageExpression(at);
      const bounds: string[] = [];
      if (node.range.min !== undefined) bounds.push(`${age} >= ${p.add(node.range.min)}::integer`);
      if (node.range.max !== undefined) bounds.push(`${age} <= ${p.add(node.range.max)}::integer`);
      personColumns.push(`bool_or(${bounds.join(' and ')}) as ${name}`);
      return `coalesce(p.${name}, false)`;
    }
    const { table, column, expression } = eventColumn(node, name, path, calendar, p);
    const t = `t_${table}`;
    const list = tableColumns.get(table) ?? [];
    list.push(column);
    tableColumns.set(table, list);
    return expression(t);
  };
  const where =
    def.criteria.length === 0 ? 'true' : andAll(def.criteria.map((n, i) => tree(n, `criteria[${i}]`, leaf)));

  const indexColumn = hasIndex ? ', min(i.index_date) as index_date' : '';
  ctes.push(
    `p as (select e.person_id${indexColumn}${personColumns.map((c) => `, ${c}`).join('')} from ${rel('person')} e${joinIdx} where e.person_id is not null group by e.person_id)`,
  );
  const joins: string[] = [];
  for (const [table, columns] of tableColumns) {
    const t = `t_${table}`;
    const aggregates = columns.map((c) => `, ${c.aggregate} as ${c.name}`).join('');
    const filter = columns.map((c) => `(${c.rowFilter})`).join(' or ');
    ctes.push(
      `${t} as (select e.person_id${aggregates} from ${rel(table)} e${joinIdx} where e.person_id is not null and (${filter}) group by e.person_id)`,
    );
    joins.push(` left join ${t} on ${t}.person_id = p.person_id`);
  }
  return { with: `with ${ctes.join(', ')}`, from: `from p${joins.join('')}`, where, params: p.values, hasIndex };
}

/** The tree as a boolean SQL expression; leaves are compiled by `leaf`. */
function tree(node: CohortNode, path: string, leaf: (node: Criterion, path: string) => string): string {
  switch (node.kind) {
    case 'and':
      return andAll(node.criteria.map((n, i) => tree(n, `${path}.criteria[${i}]`, leaf)));
    case 'or':
      return `(${node.criteria.map((n, i) => tree(n, `${path}.criteria[${i}]`, leaf)).join(' or ')})`;
    case 'not':
      return `(not ${tree(node.criterion, `${path}.criterion`, leaf)})`;
    default:
      return leaf(node, path);
  }
}

function andAll(parts: readonly string[]): string {
  return parts.length === 1 ? (parts[0] as string) : `(${parts.join(' and ')})`;
}

/** The aggregate column of one event criterion and the leaf expression over its CTE. */
function eventColumn(
  c: EventCriterion,
  name: string,
  path: string,
  calendar: { from?: string | undefined; to?: string | undefined },
  p: Params,
): { table: DwdTable; column: Column; expression: (t: string) => string } {
  const { table, date } = EVENT_SOURCES[c.kind];
  const match = matchPredicate(c, p, path);
  if (c.occurrence === 'first') {
    const first = (t: string) => `${t}.${name}`;
    return {
      table,
      column: { name, aggregate: `min(${date}) filter (where ${match})`, rowFilter: match },
      expression: (t) => {
        const checks = [
          calendarPredicate(first(t), calendar, p),
          windowPredicate(first(t), c.window, p, 'p.index_date'),
        ].filter((x) => x !== 'true');
        return checks.length === 0 ? `(${first(t)} is not null)` : `coalesce(${checks.join(' and ')}, false)`;
      },
    };
  }
  const counted = [match, calendarPredicate(date, calendar, p), windowPredicate(date, c.window, p, 'i.index_date')]
    .filter((x) => x !== 'true')
    .join(' and ');
  const atLeast = c.atLeast ?? 1;
  if (atLeast === 1) {
    return {
      table,
      column: { name, aggregate: `bool_or(${counted})`, rowFilter: counted },
      expression: (t) => `coalesce(${t}.${name}, false)`,
    };
  }
  const n = p.add(atLeast);
  return {
    table,
    column: { name, aggregate: `count(distinct ${date}) filter (where ${counted})`, rowFilter: counted },
    expression: (t) => `coalesce(${t}.${name} >= ${n}::integer, false)`,
  };
}

/** The predicate on an event row `e`: its codes or values match, and it has a date. */
function matchPredicate(m: EventMatch, p: Params, path: string): string {
  const parts: string[] = [];
  switch (m.kind) {
    case 'diagnosis':
      parts.push(codePredicate('e.condition_code', m.codes, m.descendants === true, p));
      break;
    case 'drug':
      parts.push(codePredicate('e.atc_code', m.codes, m.descendants === true, p));
      break;
    case 'procedure':
      parts.push(codePredicate('e.procedure_code', m.codes, m.descendants === true, p));
      break;
    case 'death':
      if (m.causes) parts.push(codePredicate('e.cause_code', m.causes, m.descendants === true, p));
      break;
    case 'lab':
      parts.push(`e.measurement_code = ${p.add(m.code)}`);
      if (m.range) parts.push(rangePredicate('e.value', standardLabRange(m.code, m.range, `${path}.range`), p));
      break;
    case 'observation':
      parts.push(`e.observation_code = ${p.add(m.code)}`);
      if (m.text)
        parts.push(
          `e.value_text in (${unique(m.text)
            .map((v) => p.add(v))
            .join(', ')})`,
        );
      if (m.range) parts.push(rangePredicate('e.value_number', m.range, p));
      break;
    case 'visit':
      parts.push(
        `e.visit_type in (${unique(m.types)
          .map((v) => p.add(v))
          .join(', ')})`,
      );
      break;
  }
  parts.push(`${EVENT_SOURCES[m.kind].date} is not null`);
  return parts.join(' and ');
}

/** Exact codes as one IN list; with descendants, a prefix test per code (a code under another one is dropped). */
function codePredicate(column: string, codes: readonly string[], descendants: boolean, p: Params): string {
  const distinct = unique(codes);
  if (!descendants) return `${column} in (${distinct.map((c) => p.add(c)).join(', ')})`;
  const roots = distinct.filter((c) => !distinct.some((other) => other !== c && c.startsWith(other)));
  const tests = roots.map((c) => `starts_with(${column}, ${p.add(c)})`);
  return tests.length === 1 ? (tests[0] as string) : `(${tests.join(' or ')})`;
}

function rangePredicate(column: string, r: ValueRange, p: Params): string {
  const parts: string[] = [];
  if (r.min !== undefined) parts.push(`${column} ${r.minExclusive ? '>' : '>='} ${p.add(r.min)}::double`);
  if (r.max !== undefined) parts.push(`${column} ${r.maxExclusive ? '<' : '<='} ${p.add(r.max)}::double`);
  return parts.length === 0 ? `${column} is not null` : parts.join(' and ');
}

function calendarPredicate(
  date: string,
  calendar: { from?: string | undefined; to?: string | undefined },
  p: Params,
): string {
  const parts: string[] = [];
  if (calendar.from !== undefined) parts.push(`${date} >= cast(${p.add(calendar.from)} as date)`);
  if (calendar.to !== undefined) parts.push(`${date} <= cast(${p.add(calendar.to)} as date)`);
  return parts.length === 0 ? 'true' : parts.join(' and ');
}

function windowPredicate(
  date: string,
  window: { start: number; end: number } | undefined,
  p: Params,
  indexDate: string,
): string {
  if (window === undefined) return 'true';
  return `${date} >= ${indexDate} + ${p.add(window.start)}::integer and ${date} <= ${indexDate} + ${p.add(window.end)}::integer`;
}

/**
 * Age in whole years at `at`: from birth_date, one less before the birthday (month and day) is reached; from
 * year_of_birth alone when birth_date is missing (the age reached during that year).
 */
function ageExpression(at: string): string {
  return `(case when e.birth_date is not null then year(${at}) - year(e.birth_date) - (case when month(${at}) * 100 + day(${at}) < month(e.birth_date) * 100 + day(e.birth_date) then 1 else 0 end) else year(${at}) - e.year_of_birth end)`;
}

/** A table the lake has, or an empty relation with its canonical columns. */
function relation(table: DwdTable, present: ReadonlySet<string>): string {
  if (present.has(table)) return `"${table}"`;
  const columns = Object.entries(lakeColumns(table)).map(([name, type]) => `cast(null as ${type}) as "${name}"`);
  return `(select ${columns.join(', ')} where false)`;
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

class Params {
  readonly values: LakeParam[] = [];

  add(value: LakeParam): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}
