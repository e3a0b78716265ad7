/**
 * A reference evaluator of cohort definitions in plain TypeScript over in-memory DWD rows, written from the
 * semantics in src/federation/cohort/README.md and sharing no code with the SQL compiler: the property test checks
 * that the compiled SQL and this agree on random trees and random rows.
 */

import type {
  CohortDefinition,
  CohortNode,
  EventMatch,
  LabRange,
  ValueRange,
} from '../../../src/federation/cohort/index.ts';
import { analyteOfCode, normalizeUnit, STANDARD_UNIT, toStandardUnit } from '../../../src/pipeline/units.ts';

/** A DWD row: dates as 'YYYY-MM-DD', measured_at as an ISO instant ('…Z'), null for missing. */
export type Row = Record<string, string | number | boolean | null>;

/** Rows per DWD table. */
export type Dataset = Partial<Record<string, readonly Row[]>>;

/** One member of a cohort. */
export interface Member {
  person_id: string;
  index_date?: string;
}

const DAY_MS = 86_400_000;
const BEIJING_OFFSET_MS = 8 * 3_600_000;

/** Days since 1970-01-01 of a 'YYYY-MM-DD'. */
export function dayNumber(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / DAY_MS;
}

function eventDay(kind: EventMatch['kind'], row: Row): number | null {
  const v = row[DATE_FIELD[kind]];
  if (v === null || v === undefined) return null;
  if (kind === 'lab') return Math.floor((Date.parse(String(v)) + BEIJING_OFFSET_MS) / DAY_MS);
  return dayNumber(String(v));
}

const TABLE: Record<EventMatch['kind'], string> = {
  diagnosis: 'condition_occurrence',
  lab: 'measurement',
  drug: 'drug_exposure',
  procedure: 'procedure_occurrence',
  visit: 'visit_occurrence',
  observation: 'observation',
  death: 'death',
};

const DATE_FIELD: Record<EventMatch['kind'], string> = {
  diagnosis: 'condition_date',
  lab: 'measured_at',
  drug: 'start_date',
  procedure: 'procedure_date',
  visit: 'start_date',
  observation: 'observed_on',
  death: 'death_date',
};

function codeMatches(value: unknown, codes: readonly string[], descendants: boolean | undefined): boolean {
  if (typeof value !== 'string') return false;
  return codes.some((c) => (descendants ? value.startsWith(c) : value === c));
}

function inRange(value: unknown, r: ValueRange): boolean {
  if (typeof value !== 'number') return false;
  if (r.min !== undefined && (r.minExclusive ? !(value > r.min) : !(value >= r.min))) return false;
  if (r.max !== undefined && (r.maxExclusive ? !(value < r.max) : !(value <= r.max))) return false;
  return true;
}

function labRange(code: string, range: LabRange): ValueRange {
  const { unit, ...bounds } = range;
  if (unit === undefined) return bounds;
  const analyte = analyteOfCode(code);
  const normalized = normalizeUnit(unit);
  if (analyte === undefined || normalized === null) throw new Error(`test data: no conversion for ${code} ${unit}`);
  if (normalized === STANDARD_UNIT[analyte]) return bounds;
  const convert = (v: number) => {
    const c = toStandardUnit(analyte, v, normalized);
    if (!c.ok) throw new Error(c.reason);
    return c.value;
  };
  return {
    ...bounds,
    ...(bounds.min === undefined ? {} : { min: convert(bounds.min) }),
    ...(bounds.max === undefined ? {} : { max: convert(bounds.max) }),
  };
}

function matches(m: EventMatch, row: Row): boolean {
  if (eventDay(m.kind, row) === null) return false;
  switch (m.kind) {
    case 'diagnosis':
      return codeMatches(row.condition_code, m.codes, m.descendants);
    case 'drug':
      return codeMatches(row.atc_code, m.codes, m.descendants);
    case 'procedure':
      return codeMatches(row.procedure_code, m.codes, m.descendants);
    case 'death':
      return m.causes === undefined || codeMatches(row.cause_code, m.causes, m.descendants);
    case 'visit':
      return typeof row.visit_type === 'string' && (m.types as readonly string[]).includes(row.visit_type);
    case 'lab':
      return (
        row.measurement_code === m.code && (m.range === undefined || inRange(row.value, labRange(m.code, m.range)))
      );
    case 'observation':
      if (row.observation_code !== m.code) return false;
      if (m.text && !(typeof row.value_text === 'string' && m.text.includes(row.value_text))) return false;
      return m.range === undefined || inRange(row.value_number, m.range);
  }
}

function ageAt(row: Row, at: number): number | null {
  const d = new Date(at * DAY_MS);
  if (typeof row.birth_date === 'string') {
    const b = new Date(dayNumber(row.birth_date) * DAY_MS);
    const before = d.getUTCMonth() * 100 + d.getUTCDate() < b.getUTCMonth() * 100 + b.getUTCDate() ? 1 : 0;
    return d.getUTCFullYear() - b.getUTCFullYear() - before;
  }
  if (typeof row.year_of_birth === 'number') return d.getUTCFullYear() - row.year_of_birth;
  return null;
}

/** The cohort of a definition over a dataset, ordered by person_id. */
export function evaluateCohort(def: CohortDefinition, data: Dataset): Member[] {
  const rows = (table: string) => data[table] ?? [];
  const byPerson = (table: string) => {
    const out = new Map<string, Row[]>();
    for (const r of rows(table)) {
      if (typeof r.person_id !== 'string') continue;
      out.set(r.person_id, [...(out.get(r.person_id) ?? []), r]);
    }
    return out;
  };
  const people = byPerson('person');
  const events = new Map<string, Map<string, Row[]>>();
  const eventsOf = (kind: EventMatch['kind'], person: string) => {
    const table = TABLE[kind];
    if (!events.has(table)) events.set(table, byPerson(table));
    return events.get(table)?.get(person) ?? [];
  };
  const from = def.calendar?.from === undefined ? -Infinity : dayNumber(def.calendar.from);
  const to = def.calendar?.to === undefined ? Infinity : dayNumber(def.calendar.to);
  const inCalendar = (day: number) => day >= from && day <= to;

  const members: Member[] = [];
  for (const [person, personRows] of [...people].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    let index: number | undefined;
    if (def.index) {
      const event = def.index.event;
      const days = eventsOf(event.kind, person)
        .filter((r) => matches(event, r))
        .map((r) => eventDay(event.kind, r) as number);
      if (days.length === 0) continue;
      index = Math.min(...days);
      if (!inCalendar(index)) continue;
    }
    const inWindow = (day: number, w: { start: number; end: number } | undefined) =>
      w === undefined || (index !== undefined && day >= index + w.start && day <= index + w.end);
    const holds = (node: CohortNode): boolean => {
      switch (node.kind) {
        case 'and':
          return node.criteria.every(holds);
        case 'or':
          return node.criteria.some(holds);
        case 'not':
          return !holds(node.criterion);
        case 'sex':
          return personRows.some((r) => typeof r.gender === 'string' && (node.values as string[]).includes(r.gender));
        case 'age': {
          const at = node.at === 'index' ? (index as number) : dayNumber(node.at);
          return personRows.some((r) => {
            const age = ageAt(r, at);
            if (age === null) return false;
            return (
              (node.range.min === undefined || age >= node.range.min) &&
              (node.range.max === undefined || age <= node.range.max)
            );
          });
        }
        default: {
          const days = eventsOf(node.kind, person)
            .filter((r) => matches(node, r))
            .map((r) => eventDay(node.kind, r) as number);
          if (node.occurrence === 'first') {
            if (days.length === 0) return false;
            const first = Math.min(...days);
            return inCalendar(first) && inWindow(first, node.window);
          }
          const counted = new Set(days.filter((d) => inCalendar(d) && inWindow(d, node.window)));
          return counted.size >= (node.atLeast ?? 1);
        }
      }
    };
    if (!def.criteria.every(holds)) continue;
    members.push(
      index === undefined
        ? { person_id: person }
        : { person_id: person, index_date: new Date(index * DAY_MS).toISOString().slice(0, 10) },
    );
  }
  return members;
}
