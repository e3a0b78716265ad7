/**
 * The node's consortium record-linkage key: read from `node.linkageKeyFile`, else from `<dataDir>/keys/linkage.key`
 * when it exists. A key file that is named but missing, readable by others, or too short stops the node; no
 * file at all means the node takes no part in linkage (and says so in its log).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeConfig } from '../config/schema.ts';
import { MeridianError } from '../errors/registry.ts';
import { LinkageKey } from '../identity/index.ts';

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
