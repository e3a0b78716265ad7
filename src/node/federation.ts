/**
 * The node's federated-analysis handlers, wired to its stores and its ledger: tasks are admitted against the
 * authorization on the node's own validator, the hospitals' identity keys (for secure aggregation) come from the
 * ledger's membership, answers are signed with the node's identity key. A task whose kind the local policy does not
 * run automatically waits for the data steward's decision (federation-approvals.ts). A node without `node.ledger`
 * runs no federated analysis (it could not check an authorization), and says so when asked.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { identityPaths, type TlsMaterial } from '../ca/index.ts';
import type { NodeConfig } from '../config/schema.ts';
import { MeridianError } from '../errors/registry.ts';
import { openAnalysisLayer } from '../federation/ads/index.ts';
import { countRunner } from '../federation/analyses/count.ts';
import { coxRunner } from '../federation/analyses/cox.ts';
import { descriptiveRunner } from '../federation/analyses/descriptive.ts';
import { fedavgRunner } from '../federation/analyses/fedavg.ts';
import { glmRunner } from '../federation/analyses/glm.ts';
import { kmRunner } from '../federation/analyses/km.ts';
import {
  commitContractTx,
  LedgerRefusal,
  ledgerMemberKeys,
  ledgerTaskAuthority,
} from '../federation/ledger-authority.ts';
import { federationTaskHandlers, type ReceiptFiler, runnersWithFloor } from '../federation/node.ts';
import { FEDERATION_TASK_KIND } from '../federation/protocol.ts';
import { signContractTx } from '../ledger/contracts/index.ts';
import { LedgerClient, readLedgerConfig } from '../ledger/host/index.ts';
import type { Lake } from '../store/index.ts';
import { approvalTaskHandlers, FederationApprovals, withStewardApproval } from './federation-approvals.ts';
import type { TaskHandler } from './hub-channel.ts';
import { requestDecisionHandlers } from './request-decisions.ts';
import type { NodeDatabase } from './schema.ts';

/** The `federation.run` handler of this node and what to close when the node stops. */
export async function nodeFederation(opts: {
  config: NodeConfig;
  /** The node's database: the tasks held for its steward (federation-approvals.ts) and its audit log. */
  db: Kysely<NodeDatabase>;
  lake: Pick<Lake, 'query' | 'tables' | 'dir'>;
  tls: TlsMaterial;
  log?: (message: string, err?: unknown) => void;
}): Promise<{ handlers: Record<string, TaskHandler>; close(): Promise<void> } | undefined> {
  const { config } = opts;
  const ledger = config.node.ledger;
  if (ledger === undefined) return undefined;
  const ledgerConfig = readLedgerConfig(ledger.configFile);
  const client = new LedgerClient({ config: ledgerConfig, tls: opts.tls });
  const validators = ledgerConfig.validators.map((v) => v.name);
  const prefer =
    ledger.prefer ?? (validators.includes(config.node.name) ? config.node.name : (validators[0] as string));
  const signingKey = createPrivateKey(
    readFileSync(identityPaths(config.pki.caDir, config.pki.identity).signingKey, 'utf8'),
  );
  const order = [prefer, ...validators.filter((v) => v !== prefer)];
  const keys = ledgerMemberKeys(client, order);
  const receipts: ReceiptFiler = async (task, resultHash) => {
    const tx = signContractTx({
      chainId: ledgerConfig.chainId,
      kind: 'task.receipt',
      institution: config.node.name,
      payload: { taskId: task.taskId, resultHash, status: 'succeeded' },
      timeMs: Date.now(),
      privateKey: signingKey,
    });
    try {
      return await commitContractTx(client, order, tx, `the receipt of task ${task.taskId}`);
    } catch (e) {
      if (!(e instanceof LedgerRefusal)) throw e;
      throw new MeridianError(
        'MER_FED_NOT_AUTHORIZED',
        `the ledger refused the receipt of ${task.taskId}: ${e.message}`,
        {
          taskId: task.taskId,
          ledgerCode: e.ledgerCode,
        },
      );
    }
  };
  const { minCell, autoApprove, countRelease } = config.node.federation;
  // Counts read the analysis layer (docs/decisions/0009), rebuilt from DWD when a load changed it; build it now
  // in the background so the first count after start does not wait for it.
  const layer = await openAnalysisLayer({
    lakeDir: opts.lake.dir,
    file: join(config.dataDir, 'ads.duckdb'),
    threads: 1,
  });
  void layer.refresh().catch((e: unknown) => opts.log?.('the analysis layer could not be built at start', e));
  const approvals = new FederationApprovals({ db: opts.db, node: config.node.name });
  await approvals.load();
  const federationHandlers = federationTaskHandlers({
    node: config.node.name,
    signingKey,
    authority: ledgerTaskAuthority({ client, prefer, order: validators }),
    policy: { autoApprove: new Set(autoApprove), approvedTasks: approvals.approved },
    receipts,
    // The consortium's floor travels with each task; this node's own larger minimum cell still wins.
    runners: runnersWithFloor(minCell, (cell) => ({
      count: countRunner({ analysisLayer: layer, minCell: cell, release: { mode: countRelease } }),
      glm: glmRunner({ lake: opts.lake, node: config.node.name, minCell: cell, identityKey: keys }),
      km: kmRunner({ lake: opts.lake, node: config.node.name, minCell: cell, identityKey: keys }),
      cox: coxRunner({ lake: opts.lake, node: config.node.name, minCell: cell, identityKey: keys }),
      descriptive: descriptiveRunner({ lake: opts.lake, node: config.node.name, minCell: cell, identityKey: keys }),
      fedavg: fedavgRunner({ lake: opts.lake, node: config.node.name, minCell: cell, identityKey: keys }),
    })),
  });
  const run = federationHandlers[FEDERATION_TASK_KIND] as TaskHandler;
  const handlers: Record<string, TaskHandler> = {
    ...federationHandlers,
    [FEDERATION_TASK_KIND]: withStewardApproval(approvals, run),
    ...approvalTaskHandlers(approvals),
    ...requestDecisionHandlers({
      node: config.node.name,
      chainId: ledgerConfig.chainId,
      signingKey,
      client,
      validators: order,
      db: opts.db,
    }),
  };
  return {
    handlers,
    close: async () => {
      client.close();
      await layer.close();
    },
  };
}
