/**
 * One mapping from Postgres text values to JS for both dialects, so a row read through PGlite equals the
 * same row read through node-postgres:
 *
 * | Postgres                | JS                                                      |
 * |-------------------------|---------------------------------------------------------|
 * | int8 (count(*), bigint) | number when it is a safe integer, else bigint           |
 * | date                    | 'YYYY-MM-DD' string (a calendar date has no time zone)  |
 * | timestamp               | Date, read as UTC                                       |
 * | timestamptz             | Date                                                    |
 * | bytea                   | Buffer                                                  |
 * | numeric                 | string (both drivers' default, exact)                   |
 *
 * Arrays of these map element-wise. Values a Date cannot hold (infinity, BC) stay the server's string.
 */
import pg from 'pg';

const INT8 = 20;
const BYTEA = 17;
const DATE = 1082;
const TIMESTAMP = 1114;
const TIMESTAMPTZ = 1184;
const ARRAY_OF: Record<number, number> = { 1016: INT8, 1001: BYTEA, 1182: DATE, 1115: TIMESTAMP, 1185: TIMESTAMPTZ };

/** Parses an int8 to a number when exact, else to a bigint. */
export function parseInt8(text: string): number | bigint {
  const n = BigInt(text);
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

function parseDate(text: string): string {
  return text;
}

function parseTimestamp(text: string): Date | string {
  const d = new Date(`${text.replace(' ', 'T')}Z`);
  return Number.isNaN(d.getTime()) ? text : d;
}

function parseTimestamptz(text: string): Date | string {
  const iso = text
    .replace(' ', 'T')
    .replace(/([+-]\d{2})(?::?(\d{2}))?$/, (_m, h: string, m?: string) => `${h}:${m ?? '00'}`);
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? text : d;
}

function parseBytea(text: string): Buffer {
  return Buffer.from(text.slice(2), 'hex');
}

/** Text parsers by type oid, in the shape PGlite's `parsers` option takes (it derives array parsers itself). */
export const PGLITE_PARSERS: Record<number, (text: string) => unknown> = {
  [INT8]: parseInt8,
  [BYTEA]: parseBytea,
  [DATE]: parseDate,
  [TIMESTAMP]: parseTimestamp,
  [TIMESTAMPTZ]: parseTimestamptz,
};

/** Parses Postgres' array text form (`{1,NULL,"a b"}`, nested `{{1},{2}}`) with `element` for each value. */
export function parseArray(text: string, element: (text: string) => unknown): unknown[] {
  let i = text.startsWith('[') ? text.indexOf('=') + 1 : 0; // optional bounds decoration: [0:1]={...}
  const malformed = () => new Error(`Malformed array literal: ${text.slice(0, 40)}`);
  const level = (): unknown[] => {
    if (text[i] !== '{') throw malformed();
    i++;
    const out: unknown[] = [];
    if (text[i] === '}') {
      i++;
      return out;
    }
    while (i < text.length) {
      if (text[i] === '{') out.push(level());
      else if (text[i] === '"') {
        let value = '';
        for (i++; i < text.length && text[i] !== '"'; i++) {
          if (text[i] === '\\') i++;
          value += text[i] ?? '';
        }
        i++;
        out.push(element(value));
      } else {
        const end = text.slice(i).search(/[,}]/);
        if (end < 0) throw malformed();
        const raw = text.slice(i, i + end);
        i += end;
        out.push(raw === 'NULL' ? null : element(raw));
      }
      if (text[i] === '}') {
        i++;
        return out;
      }
      if (text[i] !== ',') throw malformed();
      i++;
    }
    throw malformed();
  };
  return level();
}

/** A per-pool `types` option for node-postgres with the same mapping (never touches pg's global parsers). */
export const PG_TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (text: string) => unknown {
    const own = PGLITE_PARSERS[oid];
    if (own && format !== 'binary') return own;
    const element = ARRAY_OF[oid];
    const elementParser = element === undefined ? undefined : PGLITE_PARSERS[element];
    if (elementParser && format !== 'binary') return (text) => parseArray(text, elementParser);
    return pg.types.getTypeParser(oid, format ?? 'text') as (text: string) => unknown;
  },
};
