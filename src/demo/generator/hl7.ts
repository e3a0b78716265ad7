/**
 * HL7 v2.5 message assembly: field escaping, segments from field arrays, and the two framings of a file
 * (segments end with \r; messages are separated by \n, or wrapped in MLLP start/end blocks).
 */

/** MLLP start block (VT). */
export const MLLP_START = '\u000b';
/** MLLP end block (FS) followed by CR. */
export const MLLP_END = '\u001c\r';

/** Escapes the HL7 delimiters in a data value (|, ^, ~, \, &, and line breaks). */
export function hl7Escape(text: string): string {
  if (!/[|^~\\&\r\n]/.test(text)) return text;
  return text.replace(/[|^~\\&\r\n]/g, (c) => {
    switch (c) {
      case '|':
        return '\\F\\';
      case '^':
        return '\\S\\';
      case '~':
        return '\\R\\';
      case '&':
        return '\\T\\';
      case '\\':
        return '\\E\\';
      default:
        return '\\.br\\';
    }
  });
}

/** Components joined by ^ (each already escaped). */
export function components(...parts: readonly string[]): string {
  let end = parts.length;
  while (end > 0 && parts[end - 1] === '') end--;
  return parts.slice(0, end).join('^');
}

/** A segment from its name and fields 1..n (index 0 of `fields` is field 1); trailing empty fields dropped. */
export function segment(name: string, fields: readonly string[]): string {
  let end = fields.length;
  while (end > 0 && fields[end - 1] === '') end--;
  return end === 0 ? name : `${name}|${fields.slice(0, end).join('|')}`;
}

/** A segment given as a sparse map of field number → value (integer keys iterate in ascending order). */
export function sparseSegment(name: string, fields: Readonly<Record<number, string>>): string {
  let out = name;
  let at = 0;
  for (const key in fields) {
    const n = Number(key);
    const value = fields[n] as string;
    if (value === '') continue;
    out += '|'.repeat(n - at) + value;
    at = n;
  }
  return out;
}

/** One message as a file holds it: segments each ended by \r, then the framing. */
export function frameMessage(segments: readonly string[], framing: 'newline' | 'mllp'): string {
  const body = `${segments.join('\r')}\r`;
  return framing === 'mllp' ? MLLP_START + body + MLLP_END : `${body}\n`;
}
