/**
 * Normalization of the identifiers the master patient index links on: names, birth date, sex (GB/T 2261.1)
 * and phone, plus the ID number (id-number.ts). Pure: the same text always gives the same normal form, so
 * two hospitals that write one person differently still produce equal tokens.
 */
import { calendarDate, normalizeIdNumber } from './id-number.ts';
import { pinyinKey } from './pinyin.ts';

/** Every middle-dot look-alike a registration system writes between the parts of a minority name. */
const DOTS = /[.·•‧・∙⋅･]+/g;
const PHONE_PUNCTUATION = /[\s\-()（）.]/g;
/** Fewest digits a phone number may have (a local landline without area code). */
export const PHONE_DIGITS_MIN = 7;
/** Most digits a phone number may have (area code + landline, or a mobile). */
export const PHONE_DIGITS_MAX = 12;

/** A person's identifiers after normalization; null where a value is missing or unusable. */
export interface NormalizedIdentity {
  /** Canonical 18-character ID number (15-digit numbers converted), null when absent or invalid. */
  idNumber: string | null;
  /** NFKC, no whitespace, middle dots unified to U+00B7. */
  name: string | null;
  /** Toneless pinyin key of the name (homophones agree). */
  namePinyin: string | null;
  /** 'YYYY-MM-DD'. */
  birthDate: string | null;
  sex: 'M' | 'F' | null;
  /** Digits only, without the +86 country code. */
  phone: string | null;
}

/** Raw identifiers as a person row holds them. */
export interface RawIdentity {
  idNumber?: string | null;
  name?: string | null;
  birthDate?: string | Date | null;
  sex?: string | null;
  phone?: string | null;
}

/** NFKC, whitespace removed, every middle-dot variant as '·' (U+00B7); null when nothing is left. */
export function normalizeName(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  const text = raw
    .normalize('NFKC')
    .replace(/\s+/g, '')
    .replace(DOTS, '·')
    .replace(/^·+|·+$/g, '')
    .toUpperCase();
  return text === '' ? null : text;
}

/** Sex per GB/T 2261.1 (1 male, 2 female; 0 unknown and 9 unspecified give null), also M/F/男/女/male/female. */
export function normalizeSex(raw: string | null | undefined): 'M' | 'F' | null {
  if (raw === null || raw === undefined) return null;
  switch (raw.normalize('NFKC').trim().toLowerCase()) {
    case '1':
    case 'm':
    case 'male':
    case '男':
    case '男性':
      return 'M';
    case '2':
    case 'f':
    case 'female':
    case '女':
    case '女性':
      return 'F';
    default:
      return null;
  }
}

/** 'YYYY-MM-DD' from ISO, YYYY/M/D, YYYY.M.D, YYYYMMDD, YYYY年M月D日 or a Date (its UTC day); null otherwise. */
export function normalizeBirthDate(raw: string | Date | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  if (raw instanceof Date) {
    if (Number.isNaN(raw.getTime())) return null;
    return calendarDate(raw.getUTCFullYear(), raw.getUTCMonth() + 1, raw.getUTCDate());
  }
  const text = raw.normalize('NFKC').trim();
  const m = /^(\d{4})(?:[-/.年](\d{1,2})[-/.月](\d{1,2})日?|(\d{2})(\d{2}))$/.exec(text);
  if (!m) return null;
  const month = Number(m[2] ?? m[4]);
  const day = Number(m[3] ?? m[5]);
  return calendarDate(Number(m[1]), month, day);
}

/** Digits of a phone number without spaces, dashes, brackets or the +86 / 0086 country code; null if implausible. */
export function normalizePhone(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  let text = raw.normalize('NFKC').replace(PHONE_PUNCTUATION, '');
  if (text.startsWith('+86')) text = text.slice(3);
  else if (text.startsWith('0086')) text = text.slice(4);
  else if (text.length === 13 && text.startsWith('861')) text = text.slice(2);
  if (!/^\d+$/.test(text) || text.length < PHONE_DIGITS_MIN || text.length > PHONE_DIGITS_MAX) return null;
  return text;
}

/** Normalizes every identifier of a person; invalid ID numbers become null ("no usable ID"). */
export function normalizeIdentity(raw: RawIdentity): NormalizedIdentity {
  const name = normalizeName(raw.name);
  return {
    idNumber: normalizeIdNumber(raw.idNumber),
    name,
    namePinyin: name === null ? null : pinyinKey(name),
    birthDate: normalizeBirthDate(raw.birthDate),
    sex: normalizeSex(raw.sex),
    phone: normalizePhone(raw.phone),
  };
}
