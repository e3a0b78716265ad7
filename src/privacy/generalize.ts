/**
 * Generalization: replace a precise value with a coarser one that many people share — an age band for a
 * birth date, the year for a date, a province (2-digit) or city (4-digit) prefix for a GB/T 2260 region code,
 * a code's category for a diagnosis code, and a catch-all for values too rare to hide a person.
 */
import { isoDateToDay } from './date-shift.ts';

/** Label of values grouped by {@link generalizeRare}. */
export const RARE_VALUE_LABEL = '其他';

/** Whole years from `birth` to `at` (both ISO dates); null when either is not a real date. */
export function ageYears(birth: string, at: string): number | null {
  if (isoDateToDay(birth) === null || isoDateToDay(at) === null) return null;
  const years = Number(at.slice(0, 4)) - Number(birth.slice(0, 4));
  return at.slice(5) < birth.slice(5) ? years - 1 : years;
}

/** The band of an age: `width` years from 0 ("40-49" for width 10), everything from `topAge` on as "90+". */
export function ageBand(age: number, opts: { width: number; topAge: number }): string {
  if (age >= opts.topAge) return `${opts.topAge}+`;
  const low = Math.floor(Math.max(0, age) / opts.width) * opts.width;
  return `${low}-${low + opts.width - 1}`;
}

/** The year of an ISO date, or null when it is not a real date. */
export function yearOf(date: string): number | null {
  return isoDateToDay(date) === null ? null : Number(date.slice(0, 4));
}

/** The first `digits` digits of a 6-digit GB/T 2260 region code (2: province, 4: city); null if not 6 digits. */
export function regionPrefix(code: string, digits: 2 | 4): string | null {
  return /^\d{6}$/.test(code) ? code.slice(0, digits) : null;
}

/** The first `length` characters of a code, dots removed first ("E11.900x001" → "E11" for length 3). */
export function codePrefix(code: string, length: number): string {
  return code.replaceAll('.', '').slice(0, length);
}

/** Replaces every value seen fewer than `min` times (nulls excepted) by `other`, in input order. */
export function generalizeRare<T>(values: readonly (T | null)[], opts: { min: number; other: T }): (T | null)[] {
  const counts = new Map<T, number>();
  for (const v of values) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
  return values.map((v) => (v === null || (counts.get(v) ?? 0) >= opts.min ? v : opts.other));
}
