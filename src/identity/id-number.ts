/**
 * Resident ID numbers (居民身份证号, GB 11643-1999): normalization, validation and the old 15-digit form.
 * Pure: no I/O, no clock. A problem is named (length, characters, region, date, checksum) but the value
 * itself never goes into a message, so an error can be logged or answered without leaking the number.
 */
import { MeridianError } from '../errors/registry.ts';

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';
/**
 * First two digits allowed (GB/T 2260 provinces; 81/82/83 Hong Kong, Macau and Taiwan residence permits;
 * 9x the 2023 foreigners' permanent residence card, whose second digit is the accepting province's first).
 */
const REGION_PREFIXES = new Set([
  '11',
  '12',
  '13',
  '14',
  '15',
  '21',
  '22',
  '23',
  '31',
  '32',
  '33',
  '34',
  '35',
  '36',
  '37',
  '41',
  '42',
  '43',
  '44',
  '45',
  '46',
  '50',
  '51',
  '52',
  '53',
  '54',
  '61',
  '62',
  '63',
  '64',
  '65',
  '71',
  '81',
  '82',
  '83',
  '91',
  '92',
  '93',
  '94',
  '95',
  '96',
]);
/** Earliest birth year an ID number may carry. */
export const ID_BIRTH_YEAR_MIN = 1850;
/** Latest birth year an ID number may carry (no clock in a pure function: a fixed, generous bound). */
export const ID_BIRTH_YEAR_MAX = 2099;

/** What is wrong with an ID number. */
export type IdNumberProblem = 'empty' | 'length' | 'characters' | 'region' | 'date' | 'checksum';

/** The outcome of {@link checkIdNumber}: the 18-character canonical form, or the problem. */
export type IdNumberCheck =
  | { ok: true; value: string; birthDate: string; sex: 'M' | 'F'; fromOld15: boolean }
  | { ok: false; problem: IdNumberProblem; message: string };

/** The check character (ISO 7064 MOD 11-2) for 17 digits. */
export function idCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * (WEIGHTS[i] as number);
  return CHECK_CHARS[sum % 11] as string;
}

/** Full-width digits and letters to half-width, whitespace removed, lower-case x upper-cased (no validation). */
export function cleanIdNumberText(raw: string): string {
  return raw.normalize('NFKC').replace(/\s+/g, '').replace(/x$/, 'X');
}

/** Validates and canonicalizes an ID number (18 characters, or an old 15-digit one converted to 18). */
export function checkIdNumber(raw: string): IdNumberCheck {
  const text = cleanIdNumberText(raw);
  if (text === '') return fail('empty', 'the ID number is empty');
  if (text.length !== 18 && text.length !== 15)
    return fail('length', `the ID number has ${text.length} characters; expected 18 (or 15 for an old number)`);
  const is18 = text.length === 18;
  if (is18 ? !/^\d{17}[\dX]$/.test(text) : !/^\d{15}$/.test(text))
    return fail(
      'characters',
      is18 ? 'the ID number must be 17 digits and a digit or X' : 'an old 15-character ID number must be all digits',
    );
  if (!REGION_PREFIXES.has(text.slice(0, 2)))
    return fail('region', 'the ID number does not start with a known province code (GB/T 2260)');
  const year = is18 ? Number(text.slice(6, 10)) : 1900 + Number(text.slice(6, 8));
  const mmdd = is18 ? text.slice(10, 14) : text.slice(8, 12);
  const birthDate = calendarDate(year, Number(mmdd.slice(0, 2)), Number(mmdd.slice(2, 4)));
  if (birthDate === null || year < ID_BIRTH_YEAR_MIN || year > ID_BIRTH_YEAR_MAX)
    return fail('date', 'the birth date inside the ID number is not a real date in the allowed range');
  const body = is18 ? text.slice(0, 17) : `${text.slice(0, 6)}19${text.slice(6, 15)}`;
  const check = idCheckCharacter(body);
  if (is18 && text[17] !== check)
    return fail('checksum', 'the check character of the ID number does not match (GB 11643 MOD 11-2)');
  const sequence = Number(body.slice(14, 17));
  return { ok: true, value: body + check, birthDate, sex: sequence % 2 === 1 ? 'M' : 'F', fromOld15: !is18 };
}

/** The canonical 18-character ID number, or a MER_IDENTITY_INVALID_ID_NUMBER error naming the problem. */
export function normalizeIdNumberStrict(raw: string): string {
  const r = checkIdNumber(raw);
  if (!r.ok) throw new MeridianError('MER_IDENTITY_INVALID_ID_NUMBER', r.message, { problem: r.problem });
  return r.value;
}

/** The canonical 18-character ID number, or null when the value is not a usable ID (linkage ignores it). */
export function normalizeIdNumber(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  const r = checkIdNumber(raw);
  return r.ok ? r.value : null;
}

/** 'YYYY-MM-DD' when y-m-d is a real Gregorian date, else null. */
export function calendarDate(y: number, m: number, d: number): string | null {
  if (!Number.isInteger(y) || !Number.isInteger(m) || !Number.isInteger(d)) return null;
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1) return null;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1] as number;
  if (d > days) return null;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function fail(problem: IdNumberProblem, message: string): IdNumberCheck {
  return { ok: false, problem, message };
}
