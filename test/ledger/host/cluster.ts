/** Real validator clusters for tests and the benchmark: a fresh CA, identities, a ledger config, processes. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identityPaths, initCa, issueIdentity, loadTlsMaterial, type TlsMaterial } from '../../../src/ca/index.ts';
import type { LedgerConfig } from '../../../src/ledger/host/index.ts';
import { publicKeyHex } from '../../../src/ledger/signing.ts';
import { type SignedTransaction, signTransaction } from '../../../src/ledger/transaction.ts';
import { freePort, type Proc, startMeridian, waitUntil } from '../../integration/processes.ts';

/** The test application module the validator processes load. */
export const TEST_APP = join(import.meta.dirname, 'test-app.ts');

/** A CA with validators and a client institution, and the ledger config that names them. */
export interface ClusterFiles {
  readonly root: string;
  readonly caDir: string;
  readonly configPath: string;
  readonly config: LedgerConfig;
  readonly clientName: string;
  readonly clientKey: string;
  readonly clientTls: TlsMaterial;
  dataDir(name: string): string;
  cleanup(): Promise<void>;
}

/** Issues `n` validator identities and one client identity; writes the ledger config with free ports. */
export async function makeClusterFiles(opts: {
  n: number;
  consensus?: LedgerConfig['consensus'];
}): Promise<ClusterFiles> {
  const root = await mkdtemp(join(tmpdir(), 'meridian-ledger-'));
  const caDir = join(root, 'pki');
  await initCa({ dir: caDir });
  const names = Array.from({ length: opts.n }, (_, i) => `validator-${String.fromCharCode(97 + i)}`);
  const validators: LedgerConfig['validators'] = [];
  for (const name of names) {
    await issueIdentity({ dir: caDir, name, role: 'node' });
    const pub = await readFile(identityPaths(caDir, name).signingPub, 'utf8');
    validators.push({
      name,
      host: '127.0.0.1',
      p2pPort: await freePort(),
      apiPort: await freePort(),
      publicKey: publicKeyHex(pub),
    });
  }
  const clientName = 'hospital-client';
  await issueIdentity({ dir: caDir, name: clientName, role: 'node' });
  const clientPub = await readFile(identityPaths(caDir, clientName).signingPub, 'utf8');
  const config: LedgerConfig = {
    chainId: 'meridian-test',
    validators,
    institutions: [{ name: clientName, publicKey: publicKeyHex(clientPub) }],
    consensus: opts.consensus ?? {},
  };
  const configPath = join(root, 'ledger.json');
  await writeFile(configPath, JSON.stringify(config, null, 2));
  return {
    root,
    caDir,
    configPath,
    config,
    clientName,
    clientKey: await readFile(identityPaths(caDir, clientName).signingKey, 'utf8'),
    clientTls: loadTlsMaterial({ dir: caDir, name: clientName }),
    dataDir: (name) => join(root, 'data', name),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/**
 * Starts validator `name` as a separate `meridian ledger validator start` process running the test application,
 * or the production contracts from `opts.genesis`; resolves once it is ready.
 */
export async function startValidatorProcess(
  files: ClusterFiles,
  name: string,
  opts: { genesis?: string; nodeArgs?: readonly string[]; readyTimeoutMs?: number } = {},
): Promise<Proc> {
  const proc = startMeridian(
    [
      'ledger',
      'validator',
      'start',
      '--name',
      name,
      '--config',
      files.configPath,
      '--ca-dir',
      files.caDir,
      '--data',
      files.dataDir(name),
      ...(opts.genesis === undefined ? ['--app', TEST_APP] : ['--genesis', opts.genesis]),
    ],
    {},
    opts.nodeArgs,
  );
  await waitUntil(
    () => `${name} ready; output:\n${proc.output()}`,
    opts.readyTimeoutMs ?? 60_000,
    async () =>
      proc.output().includes('ready {')
        ? true
        : proc.child.exitCode !== null
          ? Promise.reject(new Error('exited'))
          : undefined,
  );
  return proc;
}

/** A signed notarization transaction committing to a batch root of `size` entries. */
export function notarizeTx(files: ClusterFiles, opts: { root: string; size: number }): SignedTransaction {
  return signTransaction(
    {
      chainId: files.config.chainId,
      kind: 'notarize.batch',
      institution: files.clientName,
      nonce: randomBytes(16).toString('hex'),
      payload: { batch: { root: opts.root, size: opts.size }, source: 'test' },
    },
    files.clientKey,
  );
}
