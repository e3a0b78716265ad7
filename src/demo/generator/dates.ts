/**
 * Calendar arithmetic on day numbers (days since 1970-01-01, proleptic Gregorian; Hinnant's civil
 * algorithms, pure integers) and the date spellings Chinese hospital systems use. Times are Beijing time
 * (UTC+8) and are carried as minutes after midnight.
 */

/** A calendar date. */
export interface CivilDate {
  y: number;
  m: number;
  d: number;
}

/** Day number of a calendar date. */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Calendar date of a day number. */
export function civilFromDays(day: number): CivilDate {
  const z = day + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: era * 400 + yoe + (m <= 2 ? 1 : 0), m, d };
}

/** Parses a strict YYYY-MM-DD into a day number, or null when it is not a real calendar date. */
export function parseIsoDay(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = daysFromCivil(y, mo, d);
  const back = civilFromDays(day);
  return back.y === y && back.m === mo && back.d === d ? day : null;
}

/** Completed years between a birth day and a later day. */
export function ageYears(birthDay: number, atDay: number): number {
  const b = civilFromDays(birthDay);
  const a = civilFromDays(atDay);
  let age = a.y - b.y;
  if (a.m < b.m || (a.m === b.m && a.d < b.d)) age--;
  return age;
}

/** The day `years` calendar years after `day` (29 February maps to 28 February). */
export function addYears(day: number, years: number): number {
  const c = civilFromDays(day);
  const y = c.y + years;
  const d = c.m === 2 && c.d === 29 && !isLeap(y) ? 28 : c.d;
  return daysFromCivil(y, c.m, d);
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function p2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** The spellings of a date the generator writes; the manifest counts each per hospital. */
export type DateStyle = 'iso' | 'slash' | 'compact' | 'chinese';

/** "2023-05-01". */
export function isoDate(day: number): string {
  const c = civilFromDays(day);
  return `${c.y}-${p2(c.m)}-${p2(c.d)}`;
}

/** "20230501". */
export function compactDate(day: number): string {
  const c = civilFromDays(day);
  return `${c.y}${p2(c.m)}${p2(c.d)}`;
}

/** A date in one of the spellings: "2023-05-01", "2023/5/1", "20230501", "2023年5月1日". */
export function styledDate(day: number, style: DateStyle): string {
  const c = civilFromDays(day);
  switch (style) {
    case 'iso':
      return `${c.y}-${p2(c.m)}-${p2(c.d)}`;
    case 'slash':
      return `${c.y}/${c.m}/${c.d}`;
    case 'compact':
      return `${c.y}${p2(c.m)}${p2(c.d)}`;
    case 'chinese':
      return `${c.y}年${c.m}月${c.d}日`;
  }
}

/** A date and time in one of the spellings: "2023-05-01 08:30:00", "2023/5/1 8:30", "20230501083000", "2023年5月1日 08:30". */
export function styledDateTime(day: number, minute: number, style: DateStyle): string {
  const h = Math.floor(minute / 60);
  const mi = minute % 60;
  switch (style) {
    case 'iso':
      return `${isoDate(day)} ${p2(h)}:${p2(mi)}:00`;
    case 'slash':
      return `${styledDate(day, 'slash')} ${h}:${p2(mi)}`;
    case 'compact':
      return `${compactDate(day)}${p2(h)}${p2(mi)}00`;
    case 'chinese':
      return `${styledDate(day, 'chinese')} ${p2(h)}:${p2(mi)}`;
  }
}

/** HL7 v2 DTM to the second: "20230501083000". */
export function hl7DateTime(day: number, minute: number): string {
  return `${compactDate(day)}${p2(Math.floor(minute / 60))}${p2(minute % 60)}00`;
}

/** FHIR dateTime in Beijing time: "2023-05-01T08:30:00+08:00". */
export function fhirDateTime(day: number, minute: number): string {
  return `${isoDate(day)}T${p2(Math.floor(minute / 60))}:${p2(minute % 60)}:00+08:00`;
}

/** DICOM TM: "083000". */
export function dicomTime(minute: number): string {
  return `${p2(Math.floor(minute / 60))}${p2(minute % 60)}00`;
}

/** Excel's serial day number (1900 date system: day 0 is 1899-12-30). */
export function excelSerial(day: number): number {
  return day + 25569;
}
