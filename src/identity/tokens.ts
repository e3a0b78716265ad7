/**
 * Keyed tokens (node side): HMAC-SHA-256 under the consortium linkage key over domain-separated normalized
 * values. Only tokens leave a node; the hub never holds the key, so it cannot test a guessed name or number
 * against a token. Each token is the first 128 bits of the HMAC, base64url (22 characters).
 *
 * | token          | over                         | used for                                      |
 * |----------------|------------------------------|-----------------------------------------------|
 * | id             | canonical 18-char ID number  | deterministic link; disagreement vetoes       |
 * | nameDobSex     | name, birth date, sex        | deterministic identity key (reported, audited) |
 * | name           | normalized name              | comparison: exact name                        |
 * | namePinyin     | toneless pinyin key          | comparison: homophones; blocking              |
 * | dob            | birth date                   | comparison; blocking with namePinyin          |
 * | birthMonthDay  | MM-DD of the birth date      | comparison: a wrong birth year                |
 * | sex            | M / F                        | comparison                                    |
 * | phone          | phone digits                 | comparison: exact phone                       |
 * | phoneFolds     | per adjacent position i with different digits: i and the digits with that pair sorted | two swapped digits still share one; blocking |
 *
 * Single low-entropy fields that a frequency count would unmask (surname alone, birth year alone) are not
 * sent: blocking keys are built at the hub by combining tokens.
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { MeridianError } from '../errors/registry.ts';
import type { NormalizedIdentity } from './normalize.ts';

/** Fewest bytes a linkage key may have. */
export const LINKAGE_KEY_BYTES_MIN = 32;
/** Bytes of an HMAC kept in a token. */
const TOKEN_BYTES = 16;
/** Version prefix of every HMAC input, so a future scheme never collides with this one. */
const SCHEME = 'meridian-mpi/v1';

/** Length of a token: base64url of 16 bytes. */
export const TOKEN_LENGTH = 22;
/** Most phone fold tokens one record carries (a 12-digit number has 11 adjacent pairs). */
export const PHONE_FOLDS_MAX = 11;

/** The consortium linkage key (held by every node, never by the hub) and its public fingerprint. */
export class LinkageKey {
  readonly #key: KeyObject;
  /** A fingerprint of the key (an HMAC of a fixed label): the hub refuses a batch tokenized under another key. */
  readonly keyId: string;

  constructor(secret: Uint8Array) {
    if (!(secret instanceof Uint8Array) || secret.byteLength < LINKAGE_KEY_BYTES_MIN)
      throw new MeridianError(
        'MER_IDENTITY_KEY_INVALID',
        `the consortium linkage key must have at least ${LINKAGE_KEY_BYTES_MIN} bytes; refusing to tokenize`,
        { bytes: secret instanceof Uint8Array ? secret.byteLength : 0 },
      );
    this.#key = createSecretKey(secret);
    this.keyId = this.token('key-id', 'linkage key fingerprint');
  }

  /** The token of one normalized value in one domain. */
  token(domain: string, value: string): string {
    return createHmac('sha256', this.#key)
      .update(`${SCHEME}\u0000${domain}\u0000${value}`)
      .digest()
      .subarray(0, TOKEN_BYTES)
      .toString('base64url');
  }
}

const token = z.string().regex(/^[A-Za-z0-9_-]{22}$/);

/** The tokens of one person record; a token is absent where its value is missing or unusable. */
export const TokensSchema = z.strictObject({
  id: token.optional(),
  nameDobSex: token.optional(),
  name: token.optional(),
  namePinyin: token.optional(),
  dob: token.optional(),
  birthMonthDay: token.optional(),
  sex: token.optional(),
  phone: token.optional(),
  phoneFolds: z.array(token).max(PHONE_FOLDS_MAX).optional(),
});

/** The tokens of one person record. */
export type Tokens = z.infer<typeof TokensSchema>;

/** What a node sends the hub for one person: its hospital, its node-local person key and tokens, nothing clear. */
export const TokenRecordSchema = z.strictObject({
  hospital: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  /** The node-local person_id (not an identifier: a key other DWD tables join on); no '|' or whitespace. */
  recordKey: z.string().regex(/^[^|\s]{1,128}$/),
  tokens: TokensSchema,
});

/** What a node sends the hub for one person. */
export type TokenRecord = z.infer<typeof TokenRecordSchema>;

/** Turns normalized identifiers into tokens under the linkage key. */
export function tokenize(key: LinkageKey, n: NormalizedIdentity): Tokens {
  const t: Tokens = {};
  if (n.idNumber !== null) t.id = key.token('id', n.idNumber);
  if (n.name !== null) t.name = key.token('name', n.name);
  if (n.namePinyin !== null) t.namePinyin = key.token('name-pinyin', n.namePinyin);
  if (n.birthDate !== null) {
    t.dob = key.token('dob', n.birthDate);
    t.birthMonthDay = key.token('birth-month-day', n.birthDate.slice(5));
  }
  if (n.sex !== null) t.sex = key.token('sex', n.sex);
  if (n.name !== null && n.birthDate !== null && n.sex !== null)
    t.nameDobSex = key.token('name-dob-sex', `${n.name}\u0000${n.birthDate}\u0000${n.sex}`);
  if (n.phone !== null) {
    t.phone = key.token('phone', n.phone);
    t.phoneFolds = phoneFolds(n.phone).map((f) => key.token('phone-fold', f));
  }
  return t;
}

/**
 * For each adjacent position whose digits differ, the position and the number with that pair sorted
 * ("3:1385…"), sorted: a number and the same number with two adjacent digits swapped share exactly one fold,
 * two numbers that differ otherwise share none.
 */
export function phoneFolds(phone: string): string[] {
  const folds: string[] = [];
  for (let i = 0; i + 1 < phone.length && folds.length < PHONE_FOLDS_MAX; i++) {
    const a = phone[i] as string;
    const b = phone[i + 1] as string;
    if (a === b) continue;
    const pair = a < b ? a + b : b + a;
    folds.push(`${i}:${phone.slice(0, i)}${pair}${phone.slice(i + 2)}`);
  }
  return folds.sort();
}
