/** Starts a hospital node process: database, lake, TLS identity, peer listener, hub channel, graceful stop. */
import { mkdirSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadTlsMaterial, watchServerCrl } from '../ca/index.ts';
import type { NodeConfig } from '../config/schema.ts';
import { closeOnSignals } from '../http/lifecycle.ts';
import { openDatabase, openLake } from '../store/index.ts';
import { buildNodeApp, type NodeApps } from './app.ts';
import { NODE_MIGRATIONS, type NodeDatabase } from './schema.ts';

/** A running node. */
export interface RunningNode {
  apps: NodeApps;
  url: string;
  close(): Promise<void>;
}

/** Opens everything the node needs, listens, and connects out to the hub. */
export async function runNode(config: NodeConfig): Promise<RunningNode> {
  const log = pino({ level: config.logLevel, base: { service: 'node', name: config.node.name } });
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const store = await openDatabase<NodeDatabase>({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    migrations: NODE_MIGRATIONS,
  });
  const lake = await openLake({ dir: join(config.dataDir, 'lake') });
  const tls = loadTlsMaterial({ dir: config.pki.caDir, name: config.pki.identity });
  let url: string | null = null;
  const apps = await buildNodeApp({
    config,
    db: store.db,
    lake,
    tls,
    schemaVersion: NODE_MIGRATIONS.at(-1)?.id ?? null,
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
  log.info({ url, hub: config.node.hubUrl, dialect: store.dialect }, 'node listening');
  const close = async () => {
    stopCrl();
    await apps.close();
    await lake.close();
    await store.close();
  };
  closeOnSignals({ close, timeoutMs: config.shutdownTimeoutMs, log });
  return { apps, url, close };
}
