/**
 * The hub's federated analysis, wired: tasks are authorized on the consortium ledger with the hub's identity key,
 * rounds go through the task channel, hospitals' answers are checked against their identity keys from the
 * ledger's membership, and each task is closed with the hospitals' receipts and the hub's release. A hub without `hub.ledger` offers no federated analysis.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { identityPaths, type TlsMaterial } from '../../ca/index.ts';
import type { HubConfig } from '../../config/schema.ts';
import { ledgerMemberKeys } from '../../federation/ledger-authority.ts';
import { LedgerClient, readLedgerConfig } from '../../ledger/host/index.ts';
import type { NodeTracker } from '../nodes/node-tracker.ts';
import type { TaskQueues } from '../nodes/task-queue.ts';
import { type HubLedgerSigner, ledgerBudgetCharger, ledgerResultReleaser, ledgerTaskAuthorizer } from './authorize.ts';
import { channelCaller } from './rounds.ts';
import { FederationService } from './service.ts';

/** The federation service of this hub, its ledger signer, and what to close when it stops; undefined without a ledger. */
export function hubFederation(opts: {
  config: HubConfig;
  tls: TlsMaterial;
  tracker: NodeTracker;
  queues: TaskQueues;
  /** The consortium minimum cell size every task carries as its floor (the admin setting). */
  minCellFloor?: () => number;
}): { service: FederationService; signer: HubLedgerSigner; close(): void } | undefined {
  const ledger = opts.config.hub.ledger;
  if (ledger === undefined) return undefined;
  const ledgerConfig = readLedgerConfig(ledger.configFile);
  const client = new LedgerClient({ config: ledgerConfig, tls: opts.tls });
  const validators = ledgerConfig.validators.map((v) => v.name);
  const self = opts.config.pki.identity;
  const order = validators.includes(self) ? [self, ...validators.filter((v) => v !== self)] : validators;
  const privateKey = createPrivateKey(readFileSync(identityPaths(opts.config.pki.caDir, self).signingKey, 'utf8'));
  const signer = { client, chainId: ledgerConfig.chainId, institution: self, privateKey, validators: order };
  const service = new FederationService({
    call: channelCaller({ tracker: opts.tracker, queues: opts.queues }),
    nodeKey: ledgerMemberKeys(client, order),
    authorize: ledgerTaskAuthorizer(signer),
    release: ledgerResultReleaser(signer),
    charge: ledgerBudgetCharger(signer),
    dropoutRecovery: true,
    ...(opts.minCellFloor === undefined ? {} : { minCellFloor: opts.minCellFloor }),
  });
  return { service, signer, close: () => client.close() };
}
