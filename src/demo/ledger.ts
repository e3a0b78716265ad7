/**
 * The demo consortium's ledger: the hub and the three demo hospitals each run a validator of chain
 * `meridian-demo` on 127.0.0.1. On the first start the launcher writes `<home>/ledger/ledger.json` (the host
 * config: validators with their ports and signing keys, the institutions) and `<home>/ledger/genesis.json` (the
 * contracts' founding institutions with their roles and keys, the validators); later starts reuse both, after
 * checking that the CA still holds the keys they name. Ports are fixed, derived from the demo's first node port,
 * so a restart finds the same validators where they were:
 *
 *   validator i (hub, hospital-a, hospital-b, hospital-c): p2p = base + 2i, API = base + 2i + 1,
 *   base = nodeBasePort + {@link DEMO_LEDGER_PORT_OFFSET}
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { identityPaths, type TlsMaterial } from '../ca/index.ts';
import { MeridianError } from '../errors/registry.ts';
import { type Genesis, type GenesisInput, parseGenesis } from '../ledger/contracts/index.ts';
import { LedgerClient, type LedgerConfig, parseLedgerConfig, readLedgerConfig } from '../ledger/host/index.ts';
import { publicKeyHex } from '../ledger/signing.ts';
import { writeFileAtomic } from '../store/index.ts';

/** The demo ledger's chain id. */
export const DEMO_CHAIN_ID = 'meridian-demo';
/** How far above the demo's first node port the ledger's ports start. */
export const DEMO_LEDGER_PORT_OFFSET = 100;
/** The address every demo validator listens on. */
export const DEMO_LEDGER_HOST = '127.0.0.1';

/** A founding institution of the demo ledger and the raw Ed25519 public key (hex) it signs transactions with. */
export interface DemoLedgerInstitution {
  name: string;
  role: 'hub' | 'hospital';
  publicKey: string;
}

/**
 * The demo's ledger config and genesis document for these institutions (each also a validator, in the given
 * order), with ports from `basePort`; pure, so the same inputs give the same files.
 */
export function demoLedgerDocuments(opts: {
  institutions: readonly DemoLedgerInstitution[];
  basePort: number;
  genesisTime: number;
}): { config: LedgerConfig; genesis: GenesisInput } {
  const last = opts.basePort + 2 * opts.institutions.length - 1;
  if (!Number.isInteger(opts.basePort) || opts.basePort < 1 || last > 65_535) {
    throw new MeridianError(
      'MER_CLI_USAGE',
      `the demo ledger's ports would run from ${opts.basePort} to ${last}; choose a --node-base-port below ${65_536 - DEMO_LEDGER_PORT_OFFSET - 2 * opts.institutions.length}`,
      { basePort: opts.basePort },
    );
  }
  const config = parseLedgerConfig({
    chainId: DEMO_CHAIN_ID,
    validators: opts.institutions.map((inst, i) => ({
      name: inst.name,
      host: DEMO_LEDGER_HOST,
      p2pPort: opts.basePort + 2 * i,
      apiPort: opts.basePort + 2 * i + 1,
      publicKey: inst.publicKey,
    })),
    institutions: opts.institutions.map((inst) => ({ name: inst.name, publicKey: inst.publicKey })),
  });
  const genesis: GenesisInput = {
    chainId: DEMO_CHAIN_ID,
    genesisTime: opts.genesisTime,
    institutions: opts.institutions.map((inst) => ({ name: inst.name, role: inst.role, publicKey: inst.publicKey })),
    validators: opts.institutions.map((inst) => ({ name: inst.name, publicKey: inst.publicKey })),
  };
  parseGenesis(genesis);
  return { config, genesis };
}

/** The demo ledger's files in a home directory. */
export interface DemoLedger {
  readonly dir: string;
  readonly configFile: string;
  readonly genesisFile: string;
  readonly config: LedgerConfig;
  readonly genesis: Genesis;
  /** True when this call wrote the files (first start, or a home created before the demo had a ledger). */
  readonly created: boolean;
  /** A validator's data directory (write-ahead log, blocks). */
  dataDir(name: string): string;
}

/**
 * Writes the demo ledger's config and genesis under `dir` if neither exists, else reads both and checks that they
 * describe one chain whose keys are the ones the CA holds for each institution; MER_LEDGER_CONFIG otherwise.
 */
export function ensureDemoLedger(opts: {
  dir: string;
  caDir: string;
  institutions: readonly { name: string; role: 'hub' | 'hospital' }[];
  basePort: number;
  now: () => Date;
}): DemoLedger {
  const configFile = join(opts.dir, 'ledger.json');
  const genesisFile = join(opts.dir, 'genesis.json');
  const institutions = opts.institutions.map((inst) => ({
    ...inst,
    publicKey: publicKeyHex(readFileSync(identityPaths(opts.caDir, inst.name).signingPub, 'utf8')),
  }));
  const haveConfig = existsSync(configFile);
  const haveGenesis = existsSync(genesisFile);
  if (haveConfig !== haveGenesis) {
    const missing = haveConfig ? genesisFile : configFile;
    throw new MeridianError(
      'MER_LEDGER_CONFIG',
      `${missing} is missing while its companion exists; restore it, or remove ${opts.dir} to start a new demo chain`,
      { file: missing },
    );
  }
  const dataDir = (name: string) => join(opts.dir, name);
  if (!haveConfig) {
    const docs = demoLedgerDocuments({ institutions, basePort: opts.basePort, genesisTime: opts.now().getTime() });
    writeFileAtomic(genesisFile, `${JSON.stringify(docs.genesis, null, 2)}\n`);
    writeFileAtomic(configFile, `${JSON.stringify(docs.config, null, 2)}\n`);
    return {
      dir: opts.dir,
      configFile,
      genesisFile,
      config: docs.config,
      genesis: parseGenesis(docs.genesis),
      created: true,
      dataDir,
    };
  }
  const config = readLedgerConfig(configFile);
  let genesis: Genesis;
  try {
    genesis = parseGenesis(JSON.parse(readFileSync(genesisFile, 'utf8')));
  } catch (e) {
    throw new MeridianError('MER_LEDGER_CONFIG', `${genesisFile}: ${(e as Error).message}`, { file: genesisFile });
  }
  if (genesis.chainId !== config.chainId) {
    throw new MeridianError(
      'MER_LEDGER_CONFIG',
      `${genesisFile} is for chain ${genesis.chainId}, ${configFile} for chain ${config.chainId}`,
    );
  }
  for (const inst of institutions) {
    const inConfig = config.validators.find((v) => v.name === inst.name)?.publicKey;
    const inGenesis = genesis.institutions.find((g) => g.name === inst.name)?.publicKey;
    for (const [file, key] of [
      [configFile, inConfig],
      [genesisFile, inGenesis],
    ] as const) {
      if (key !== inst.publicKey) {
        throw new MeridianError(
          'MER_LEDGER_CONFIG',
          `${file} names ${key === undefined ? 'no key' : `key ${key.slice(0, 16)}…`} for ${inst.name}, but the CA in ${opts.caDir} holds ${inst.publicKey.slice(0, 16)}…; the CA was re-created: remove ${opts.dir} to start a new demo chain`,
          { file, institution: inst.name },
        );
      }
    }
  }
  return { dir: opts.dir, configFile, genesisFile, config, genesis, created: false, dataDir };
}

/** The command-line arguments of `meridian` that start one demo validator on the production contracts. */
export function demoValidatorArgs(ledger: DemoLedger, caDir: string, name: string): string[] {
  return [
    'ledger',
    'validator',
    'start',
    '--name',
    name,
    '--config',
    ledger.configFile,
    '--genesis',
    ledger.genesisFile,
    '--ca-dir',
    caDir,
    '--data',
    ledger.dataDir(name),
  ];
}

/** The height and view every validator reports on `GET /v1/status` (mutual TLS), or why it did not answer. */
export async function demoLedgerStatus(
  config: LedgerConfig,
  tls: TlsMaterial,
  timeoutMs: number,
): Promise<{ name: string; height?: number; view?: number; error?: string }[]> {
  const client = new LedgerClient({ config, tls });
  try {
    return await Promise.all(
      config.validators.map(async (v) => {
        try {
          const { status, body } = await client.get(v.name, '/v1/status', timeoutMs);
          const s = body as { height?: unknown; view?: unknown };
          if (status !== 200 || typeof s.height !== 'number') return { name: v.name, error: `HTTP ${status}` };
          return { name: v.name, height: s.height, ...(typeof s.view === 'number' ? { view: s.view } : {}) };
        } catch (e) {
          return { name: v.name, error: (e as Error).message };
        }
      }),
    );
  } finally {
    client.close();
  }
}
