/**
 * What happens to a canonical row on its way into the lake: person rows get their ID number checked and keyed
 * blind indexes of the normalized ID number, name and phone (so duplicates can be found without decrypting),
 * then every identifying and L4–L5 field is encrypted. The loader takes nothing else, so there is no path by
 * which a clear identifier reaches the lake.
 */

import { checkIdNumber } from '../identity/id-number.ts';
import type { DwdTable } from '../model/dwd.ts';
import { ENCRYPTED_FIELDS, type FieldCrypto } from './field-crypto.ts';

/** Turns a canonical row into what the lake stores. */
export type RowProtector = (table: DwdTable, row: Readonly<Record<string, unknown>>) => Record<string, unknown>;

/** The comparison key of an ID number: half-width, no spaces, upper-case X, a 15-digit number as its 18-digit body, without the check character. */
export function idNumberKey(raw: string): string | null {
  const k = raw
    .replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[ｘＸ]/g, 'X')
    .replace(/\s/g, '')
    .toUpperCase();
  const key = k.length === 15 ? `${k.slice(0, 6)}19${k.slice(6, 15)}` : k.slice(0, 17);
  return key === '' ? null : key;
}

/** The comparison key of a name: without whitespace and middle dots of any kind. */
export function nameKey(raw: string): string | null {
  const key = raw.replace(/[\s·•．・.]/g, '');
  return key === '' ? null : key;
}

/** The comparison key of a phone number: its digits. */
export function phoneKey(raw: string): string | null {
  const key = raw.replace(/[^0-9]/g, '');
  return key === '' ? null : key;
}

/** The protector of a node: blind indexes and ID checks for person rows, then encryption, under `crypto`. */
export function rowProtector(crypto: FieldCrypto): RowProtector {
  return (table, row) => {
    if (table === 'person') {
      const derived: Record<string, unknown> = { ...row };
      const index = (field: string, key: (raw: string) => string | null) => {
        const v = row[field];
        const k = typeof v === 'string' ? key(v) : null;
        derived[`${field}_bidx`] = k === null ? null : crypto.blindIndex(`person.${field}`, k);
      };
      index('id_number', idNumberKey);
      index('name', nameKey);
      index('phone', phoneKey);
      const id = row.id_number;
      if (typeof id === 'string') {
        const check = checkIdNumber(id);
        derived.id_number_check = check.ok ? 'ok' : check.problem;
      }
      return crypto.encryptRow(table, derived);
    }
    return ENCRYPTED_FIELDS[table].length === 0 ? (row as Record<string, unknown>) : crypto.encryptRow(table, row);
  };
}
