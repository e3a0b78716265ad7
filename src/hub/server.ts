/** Starts a hub process: database, session key, TLS identity, both listeners, CRL reloads, graceful stop. */
import { mkdirSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadTlsMaterial, watchServerCrl } from '../ca/index.ts';
import type { HubConfig } from '../config/schema.ts';
import { closeOnSignals } from '../http/lifecycle.ts';
import { openDatabase } from '../store/index.ts';
import { buildHubApp, type HubApps } from './app.ts';
import { loadOrCreateSessionKey } from './auth/sessions.ts';
import type { NewUser } from './auth/users.ts';
import { HUB_MIGRATIONS, type HubDatabase } from './schema.ts';

/** Options of {@link runHub} beyond the configuration. */
export interface RunHubOptions {
  /** Accounts to create when missing (the demo's); existing ones are left as they are. */
  seedAccounts?: NewUser[];
}

/** Wait after start before the first linkage sweep (the nodes connect in the meantime). */
const FIRST_SWEEP_DELAY_MS = 15_000;

/** A running hub and the addresses it listens on. */
export interface RunningHub {
  apps: HubApps;
  userUrl: string;
  peerUrl: string;
  close(): Promise<void>;
}

/** Opens everything the hub needs and starts listening; stops cleanly on SIGINT/SIGTERM. */
export async function runHub(config: HubConfig, opts: RunHubOptions = {}): Promise<RunningHub> {
  const log = pino({ level: config.logLevel, base: { service: 'hub', name: config.pki.identity } });
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const store = await openDatabase<HubDatabase>({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    migrations: HUB_MIGRATIONS,
  });
  const tls = loadTlsMaterial({ dir: config.pki.caDir, name: config.pki.identity });
  const apps = await buildHubApp({
    config,
    db: store.db,
    tls,
    sessionKey: loadOrCreateSessionKey(config.dataDir),
    portalDir: config.hub.portalDir ?? join(process.cwd(), 'web', 'dist'),
    logger: log,
  });
  for (const account of opts.seedAccounts ?? []) {
    if (!(await apps.users.findByUsername(account.username))) await apps.users.create(account);
  }
  const stopCrl = watchServerCrl({
    server: apps.peerApp.server as unknown as HttpsServer,
    material: tls,
    dir: config.pki.caDir,
    onReload: () => log.info('certificate revocation list reloaded'),
    onError: (err) => log.error({ err }, 'certificate revocation list could not be reloaded'),
  });
  const userUrl = await apps.userApp.listen({ host: config.hub.host, port: config.hub.port });
  const peerUrl = await apps.peerApp.listen({ host: config.hub.host, port: config.hub.peerPort });
  log.info({ userUrl, peerUrl, dialect: store.dialect }, 'hub listening');
  const sweep = () =>
    apps.sweeper.sweep().then(
      (s) => log.info({ sweepId: s.sweepId, nodes: s.nodes }, 'record linkage sweep finished'),
      (err: unknown) => log.error({ err }, 'record linkage sweep failed'),
    );
  const sweeps =
    config.hub.linkageSweepMs > 0 ? setInterval(() => void sweep(), config.hub.linkageSweepMs).unref() : undefined;
  const firstSweep =
    config.hub.linkageSweepMs > 0 ? setTimeout(() => void sweep(), FIRST_SWEEP_DELAY_MS).unref() : undefined;
  const close = async () => {
    clearInterval(sweeps);
    clearTimeout(firstSweep);
    stopCrl();
    await apps.close();
    await store.close();
  };
  closeOnSignals({ close, timeoutMs: config.shutdownTimeoutMs, log });
  return { apps, userUrl, peerUrl, close };
}
