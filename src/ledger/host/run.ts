/** Starts a validator and its client API together, as `meridian ledger validator start` does. */

import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type https from 'node:https';
import { identityPaths, loadTlsMaterial } from '../../ca/index.ts';
import type { LedgerApplication } from '../abci.ts';
import { buildValidatorApi } from './api.ts';
import type { LedgerConfig } from './config.ts';
import { Validator } from './validator.ts';

/** A validator with its API listening. */
export interface RunningValidator {
  readonly validator: Validator;
  readonly api: https.Server;
  close(): Promise<void>;
}

/** Loads the identity from the CA directory, starts the validator and listens on its API port. */
export async function runValidator(opts: {
  config: LedgerConfig;
  name: string;
  caDir: string;
  dataDir: string;
  createApplication: () => LedgerApplication;
  log?: (line: string) => void;
}): Promise<RunningValidator> {
  const tls = loadTlsMaterial({ dir: opts.caDir, name: opts.name });
  const signingKey = createPrivateKey(readFileSync(identityPaths(opts.caDir, opts.name).signingKey, 'utf8'));
  const validator = await Validator.start({
    config: opts.config,
    name: opts.name,
    dataDir: opts.dataDir,
    tls,
    signingKey,
    createApplication: opts.createApplication,
    ...(opts.log ? { log: opts.log } : {}),
  });
  const self = opts.config.validators.find((v) => v.name === opts.name) as { host: string; apiPort: number };
  const api = buildValidatorApi(validator, tls);
  await new Promise<void>((resolve, reject) => {
    api.once('error', reject);
    api.listen(self.apiPort, self.host, () => resolve());
  });
  return {
    validator,
    api,
    close: async () => {
      api.closeAllConnections();
      await new Promise<void>((resolve) => api.close(() => resolve()));
      await validator.close();
    },
  };
}
