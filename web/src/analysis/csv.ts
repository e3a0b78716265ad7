/**
 * CSV text for exports (RFC 4180): fields with a comma, quote or line break are quoted, quotes doubled, lines end
 * in CRLF, and a UTF-8 byte-order mark goes first so spreadsheet programs read Chinese names correctly. A text
 * field starting with = + @ or a tab is prefixed with ' so no spreadsheet runs it as a formula.
 */

/** The byte-order mark that tells spreadsheet programs the file is UTF-8. */
export const CSV_BOM = '\ufeff';

/** One field as CSV. */
export function csvField(value: string | number): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const safe = /^[=+@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Rows as CSV text, with the byte-order mark. */
export function toCsv(rows: readonly (readonly (string | number)[])[]): string {
  return `${CSV_BOM}${rows.map((r) => r.map(csvField).join(',')).join('\r\n')}\r\n`;
}
