/**
 * Field encryption at rest. Identifying fields and L4–L5 fields of DWD rows are encrypted value by value
 * with AES-256-GCM under a data key; data keys are stored only wrapped by the key provider's KEK in a
 * keyring file next to a key-check value, so opening with a wrong or missing KEK fails before anything is
 * read or written, and nothing falls back to plaintext.
 *
 *   KEK (key provider: local file 0600 | HSM | KMS)
 *    └─ wraps ─► keyring.json: { kekId, check, active, dataKeys: [{ id, wrapped }] }
 *                   └─ data key dk… ─► value ciphertext "mer1.<dk id>.<nonce>.<ciphertext>.<tag>"
 *                                       AAD "meridian-field|v1|<table>|<field>|<dk id>"
 *
 * Each ciphertext names its data key, so rotating the KEK re-wraps the keyring only (the lake is not
 * rewritten), and rotating the data key just starts a new one for new writes while old ones still decrypt.
 * The AAD binds a ciphertext to its table and field: copied into another field it no longer verifies.
 */
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { MeridianError } from '../errors/registry.ts';
import { DWD_TABLES, type DwdTable, type FieldDef } from '../model/dwd.ts';
import { writeFileAtomic } from '../store/index.ts';
import { KEY_BYTES, type KeyProvider } from './key-provider.ts';

/** File name of the keyring inside its directory. */
export const KEYRING_FILE = 'keyring.json';
/** Version tag every value ciphertext starts with. */
export const CIPHERTEXT_VERSION = 'mer1';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Most data keys a keyring holds (one per rotation; a node rotating monthly needs 80 years to fill it). */
const DATA_KEYS_MAX = 1_000;
const KEY_CHECK_PLAINTEXT = Buffer.from('meridian key check v1', 'utf8');
const KEY_CHECK_CONTEXT = 'meridian-key-check|v1';
const DATA_KEY_ID = /^dk[0-9a-f]{12}$/;
const B64URL = /^[A-Za-z0-9_-]*$/;

/** Fields encrypted because they identify a person directly, whatever their level. */
const IDENTIFYING_FIELDS: Partial<Record<DwdTable, readonly string[]>> = {
  person: ['local_patient_id', 'id_number', 'name', 'phone'],
};

/** The fields of one table stored encrypted (all VARCHAR, so a ciphertext fits the lake column). */
function encryptedFieldsOf(table: DwdTable): readonly string[] {
  const fields: Readonly<Record<string, FieldDef>> = DWD_TABLES[table].fields;
  const identifying = IDENTIFYING_FIELDS[table] ?? [];
  const names = Object.entries(fields)
    .filter(([name, def]) => def.level >= 4 || identifying.includes(name))
    .map(([name]) => name);
  for (const name of names)
    assert.equal(fields[name]?.type, 'VARCHAR', `${table}.${name} is encrypted, so its lake column must be VARCHAR`);
  return names;
}

/** Per table, the fields stored encrypted: identifying fields and every L4–L5 field. */
export const ENCRYPTED_FIELDS: Readonly<Record<DwdTable, readonly string[]>> = {
  person: encryptedFieldsOf('person'),
  visit_occurrence: encryptedFieldsOf('visit_occurrence'),
  condition_occurrence: encryptedFieldsOf('condition_occurrence'),
  drug_exposure: encryptedFieldsOf('drug_exposure'),
  measurement: encryptedFieldsOf('measurement'),
  procedure_occurrence: encryptedFieldsOf('procedure_occurrence'),
  observation: encryptedFieldsOf('observation'),
  note: encryptedFieldsOf('note'),
  imaging_study: encryptedFieldsOf('imaging_study'),
  death: encryptedFieldsOf('death'),
};

const KeyringSchema = z.strictObject({
  format: z.literal('meridian-keyring'),
  version: z.literal(1),
  kekId: z.string().min(1).max(512),
  check: z.base64(),
  active: z.string().regex(DATA_KEY_ID),
  dataKeys: z
    .array(z.strictObject({ id: z.string().regex(DATA_KEY_ID), wrapped: z.base64() }))
    .min(1)
    .max(DATA_KEYS_MAX),
});

type Keyring = z.infer<typeof KeyringSchema>;

/** The parts of a value ciphertext. */
export interface CiphertextParts {
  keyId: string;
  nonce: Buffer;
  body: Buffer;
  tag: Buffer;
}

/** Splits a value ciphertext into its parts, or null when `value` is not one. */
export function parseCiphertext(value: string): CiphertextParts | null {
  const parts = value.split('.');
  if (parts.length !== 5 || parts[0] !== CIPHERTEXT_VERSION) return null;
  const [, keyId, nonce, body, tag] = parts as [string, string, string, string, string];
  if (!DATA_KEY_ID.test(keyId) || ![nonce, body, tag].every((p) => B64URL.test(p))) return null;
  const parsed = {
    keyId,
    nonce: Buffer.from(nonce, 'base64url'),
    body: Buffer.from(body, 'base64url'),
    tag: Buffer.from(tag, 'base64url'),
  };
  return parsed.nonce.length === NONCE_BYTES && parsed.tag.length === TAG_BYTES ? parsed : null;
}

function fieldAad(table: string, field: string, keyId: string): Buffer {
  return Buffer.from(`meridian-field|v1|${table}|${field}|${keyId}`, 'utf8');
}

function dataKeyContext(id: string): string {
  return `meridian-data-key|v1|${id}`;
}

function newDataKeyId(): string {
  return `dk${randomBytes(6).toString('hex')}`;
}

function keyringError(file: string, what: string): MeridianError {
  return new MeridianError('MER_KEY_INVALID', `keyring ${file}: ${what}`, { file });
}

function readKeyring(file: string): Keyring {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new MeridianError(
        'MER_KEY_MISSING',
        `keyring ${file} does not exist; without it no encrypted field can be read or written`,
        { file },
      );
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw keyringError(file, 'is not valid JSON');
  }
  const parsed = KeyringSchema.safeParse(json);
  if (!parsed.success) throw keyringError(file, parsed.error.issues.map((i) => i.path.join('.')).join(', '));
  const ids = new Set(parsed.data.dataKeys.map((k) => k.id));
  if (ids.size !== parsed.data.dataKeys.length) throw keyringError(file, 'names a data key twice');
  if (!ids.has(parsed.data.active)) throw keyringError(file, 'its active data key is not among its data keys');
  return parsed.data;
}

async function wrapAll(provider: KeyProvider, keys: ReadonlyMap<string, Buffer>, active: string): Promise<Keyring> {
  const dataKeys: Keyring['dataKeys'] = [];
  for (const [id, key] of keys)
    dataKeys.push({ id, wrapped: Buffer.from(await provider.wrap(key, dataKeyContext(id))).toString('base64') });
  const check = Buffer.from(await provider.wrap(KEY_CHECK_PLAINTEXT, KEY_CHECK_CONTEXT)).toString('base64');
  return { format: 'meridian-keyring', version: 1, kekId: provider.kekId, check, active, dataKeys };
}

/** An open keyring: encrypts and decrypts DWD field values with its data keys. */
export class FieldCrypto {
  readonly #file: string;
  #provider: KeyProvider;
  #active: string;
  readonly #keys: Map<string, Buffer>;
  #blindKey: Buffer | undefined;

  private constructor(file: string, provider: KeyProvider, active: string, keys: Map<string, Buffer>) {
    this.#file = file;
    this.#provider = provider;
    this.#active = active;
    this.#keys = keys;
  }

  /** Creates `<dir>/keyring.json` with one new data key under `provider`; MER_KEY_EXISTS if there is one. */
  static async create(opts: { dir: string; provider: KeyProvider }): Promise<FieldCrypto> {
    const file = join(opts.dir, KEYRING_FILE);
    if (existsSync(file))
      throw new MeridianError('MER_KEY_EXISTS', `keyring ${file} already exists; open it instead`, { file });
    const id = newDataKeyId();
    const crypto = new FieldCrypto(file, opts.provider, id, new Map([[id, randomBytes(KEY_BYTES)]]));
    await crypto.#save(opts.provider);
    return crypto;
  }

  /**
   * Opens `<dir>/keyring.json`: MER_KEY_MISSING without one, MER_KEY_INVALID when malformed, MER_KEY_WRONG
   * when the provider's KEK is not the one the keyring was wrapped under (checked by id, then by unwrapping
   * the key-check value) — before any data key is used.
   */
  static async open(opts: { dir: string; provider: KeyProvider }): Promise<FieldCrypto> {
    const file = join(opts.dir, KEYRING_FILE);
    const ring = readKeyring(file);
    const { provider } = opts;
    if (ring.kekId !== provider.kekId)
      throw new MeridianError(
        'MER_KEY_WRONG',
        `keyring ${file} is wrapped under key-encryption key ${ring.kekId}, but the key provider holds ${provider.kekId}; use that key (or the key it was rotated to)`,
        { file, expected: ring.kekId, actual: provider.kekId },
      );
    const check = await provider.unwrap(Buffer.from(ring.check, 'base64'), KEY_CHECK_CONTEXT);
    if (!KEY_CHECK_PLAINTEXT.equals(Buffer.from(check)))
      throw new MeridianError('MER_KEY_WRONG', `keyring ${file}: the key-check value does not match`, { file });
    const keys = new Map<string, Buffer>();
    for (const dk of ring.dataKeys) {
      const key = Buffer.from(await provider.unwrap(Buffer.from(dk.wrapped, 'base64'), dataKeyContext(dk.id)));
      if (key.length !== KEY_BYTES) throw keyringError(file, `data key ${dk.id} is not ${KEY_BYTES} bytes`);
      keys.set(dk.id, key);
    }
    return new FieldCrypto(file, provider, ring.active, keys);
  }

  /** Id of the data key new values are encrypted under. */
  get activeKeyId(): string {
    return this.#active;
  }

  /** The KEK id the keyring is wrapped under. */
  get kekId(): string {
    return this.#provider.kekId;
  }

  async #save(provider: KeyProvider): Promise<void> {
    const ring = await wrapAll(provider, this.#keys, this.#active);
    writeFileAtomic(this.#file, `${JSON.stringify(ring, null, 2)}\n`, { mode: 0o600 });
  }

  /**
   * Re-wraps every data key (and the key-check value) under `next` and replaces the keyring atomically; no
   * value ciphertext changes. Keep the old KEK until this returns; afterwards only `next` opens the keyring.
   */
  async rotateKek(next: KeyProvider): Promise<void> {
    await this.#save(next);
    this.#provider = next;
  }

  /** Starts a new data key for new writes; values under the old ones still decrypt. Returns the new key's id. */
  async rotateDataKey(): Promise<string> {
    if (this.#keys.size >= DATA_KEYS_MAX)
      throw keyringError(this.#file, `holds ${DATA_KEYS_MAX} data keys, the most it may hold`);
    const id = newDataKeyId();
    const previous = this.#active;
    this.#keys.set(id, randomBytes(KEY_BYTES));
    this.#active = id;
    try {
      await this.#save(this.#provider);
    } catch (e) {
      this.#keys.delete(id);
      this.#active = previous;
      throw e;
    }
    return id;
  }

  /**
   * A keyed blind index of an already normalized value (HMAC-SHA-256 under a key derived from the keyring's
   * first data key, so it survives rotation): equal inputs give equal indexes, which lets quality checks find
   * duplicates among encrypted identifiers without decrypting them; the value cannot be read back.
   */
  blindIndex(domain: string, normalized: string): string {
    this.#blindKey ??= Buffer.from(
      hkdfSync('sha256', this.#keys.values().next().value as Buffer, Buffer.alloc(0), 'meridian-blind-index|v1', 32),
    );
    return createHmac('sha256', this.#blindKey)
      .update(`${domain}\u0000${normalized}`)
      .digest()
      .subarray(0, 16)
      .toString('base64url');
  }

  /** Encrypts one value of `table.field` under the active data key (fresh random nonce). */
  encrypt(table: string, field: string, plaintext: string): string {
    const keyId = this.#active;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#keys.get(keyId) as Buffer, nonce);
    cipher.setAAD(fieldAad(table, field, keyId));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [nonce, body, cipher.getAuthTag()].map((b) => b.toString('base64url'));
    return [CIPHERTEXT_VERSION, keyId, ...parts].join('.');
  }

  /**
   * Decrypts one value of `table.field`: MER_PRIVACY_NOT_ENCRYPTED when it is not a ciphertext (plaintext is
   * never passed through), MER_KEY_UNKNOWN for a data key not in the keyring, MER_PRIVACY_DECRYPT_FAILED when
   * it does not verify (altered, or moved from another table or field).
   */
  decrypt(table: string, field: string, ciphertext: string): string {
    const parts = parseCiphertext(ciphertext);
    if (parts === null)
      throw new MeridianError('MER_PRIVACY_NOT_ENCRYPTED', `${table}.${field} holds a value that is not a ciphertext`, {
        table,
        field,
      });
    const key = this.#keys.get(parts.keyId);
    if (key === undefined)
      throw new MeridianError(
        'MER_KEY_UNKNOWN',
        `${table}.${field} is encrypted under data key ${parts.keyId}, which keyring ${this.#file} does not hold`,
        { table, field, keyId: parts.keyId },
      );
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, parts.nonce);
      decipher.setAAD(fieldAad(table, field, parts.keyId));
      decipher.setAuthTag(parts.tag);
      return Buffer.concat([decipher.update(parts.body), decipher.final()]).toString('utf8');
    } catch {
      throw new MeridianError(
        'MER_PRIVACY_DECRYPT_FAILED',
        `a ciphertext in ${table}.${field} does not verify: it was altered or belongs to another table or field`,
        { table, field },
      );
    }
  }

  /** A copy of a DWD row with its {@link ENCRYPTED_FIELDS} encrypted (nulls stay null); call before writing. */
  encryptRow(table: DwdTable, row: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...row };
    for (const field of ENCRYPTED_FIELDS[table]) {
      const value = row[field];
      if (value === null || value === undefined) continue;
      if (typeof value !== 'string')
        throw new MeridianError('MER_PRIVACY_BAD_VALUE', `${table}.${field} must be text to be encrypted`, {
          table,
          field,
        });
      out[field] = this.encrypt(table, field, value);
    }
    return out;
  }

  /** A copy of a DWD row read from the lake with its {@link ENCRYPTED_FIELDS} decrypted (see {@link decrypt}). */
  decryptRow(table: DwdTable, row: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...row };
    for (const field of ENCRYPTED_FIELDS[table]) {
      const value = row[field];
      if (value === null || value === undefined) continue;
      if (typeof value !== 'string')
        throw new MeridianError(
          'MER_PRIVACY_NOT_ENCRYPTED',
          `${table}.${field} holds a value that is not a ciphertext`,
          {
            table,
            field,
          },
        );
      out[field] = this.decrypt(table, field, value);
    }
    return out;
  }
}
