/**
 * The node's keys. The consortium record-linkage key: read from `node.linkageKeyFile`, else from `<dataDir>/keys/linkage.key`
 * when it exists. A key file that is named but missing, readable by others, or too short stops the node; no
 * file at all means the node takes no part in linkage (and says so in its log). The field-encryption keys: see
 * {@link openFieldCrypto}.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeConfig } from '../config/schema.ts';
import { MeridianError } from '../errors/registry.ts';
import { LinkageKey } from '../identity/index.ts';
import { FieldCrypto, KEYRING_FILE } from '../privacy/field-crypto.ts';
import { LocalKeyFileProvider } from '../privacy/key-provider.ts';

/** Where a node looks for the linkage key when the configuration names none. */
export function defaultLinkageKeyFile(dataDir: string): string {
  return join(dataDir, 'keys', 'linkage.key');
}

/** Opens the node's linkage key, or null when none is configured and the default file is absent. */
export function loadLinkageKey(config: Pick<NodeConfig, 'dataDir' | 'node'>): LinkageKey | null {
  const named = config.node.linkageKeyFile;
  const file = named ?? defaultLinkageKeyFile(config.dataDir);
  if (named === undefined && !existsSync(file)) return null;
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(file);
  } catch {
    throw new MeridianError(
      'MER_KEY_MISSING',
      `linkage key file ${file} does not exist; restore it or fix node.linkageKeyFile`,
      {
        file,
      },
    );
  }
  const mode = st.mode & 0o777;
  if (!st.isFile() || (mode & 0o077) !== 0) {
    throw new MeridianError(
      'MER_KEY_PERMISSIONS',
      `linkage key file ${file} must be a regular file readable by its owner only (mode 0${mode.toString(8)}; chmod 600 ${file})`,
      { file, mode: `0${mode.toString(8)}` },
    );
  }
  return new LinkageKey(readFileSync(file));
}

/** Where a node keeps its key-encryption key when the configuration names none. */
export function defaultKekFile(dataDir: string): string {
  return join(dataDir, 'keys', 'kek.key');
}

/**
 * Opens the keys that encrypt the node's identifying fields at rest: the key-encryption key (`node.keyFile`, else
 * `<dataDir>/keys/kek.key`) and the keyring of data keys in `<dataDir>/keys`. On a node that has never written
 * a canonical row both are created; after that a missing, loose or wrong key stops the node (MER_KEY_*), so it
 * can never fall back to writing identifiers in the clear.
 */
export async function openFieldCrypto(opts: {
  dataDir: string;
  keyFile?: string;
  /** True when the lake already holds canonical rows (then keys are never created, only opened). */
  hasData: boolean;
}): Promise<FieldCrypto> {
  const dir = join(opts.dataDir, 'keys');
  const kekFile = opts.keyFile ?? defaultKekFile(opts.dataDir);
  const ringExists = existsSync(join(dir, KEYRING_FILE));
  if (!ringExists && !opts.hasData) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const provider = existsSync(kekFile) ? LocalKeyFileProvider.open(kekFile) : LocalKeyFileProvider.create(kekFile);
    return FieldCrypto.create({ dir, provider });
  }
  if (!ringExists) {
    throw new MeridianError(
      'MER_KEY_MISSING',
      `the keyring ${join(dir, KEYRING_FILE)} is missing but the lake holds data encrypted under it; restore the keys directory`,
      { dir },
    );
  }
  return FieldCrypto.open({ dir, provider: LocalKeyFileProvider.open(kekFile) });
}
