/**
 * Key-encryption keys (KEKs). A {@link KeyProvider} wraps and unwraps data keys and never hands out its
 * own key, which is the contract an HSM (PKCS#11 C_WrapKey/C_UnwrapKey) or a cloud KMS (Encrypt/Decrypt
 * with an encryption context) already offers, so a production provider is a thin adapter. The default,
 * {@link LocalKeyFileProvider}, keeps a 32-byte key in a file that must be readable by its owner only.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { MeridianError } from '../errors/registry.ts';

/** What a key-encryption key provider does (local file, HSM, KMS). */
export interface KeyProvider {
  /** Stable id of the key-encryption key (recorded in the keyring, so the wrong key is named in the error). */
  readonly kekId: string;
  /** Encrypts `plaintext` (a data key) under the KEK, bound to `context`. */
  wrap(plaintext: Uint8Array, context: string): Promise<Uint8Array>;
  /** Decrypts what {@link wrap} returned with the same context; throws MER_KEY_WRONG when it does not verify. */
  unwrap(wrapped: Uint8Array, context: string): Promise<Uint8Array>;
}

/** Bytes of a key-encryption key or data key (AES-256). */
export const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** File mode bits that must be clear on a key file: any access for group or others. */
const GROUP_OTHER_BITS = 0o077;

function keyFileError(code: 'MER_KEY_MISSING' | 'MER_KEY_INVALID', file: string, what: string): MeridianError {
  return new MeridianError(code, `key file ${file}: ${what}`, { file });
}

/** A key-encryption key held in a local file (mode 0600, exactly 32 random bytes). */
export class LocalKeyFileProvider implements KeyProvider {
  readonly kekId: string;
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
    this.kekId = `local:${createHash('sha256').update('meridian-kek-id\0').update(key).digest('hex').slice(0, 16)}`;
  }

  /** Creates a new key file with 32 random bytes and mode 0600; throws MER_KEY_EXISTS rather than overwrite. */
  static create(file: string): LocalKeyFileProvider {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const key = randomBytes(KEY_BYTES);
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST')
        throw new MeridianError('MER_KEY_EXISTS', `key file ${file} already exists; a key is never overwritten`, {
          file,
        });
      throw e;
    }
    try {
      writeSync(fd, key);
    } finally {
      closeSync(fd);
    }
    return new LocalKeyFileProvider(key);
  }

  /**
   * Opens a key file; refuses (never falls back) when it is missing (MER_KEY_MISSING), not a regular file of
   * exactly 32 bytes (MER_KEY_INVALID), or accessible by group or others or owned by another user
   * (MER_KEY_PERMISSIONS).
   */
  static open(file: string): LocalKeyFileProvider {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw keyFileError('MER_KEY_MISSING', file, 'does not exist; restore it or point the node at the right key');
      throw e;
    }
    if (!st.isFile()) throw keyFileError('MER_KEY_INVALID', file, 'is not a regular file');
    const mode = st.mode & 0o777;
    if ((mode & GROUP_OTHER_BITS) !== 0)
      throw new MeridianError(
        'MER_KEY_PERMISSIONS',
        `key file ${file} has mode 0${mode.toString(8)}; it must be readable by its owner only (chmod 600 ${file})`,
        { file, mode: `0${mode.toString(8)}` },
      );
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid)
      throw new MeridianError(
        'MER_KEY_PERMISSIONS',
        `key file ${file} belongs to user ${st.uid}, not to the user running the node (${uid})`,
        { file },
      );
    const key = readFileSync(file);
    if (key.length !== KEY_BYTES)
      throw keyFileError('MER_KEY_INVALID', file, `holds ${key.length} bytes; a key is exactly ${KEY_BYTES} bytes`);
    return new LocalKeyFileProvider(key);
  }

  /** AES-256-GCM under the KEK, the context as associated data: nonce ‖ tag ‖ ciphertext. */
  async wrap(plaintext: Uint8Array, context: string): Promise<Uint8Array> {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([nonce, cipher.getAuthTag(), body]);
  }

  /** Reverses {@link wrap}; MER_KEY_WRONG when the tag does not verify (another key, context or altered bytes). */
  async unwrap(wrapped: Uint8Array, context: string): Promise<Uint8Array> {
    const buf = Buffer.from(wrapped);
    if (buf.length < NONCE_BYTES + TAG_BYTES)
      throw new MeridianError('MER_KEY_WRONG', `a wrapped key (${context}) is too short to be one`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, buf.subarray(0, NONCE_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(buf.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(buf.subarray(NONCE_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      throw new MeridianError(
        'MER_KEY_WRONG',
        `the key-encryption key ${this.kekId} cannot unwrap ${context}: it is not the key that wrapped it`,
      );
    }
  }
}
