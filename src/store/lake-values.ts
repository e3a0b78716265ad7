/**
 * JS ⇄ DuckDB values for the lake.
 *
 * In (writeBatch rows, by declared column type; null/undefined is NULL):
 * | type      | accepts                                                              |
 * |-----------|----------------------------------------------------------------------|
 * | VARCHAR   | string                                                               |
 * | BIGINT    | safe-integer number, or bigint within int64                          |
 * | DOUBLE    | number                                                               |
 * | DATE      | 'YYYY-MM-DD', or a Date (its UTC calendar day)                        |
 * | TIMESTAMP | Date, or an ISO-8601 string with a zone ('…Z', '…+08:00'); kept as UTC |
 * | BOOLEAN   | boolean                                                              |
 *
 * Out (query results): BIGINT/HUGEINT as number when a safe integer, else bigint; DATE as 'YYYY-MM-DD';
 * TIMESTAMP as Date (milliseconds); DECIMAL as number; everything else as @duckdb/node-api's JS mapping.
 */
import {
  BIGINT,
  BOOLEAN,
  DATE,
  DOUBLE,
  type DuckDBDateValue,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
  type DuckDBValueConverter,
  dateValue,
  type JS,
  JSDuckDBValueConverter,
  TIMESTAMP,
  timestampValue,
  VARCHAR,
} from '@duckdb/node-api';

/** Column types a lake batch may declare. */
export type LakeColumnType = 'VARCHAR' | 'BIGINT' | 'DOUBLE' | 'DATE' | 'TIMESTAMP' | 'BOOLEAN';

/** A value read back from the lake (see the table above). */
export type LakeResultValue = JS;

/** A query parameter. */
export type LakeParam = string | number | bigint | boolean | Date | null;

/** Converts JS values for one column type; a wrong shape yields INVALID (cheaper than throwing per cell). */
export interface ColumnCodec {
  type: DuckDBType;
  expected: string;
  /** The DuckDB value, or `INVALID` when `value` does not fit the column. */
  encode(value: unknown): DuckDBValue | typeof INVALID;
}

/** Marker returned by a codec for a value of the wrong shape. */
export const INVALID: unique symbol = Symbol('invalid');

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const MS_PER_DAY = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_TIMESTAMP_WITH_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/** The codec for each declared column type. */
export const COLUMN_CODECS: Record<LakeColumnType, ColumnCodec> = {
  VARCHAR: {
    type: VARCHAR,
    expected: 'a string',
    encode: (v) => (typeof v === 'string' ? v : INVALID),
  },
  BIGINT: {
    type: BIGINT,
    expected: 'a safe integer or a bigint within int64',
    encode: (v) => {
      if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : INVALID;
      if (typeof v === 'bigint') return v >= INT64_MIN && v <= INT64_MAX ? v : INVALID;
      return INVALID;
    },
  },
  DOUBLE: {
    type: DOUBLE,
    expected: 'a number',
    encode: (v) => (typeof v === 'number' ? v : INVALID),
  },
  DATE: {
    type: DATE,
    expected: "a 'YYYY-MM-DD' string or a Date",
    encode: (v) => {
      if (typeof v === 'string') {
        const days = epochDay(v);
        return days === undefined ? INVALID : dateValue(days);
      }
      if (v instanceof Date && !Number.isNaN(v.getTime())) return dateValue(Math.floor(v.getTime() / MS_PER_DAY));
      return INVALID;
    },
  },
  TIMESTAMP: {
    type: TIMESTAMP,
    expected: 'a Date or an ISO-8601 string with a zone',
    encode: (v) => {
      const ms =
        v instanceof Date
          ? v.getTime()
          : typeof v === 'string' && ISO_TIMESTAMP_WITH_ZONE.test(v)
            ? Date.parse(v)
            : NaN;
      return Number.isNaN(ms) ? INVALID : timestampValue(BigInt(ms) * 1000n);
    },
  },
  BOOLEAN: {
    type: BOOLEAN,
    expected: 'a boolean',
    encode: (v) => (typeof v === 'boolean' ? v : INVALID),
  },
};

/** Days since 1970-01-01 for a valid 'YYYY-MM-DD' (proleptic Gregorian), else undefined. */
export function epochDay(text: string): number | undefined {
  const m = ISO_DATE.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  // Days from civil (H. Hinnant's algorithm): exact for every Gregorian date, no Date parsing.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Converts a query parameter to a DuckDB value (a Date becomes a TIMESTAMP). */
export function toDuckDBParam(value: LakeParam): DuckDBValue {
  if (value instanceof Date) return timestampValue(BigInt(value.getTime()) * 1000n);
  return value;
}

/** The result converter: @duckdb/node-api's JS mapping with safe-number integers and string dates. */
export const RESULT_CONVERTER: DuckDBValueConverter<JS> = (value, type, converter) => {
  switch (type.typeId) {
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM: {
      if (value === null) return null;
      const n = value as bigint;
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
    }
    case DuckDBTypeId.DATE:
      return value === null ? null : (value as DuckDBDateValue).toString();
    default:
      return JSDuckDBValueConverter(value, type, converter);
  }
};
