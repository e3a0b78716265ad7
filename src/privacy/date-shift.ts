/**
 * Per-patient date shifting: every date of one patient moves by the same whole number of days, drawn from a
 * keyed hash of the patient's key, so intervals (length of stay, time to event, age at diagnosis within a
 * day) are preserved while calendar dates no longer match hospital records. The offset is never zero.
 */
import { MeridianError } from '../errors/registry.ts';
import { keyedDigest } from './keyed-hash.ts';

/** Largest allowed shift window (days): ten years. */
export const SHIFT_DAYS_MAX = 3650;

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The patient's offset in days, in [-maxDays, -1] ∪ [1, maxDays], the same for every table of the patient. */
export function dateShiftDays(opts: { key: Uint8Array; personKey: string; maxDays: number }): number {
  const { maxDays } = opts;
  if (!Number.isInteger(maxDays) || maxDays < 1 || maxDays > SHIFT_DAYS_MAX)
    throw new MeridianError(
      'MER_PRIVACY_INVALID_OPTION',
      `the date shift window must be a whole number of days from 1 to ${SHIFT_DAYS_MAX} (got ${maxDays})`,
    );
  const digest = keyedDigest(opts.key, 'date-shift', opts.personKey);
  const slot = digest.readUIntBE(0, 6) % (2 * maxDays);
  return slot < maxDays ? slot - maxDays : slot - maxDays + 1;
}

/** Day number (days since 1970-01-01) of an ISO date, or null when it is not a real YYYY-MM-DD date. */
export function isoDateToDay(value: string): number | null {
  const m = ISO_DATE.exec(value);
  if (m === null) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return ms / DAY_MS;
}

/** The ISO date of a day number. */
export function dayToIsoDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Shifts an ISO date by `days`; null when the input is not a real date. */
export function shiftIsoDate(value: string, days: number): string | null {
  const day = isoDateToDay(value);
  return day === null ? null : dayToIsoDate(day + days);
}

/** Shifts a timestamp by `days` (time of day kept); null when the input is not a valid date. */
export function shiftTimestamp(value: Date, days: number): Date | null {
  const ms = value.getTime();
  return Number.isNaN(ms) ? null : new Date(ms + days * DAY_MS);
}
