/**
 * Resident ID numbers (居民身份证号, GB 11643-1999): 6-digit region code, birth date YYYYMMDD, 3-digit
 * sequence (odd male, even female) and a check character (ISO 7064 MOD 11-2). Old 15-digit numbers carry a
 * 2-digit year and no check character.
 */
import { civilFromDays, daysFromCivil } from './dates.ts';

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';

/** The check character for the first 17 digits. */
export function idCheckChar(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new RangeError(`not 17 digits: ${first17}`);
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * (WEIGHTS[i] as number);
  return CHECK_CHARS[sum % 11] as string;
}

/** An 18-character ID number from region code, birth day (day number) and sequence 0–999. */
export function makeIdNumber(region: string, birthDay: number, sequence: number): string {
  const c = civilFromDays(birthDay);
  const body = `${region}${c.y}${String(c.m).padStart(2, '0')}${String(c.d).padStart(2, '0')}${String(sequence).padStart(3, '0')}`;
  return body + idCheckChar(body);
}

/** True when an 18-character ID number has a valid date and check character (upper-case X only). */
export function isValidIdNumber(id: string): boolean {
  if (!/^\d{17}[\dX]$/.test(id)) return false;
  if (parseIdNumber(id) === null) return false;
  return idCheckChar(id.slice(0, 17)) === id[17];
}

/** What an ID number (18 or 15 characters) says: region, birth day and sex; null when its date is impossible. */
export function parseIdNumber(id: string): { region: string; birthDay: number; sex: 'M' | 'F' } | null {
  let y: number;
  let rest: string;
  if (/^\d{17}[\dXx]$/.test(id)) {
    y = Number(id.slice(6, 10));
    rest = id.slice(10, 17);
  } else if (/^\d{15}$/.test(id)) {
    y = 1900 + Number(id.slice(6, 8));
    rest = id.slice(8, 15);
  } else return null;
  const m = Number(rest.slice(0, 2));
  const d = Number(rest.slice(2, 4));
  const seq = Number(rest.slice(4, 7));
  const birthDay = daysFromCivil(y, m, d);
  const back = civilFromDays(birthDay);
  if (back.y !== y || back.m !== m || back.d !== d) return null;
  return { region: id.slice(0, 6), birthDay, sex: seq % 2 === 1 ? 'M' : 'F' };
}

/** The old 15-digit form of an 18-character number born in the 1900s (drops century and check character). */
export function toOldIdNumber(id18: string): string {
  return id18.slice(0, 6) + id18.slice(8, 17);
}

/** The 18-character form of an old 15-digit number (century 19, check character recomputed). */
export function fromOldIdNumber(id15: string): string {
  const body = `${id15.slice(0, 6)}19${id15.slice(6, 15)}`;
  return body + idCheckChar(body);
}
