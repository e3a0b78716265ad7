/**
 * Locale-aware formatting of numbers, byte sizes, ages and times. Pure functions of their inputs (the
 * reference time is passed in), so they are unit-tested without a browser.
 */
import type { Lang } from './messages.ts';

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'] as const;

/** An integer with the language's digit grouping, e.g. 1234567 → "1,234,567". */
export function formatInteger(value: number, lang: Lang): string {
  return new Intl.NumberFormat(lang, { maximumFractionDigits: 0 }).format(value);
}

/** A large count in the language's compact notation, e.g. 1200000 → "1.2M" (en) or "120万" (zh-CN). */
export function formatCompact(value: number, lang: Lang): string {
  return new Intl.NumberFormat(lang, { notation: 'compact', maximumFractionDigits: 1 }).format(value);
}

/** A byte count in binary units with at most one decimal, e.g. 1536 → "1.5 KB". */
export function formatBytes(bytes: number, lang: Lang): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 ? 0 : 1;
  return `${new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(value)} ${BYTE_UNITS[unit]}`;
}

/** The unit an age is shown in. */
export type AgeUnit = 'seconds' | 'minutes' | 'hours' | 'days';

/** An age rounded down into the largest fitting unit; negative ages (clock skew) count as 0 s. */
export function ageOf(thenMs: number, nowMs: number): { n: number; unit: AgeUnit } {
  const seconds = Math.max(0, Math.floor((nowMs - thenMs) / 1000));
  if (seconds < 60) return { n: seconds, unit: 'seconds' };
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return { n: minutes, unit: 'minutes' };
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return { n: hours, unit: 'hours' };
  return { n: Math.floor(hours / 24), unit: 'days' };
}

/** A date and time in the language's style, in the browser's time zone, e.g. "2025/11/24 19:25:03". */
export function formatDateTime(epochMs: number, lang: Lang): string {
  return new Intl.DateTimeFormat(lang, { dateStyle: 'short', timeStyle: 'medium' }).format(epochMs);
}

/** A time of day in the language's style, e.g. "19:25:03". */
export function formatTime(epochMs: number, lang: Lang): string {
  return new Intl.DateTimeFormat(lang, { timeStyle: 'medium' }).format(epochMs);
}

/** Milliseconds since the epoch of an ISO timestamp, or null when it is missing or unparseable. */
export function parseTimestamp(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

/** A share in [0, 1] as a percentage with at most one decimal, e.g. 0.1234 → "12.3%"; a tiny share is "<0.1%", never 0. */
export function formatPercent(share: number, lang: Lang): string {
  if (!Number.isFinite(share)) return '—';
  const format = new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 1 });
  return share > 0 && share < 0.001 ? `<${format.format(0.001)}` : format.format(share);
}
