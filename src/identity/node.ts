/**
 * Node side of the master patient index: reads the lake's `person` table a page at a time, normalizes each
 * person's identifiers and answers the hub with token records only. Clear values stay in this process; an
 * optional `decrypt` hook opens fields that are encrypted at rest. Several rows of one person_id (an HL7
 * feed writes one per message) become one record: per field, the most frequent normalized value.
 */
import { z } from 'zod';
import type { TaskHandler } from '../node/hub-channel.ts';
import type { Lake } from '../store/index.ts';
import { type NormalizedIdentity, normalizeIdentity } from './normalize.ts';
import { type LinkageKey, type TokenRecord, tokenize } from './tokens.ts';

/** Default persons per page of `identity.tokens`. */
export const TOKEN_PAGE_DEFAULT = 2_000;
/** Most persons per page of `identity.tokens` (bounds the message and the node's memory). */
export const TOKEN_PAGE_MAX = 10_000;

/** Opens a value encrypted at rest (identity when fields are stored in the clear). */
export type DecryptField = (value: string, column: 'id_number' | 'name' | 'phone') => string | Promise<string>;

/** What the node needs to tokenize its persons. */
export interface NodeTokenizerDeps {
  lake: Lake;
  key: LinkageKey;
  /** This node's hospital name (as in its certificate). */
  hospital: string;
  decrypt?: DecryptField;
}

/** One page of token records, with the cursor for the next page (null at the end). */
export interface TokenPage {
  hospital: string;
  /** Fingerprint of the linkage key the tokens were made with. */
  keyId: string;
  records: TokenRecord[];
  next: string | null;
}

const PageQuerySchema = z.strictObject({
  after: z.string().max(128).optional(),
  limit: z.number().int().min(1).max(TOKEN_PAGE_MAX).optional(),
});

interface PersonRow {
  person_id: string;
  id_number: string | null;
  name: string | null;
  phone: string | null;
  gender: string | null;
  birth_date: string | null;
}

/** Token records of the persons after `after` (by person_id), at most `limit` persons. */
export async function readTokenPage(
  deps: NodeTokenizerDeps,
  page: { after?: string; limit?: number } = {},
): Promise<TokenPage> {
  const limit = Math.min(page.limit ?? TOKEN_PAGE_DEFAULT, TOKEN_PAGE_MAX);
  const empty: TokenPage = { hospital: deps.hospital, keyId: deps.key.keyId, records: [], next: null };
  if (!(await deps.lake.tables()).includes('person')) return empty;
  const rows = await deps.lake.query<PersonRow & Record<string, unknown>>(
    `with ids as (
       select distinct person_id from person where person_id > $1 order by person_id limit $2
     )
     select p.person_id, p.id_number, p.name, p.phone, p.gender, cast(p.birth_date as varchar) as birth_date
     from person p join ids using (person_id)
     order by p.person_id, p.id_number, p.name, p.phone, p.gender, p.birth_date`,
    [page.after ?? '', limit],
  );
  const records: TokenRecord[] = [];
  let group: NormalizedIdentity[] = [];
  let current: string | null = null;
  const flush = () => {
    if (current === null) return;
    records.push({ hospital: deps.hospital, recordKey: current, tokens: tokenize(deps.key, consensus(group)) });
  };
  for (const row of rows) {
    if (row.person_id !== current) {
      flush();
      current = row.person_id;
      group = [];
    }
    group.push(await normalizeRow(row, deps.decrypt));
  }
  flush();
  return { ...empty, records, next: records.length === limit ? (current as string) : null };
}

/** Task handlers the node registers for the hub: `identity.tokens` returns one page of token records. */
export function identityTaskHandlers(deps: NodeTokenizerDeps): Record<string, TaskHandler> {
  return {
    'identity.tokens': async (payload) => readTokenPage(deps, PageQuerySchema.parse(payload ?? {})),
  };
}

async function normalizeRow(row: PersonRow, decrypt: DecryptField | undefined): Promise<NormalizedIdentity> {
  const open = async (v: string | null, column: 'id_number' | 'name' | 'phone') =>
    v === null || decrypt === undefined ? v : decrypt(v, column);
  return normalizeIdentity({
    idNumber: await open(row.id_number, 'id_number'),
    name: await open(row.name, 'name'),
    phone: await open(row.phone, 'phone'),
    sex: row.gender,
    birthDate: row.birth_date,
  });
}

/** Per field, the most frequent non-null value among one person's rows (ties: the smallest). */
export function consensus(rows: readonly NormalizedIdentity[]): NormalizedIdentity {
  const pick = <K extends keyof NormalizedIdentity>(k: K): NormalizedIdentity[K] => {
    const counts = new Map<string, number>();
    for (const r of rows) {
      const v = r[k];
      if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    let best: string | null = null;
    let bestCount = 0;
    for (const [v, c] of counts)
      if (c > bestCount || (c === bestCount && best !== null && v < best)) [best, bestCount] = [v, c];
    return best as NormalizedIdentity[K];
  };
  const name = pick('name');
  const pinyinOfName = rows.find((r) => r.name === name)?.namePinyin ?? null;
  return {
    idNumber: pick('idNumber'),
    name,
    namePinyin: pinyinOfName,
    birthDate: pick('birthDate'),
    sex: pick('sex'),
    phone: pick('phone'),
  };
}
