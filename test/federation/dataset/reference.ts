/**
 * A reference evaluator of measurement and condition variables in plain TypeScript over in-memory DWD rows, written
 * from the semantics in src/federation/dataset/README.md and sharing no code with the SQL compiler (only units.ts,
 * the conversion table both sides must use): the property test checks that the compiled SQL and this agree.
 */
import type { AnalysisVariable, Window } from '../../../src/federation/dataset/index.ts';
import { analyteOfCode, normalizeUnit, toStandardUnit } from '../../../src/pipeline/units.ts';
import type { Row } from './dwd-db.ts';

/** One cohort member: person and index date ('YYYY-MM-DD' or null). */
export interface Member {
  person_id: string;
  index_date: string | null;
}

const DAY_MS = 86_400_000;
const BEIJING_MS = 8 * 3_600_000;

function dayOfDate(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / DAY_MS;
}

function inWindow(day: number, w: Window | undefined): boolean {
  if (w === undefined) return true;
  return (w.start === undefined || day >= w.start) && (w.end === undefined || day <= w.end);
}

/** Half away from zero to `decimals` places, as DuckDB's round(DOUBLE, INTEGER) computes it. */
function round(x: number, decimals: number): number {
  const m = 10 ** decimals;
  const y = x * m;
  return (Math.sign(y) * Math.round(Math.abs(y))) / m;
}

/** Lexicographic comparison of two keys. */
function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

interface Candidate {
  value: number;
  /** UTC milliseconds of the measurement. */
  ms: number;
  /** Beijing day offset from the index (null without an index). */
  day: number | null;
}

function pick(v: Extract<AnalysisVariable, { kind: 'measurement' }>, c: readonly Candidate[]): number | null {
  if (c.length === 0) return null;
  const best = (key: (x: Candidate) => number[]) => c.reduce((a, b) => (compare(key(b), key(a)) < 0 ? b : a)).value;
  switch (v.value) {
    case 'first':
      return best((x) => [x.ms, x.value]);
    case 'last':
      return best((x) => [-x.ms, x.value]);
    case 'nearest':
      return best((x) => {
        const d = x.day as number;
        return [Math.abs(d), d > 0 ? 1 : 0, d < 0 ? -x.ms : x.ms, x.value];
      });
    case 'min':
      return Math.min(...c.map((x) => x.value));
    case 'max':
      return Math.max(...c.map((x) => x.value));
    case 'mean':
      return c.reduce((s, x) => s + x.value, 0) / c.length;
  }
}

function measurement(
  v: Extract<AnalysisVariable, { kind: 'measurement' }>,
  m: Member,
  rows: readonly Row[],
): number | null {
  const index = m.index_date === null ? null : dayOfDate(m.index_date);
  if (index === null && (v.window !== undefined || v.value === 'nearest')) return null;
  const candidates: Candidate[] = [];
  for (const r of rows) {
    if (r.person_id !== m.person_id || r.measurement_code !== v.code) continue;
    if (typeof r.value !== 'number' || typeof r.measured_at !== 'string') continue;
    const ms = Date.parse(r.measured_at);
    const day = index === null ? null : Math.floor((ms + BEIJING_MS) / DAY_MS) - index;
    if (v.window !== undefined && !inWindow(day as number, v.window)) continue;
    candidates.push({ value: r.value, ms, day });
  }
  let out = pick(v, candidates);
  if (out === null) return null;
  if (v.unit !== undefined) {
    const analyte = analyteOfCode(v.code);
    const unit = normalizeUnit(v.unit);
    if (analyte === undefined || unit === null) throw new Error(`test data: no unit ${v.unit} for ${v.code}`);
    const f0 = toStandardUnit(analyte, 0, unit);
    const f1 = toStandardUnit(analyte, 1, unit);
    if (!f0.ok || !f1.ok) throw new Error(`test data: no conversion ${v.code} ${unit}`);
    if (f0.unit !== unit) out = (out - f0.value) / (f1.value - f0.value);
  }
  return v.decimals === undefined ? out : round(out, v.decimals);
}

function condition(
  v: Extract<AnalysisVariable, { kind: 'condition' }>,
  m: Member,
  rows: readonly Row[],
): number | null {
  const index = m.index_date === null ? null : dayOfDate(m.index_date);
  const relative = v.window !== undefined || v.value === 'first_day';
  if (index === null && relative) return null;
  const days: number[] = [];
  for (const r of rows) {
    if (r.person_id !== m.person_id || typeof r.condition_code !== 'string' || typeof r.condition_date !== 'string') {
      continue;
    }
    const code = r.condition_code;
    if (!v.codes.some((c) => (v.descendants === true ? code.startsWith(c) : code === c))) continue;
    const day = index === null ? 0 : dayOfDate(r.condition_date) - index;
    if (!inWindow(day, v.window)) continue;
    days.push(day);
  }
  if (v.value === 'first_day') return days.length === 0 ? null : Math.min(...days);
  return days.length > 0 ? 1 : 0;
}

/** The analysis table the reference computes: rows ordered by person_id, one column per variable. */
export function evaluate(
  members: readonly Member[],
  variables: readonly AnalysisVariable[],
  data: { measurement: readonly Row[]; condition_occurrence: readonly Row[] },
): Record<string, unknown>[] {
  const byPerson = new Map<string, Member>();
  for (const m of members) {
    const known = byPerson.get(m.person_id);
    const earlier =
      known === undefined || (m.index_date !== null && (known.index_date === null || m.index_date < known.index_date));
    if (earlier) byPerson.set(m.person_id, m);
  }
  return [...byPerson.values()]
    .sort((a, b) => (a.person_id < b.person_id ? -1 : a.person_id > b.person_id ? 1 : 0))
    .map((m) => {
      const row: Record<string, unknown> = { person_id: m.person_id };
      for (const v of variables) {
        if (v.kind === 'measurement') row[v.name] = measurement(v, m, data.measurement);
        else if (v.kind === 'condition') row[v.name] = condition(v, m, data.condition_occurrence);
        else throw new Error(`the reference evaluates measurement and condition variables, not ${v.kind}`);
      }
      return row;
    });
}
