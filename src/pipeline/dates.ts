/**
 * Dates and times as Chinese hospital systems write them: ISO, slashes, dots, compact digits, 年月日,
 * Excel serial numbers, with or without a time. Times without a zone are Beijing time (UTC+8). Pure and
 * strict: an impossible calendar date (2023-02-30) is refused, never rolled over.
 */

/** A parsed value: the calendar date, and the instant when a time was given (UTC ISO string). */
export type ParsedDate = { ok: true; date: string; instant: string | null } | { ok: false; reason: string };

/** Offset of Beijing time from UTC. */
const BEIJING_OFFSET_MS = 8 * 3_600_000;
/** Excel's day zero (1899-12-30, which absorbs the 1900 leap-year bug for serials after 60). */
const EXCEL_EPOCH_MS = Date.UTC(1899, 11, 30);
/** Plausible serial range: 1900-03-01 to 2199-12-31. */
const EXCEL_SERIAL_MIN = 61;
const EXCEL_SERIAL_MAX = 109_573;

const FULL_WIDTH = /[\uFF10-\uFF19\uFF0D\uFF0F\uFF1A\uFF0E\u3000]/g;
const PATTERNS: { re: RegExp; order: 'ymd' }[] = [
  {
    re: /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/,
    order: 'ymd',
  },
  { re: /^(\d{4})年(\d{1,2})月(\d{1,2})日(?:\s*(\d{1,2})[:时](\d{2})分?(?::(\d{2}))?)?()$/, order: 'ymd' },
  { re: /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?()$/, order: 'ymd' },
];

/** Normalizes full-width digits and separators (２０２３－０５－０１) to ASCII. */
export function toHalfWidth(text: string): string {
  return text.replace(FULL_WIDTH, (c) => (c === '\u3000' ? ' ' : String.fromCharCode(c.charCodeAt(0) - 0xfee0)));
}

/** Parses a date or date-time written in any of the supported forms; numbers are Excel serials. */
export function parseClinicalDate(input: string | number | Date | null | undefined): ParsedDate {
  if (input === null || input === undefined) return { ok: false, reason: 'missing' };
  if (input instanceof Date) {
    if (Number.isNaN(input.getTime())) return { ok: false, reason: 'invalid Date object' };
    return { ok: true, date: beijingDate(input.getTime()), instant: input.toISOString() };
  }
  if (typeof input === 'number') return fromExcelSerial(input);
  const text = toHalfWidth(input).trim();
  if (text === '') return { ok: false, reason: 'empty' };
  if (/^\d+(\.\d+)?$/.test(text) && !/^\d{8}(\d{4,6})?$/.test(text)) return fromExcelSerial(Number(text));
  for (const { re } of PATTERNS) {
    const m = re.exec(text);
    if (!m) continue;
    const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((v) =>
      v === undefined || v === '' ? undefined : Number(v),
    );
    return build({ y: y as number, mo: mo as number, d: d as number, h, mi, s, zone: m[7] || undefined });
  }
  return { ok: false, reason: `unrecognized date "${text.slice(0, 40)}"` };
}

function build(p: {
  y: number;
  mo: number;
  d: number;
  h?: number | undefined;
  mi?: number | undefined;
  s?: number | undefined;
  zone?: string | undefined;
}): ParsedDate {
  if (p.y < 1850 || p.y > 2199) return { ok: false, reason: `year ${p.y} out of range 1850–2199` };
  if (p.mo < 1 || p.mo > 12) return { ok: false, reason: `month ${p.mo} does not exist` };
  const dim = new Date(Date.UTC(p.y, p.mo, 0)).getUTCDate();
  if (p.d < 1 || p.d > dim)
    return { ok: false, reason: `day ${p.d} does not exist in ${p.y}-${String(p.mo).padStart(2, '0')}` };
  const date = `${p.y}-${String(p.mo).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`;
  if (p.h === undefined) return { ok: true, date, instant: null };
  if (p.h > 23 || (p.mi ?? 0) > 59 || (p.s ?? 0) > 59)
    return { ok: false, reason: `time ${p.h}:${p.mi}:${p.s ?? 0} does not exist` };
  const offsetMs = p.zone ? zoneOffsetMs(p.zone) : BEIJING_OFFSET_MS;
  const utc = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi ?? 0, p.s ?? 0) - offsetMs;
  return { ok: true, date: p.zone ? beijingDate(utc) : date, instant: new Date(utc).toISOString() };
}

function zoneOffsetMs(zone: string): number {
  if (zone === 'Z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (!m) return BEIJING_OFFSET_MS;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3_600_000 + Number(m[3]) * 60_000);
}

function fromExcelSerial(serial: number): ParsedDate {
  if (!Number.isFinite(serial) || serial < EXCEL_SERIAL_MIN || serial > EXCEL_SERIAL_MAX) {
    return { ok: false, reason: `number ${serial} is not a plausible Excel date serial` };
  }
  const days = Math.floor(serial);
  const ms = Math.round((serial - days) * 86_400_000);
  const local = EXCEL_EPOCH_MS + days * 86_400_000 + ms;
  const date = new Date(local).toISOString().slice(0, 10);
  return { ok: true, date, instant: ms === 0 ? null : new Date(local - BEIJING_OFFSET_MS).toISOString() };
}

/** The Beijing calendar date of a UTC instant. */
export function beijingDate(utcMs: number): string {
  return new Date(utcMs + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}
