/** Starts a hospital node process: database, lake, TLS identity, peer listener, hub channel, graceful stop. */
import type { Server as HttpsServer } from 'node:https';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadTlsMaterial, watchServerCrl } from '../ca/index.ts';
import { catalogTaskHandlers } from '../catalog/tasks.ts';
import type { NodeConfig } from '../config/schema.ts';
import { closeOnSignals } from '../http/lifecycle.ts';
import { identityTaskHandlers } from '../identity/index.ts';
import { nodePanorama } from '../panorama/node-setup.ts';
import { startHl7Feed } from '../pipeline/feed.ts';
import { privacyTaskHandlers } from '../privacy/index.ts';
import { buildNodeApp, type NodeApps } from './app.ts';
import { nodeFederation } from './federation.ts';
import { loadLinkageKey } from './keys.ts';
import { openNodeStores } from './stores.ts';

/** A running node. */
export interface RunningNode {
  apps: NodeApps;
  url: string;
  close(): Promise<void>;
}

/** Opens everything the node needs, listens, and connects out to the hub. */
export async function runNode(config: NodeConfig): Promise<RunningNode> {
  const log = pino({ level: config.logLevel, base: { service: 'node', name: config.node.name } });
  const linkageKey = loadLinkageKey(config);
  if (linkageKey === null) log.warn('no linkage key (node.linkageKeyFile): this node takes no part in record linkage');
  const stores = await openNodeStores(config, {
    onQualityError: (err) => log.error({ err }, 'quality checks after a load failed'),
  });
  const tls = loadTlsMaterial({ dir: config.pki.caDir, name: config.pki.identity });
  const federation = await nodeFederation({
    config,
    db: stores.db,
    lake: stores.lake,
    tls,
    log: (message, err) => log.error({ err }, message),
  });
  if (!federation) log.warn('no ledger (node.ledger): this node runs no federated analysis');
  const panorama = nodePanorama({ config, tls, lake: stores.lake, crypto: stores.crypto, key: linkageKey });
  let url: string | null = null;
  const apps = await buildNodeApp({
    config,
    db: stores.db,
    lake: stores.lake,
    ingest: stores.ingest,
    quality: stores.quality,
    handlers: {
      ...(linkageKey === null
        ? {}
        : identityTaskHandlers({
            lake: stores.lake,
            key: linkageKey,
            hospital: config.node.name,
            decrypt: (value, column) => stores.crypto.decrypt('person', column, value),
          })),
      ...privacyTaskHandlers({ lake: stores.lake, crypto: stores.crypto }),
      ...catalogTaskHandlers({
        lake: stores.lake,
        ingest: stores.ingest,
        dataDir: config.dataDir,
        minCell: config.node.federation.minCell,
      }),
      ...(federation?.handlers ?? {}),
      ...(panorama?.handlers ?? {}),
    },
    tls,
    schemaVersion: stores.schemaVersion,
    address: () => url,
    logger: log,
  });
  const stopCrl = watchServerCrl({
    server: apps.app.server as unknown as HttpsServer,
    material: tls,
    dir: config.pki.caDir,
    onReload: () => log.info('certificate revocation list reloaded'),
    onError: (err) => log.error({ err }, 'certificate revocation list could not be reloaded'),
  });
  url = await apps.app.listen({ host: config.node.host, port: config.node.port });
  apps.channel.start();
  const feed =
    config.node.mllpPort === undefined
      ? undefined
      : await startHl7Feed({
          ingest: stores.ingest,
          inboxDir: join(config.dataDir, 'inbox'),
          source: config.node.mllpSource,
          host: config.node.host,
          port: config.node.mllpPort,
          batchMessages: config.node.mllpBatchMessages,
          flushMs: config.node.mllpFlushMs,
          log,
        });
  if (feed) log.info({ mllp: feed.address }, 'HL7 v2 MLLP feed listening');
  log.info({ url, hub: config.node.hubUrl, dialect: stores.dialect }, 'node listening');
  const close = async () => {
    stopCrl();
    await feed?.close();
    await apps.close();
    await federation?.close();
    panorama?.close();
    await stores.close();
  };
  closeOnSignals({ close, timeoutMs: config.shutdownTimeoutMs, log });
  return { apps, url, close };
}
