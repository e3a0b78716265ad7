/**
 * The hospital node, built but not listening: its peer app (HTTPS, mutual TLS 1.3: node ↔ node and the
 * consortium's health checks) and the outbound channel to the hub. Clinical data stays in its lake.
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { serverTlsOptions, type TlsMaterial } from '../ca/index.ts';
import type { NodeConfig } from '../config/schema.ts';
import type { Heartbeat } from '../federation/channel-protocol.ts';
import { createBaseApp } from '../http/base.ts';
import { installPeerGuard } from '../http/peer-guard.ts';
import type { RouteAccess } from '../http/route-config.ts';
import type { IngestService } from '../pipeline/service.ts';
import { type QualityService, qualityTaskHandlers } from '../quality/index.ts';
import type { Lake } from '../store/index.ts';
import { MERIDIAN_VERSION } from '../version.ts';
import { HubChannel, type TaskHandler } from './hub-channel.ts';
import { ingestTaskHandlers, registerIngestRoutes } from './ingest-routes.ts';
import type { NodeDatabase } from './schema.ts';

/** What {@link buildNodeApp} needs. */
export interface NodeAppOptions {
  config: NodeConfig;
  db: Kysely<NodeDatabase>;
  lake: Lake;
  /** The ingest service; its local routes and hub task handlers are installed when given. */
  ingest?: IngestService;
  /** The quality service; its hub task handlers (`quality.*`) are installed when given. */
  quality?: QualityService;
  tls: TlsMaterial;
  /** Id of the newest applied migration, reported to the hub as the schema version. */
  schemaVersion: string | null;
  /** Address peers reach this node at (https://host:port); null until it listens. */
  address?: () => string | null;
  handlers?: Record<string, TaskHandler>;
  logger?: Logger;
  now?: () => Date;
}

/** The built node. */
export interface NodeApps {
  app: FastifyInstance;
  channel: HubChannel;
  routes: RouteAccess[];
  /** The status this node reports in its heartbeats. */
  status(): Promise<Heartbeat>;
  /** Stops the channel (saying goodbye to the hub) and closes the app. */
  close(): Promise<void>;
}

/** Builds the node's peer app and its hub channel (not started). */
export async function buildNodeApp(opts: NodeAppOptions): Promise<NodeApps> {
  const now = opts.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const { name, displayName } = opts.config.node;
  const routes: RouteAccess[] = [];
  const status = async (): Promise<Heartbeat> => {
    const stats = await opts.lake.stats();
    return {
      name,
      displayName,
      address: opts.address?.() ?? null,
      startedAt,
      versions: { meridian: MERIDIAN_VERSION, node: process.version, schema: opts.schemaVersion },
      dataVolume: {
        rows: stats.total.rows,
        bytes: stats.total.bytes,
        tables: Object.fromEntries(
          Object.entries(stats.tables).map(([t, s]) => [t, { rows: s.rows, bytes: s.bytes, files: s.files }]),
        ),
      },
    };
  };

  const app = await createBaseApp({
    title: `node ${name}`,
    description: `Hospital node ${displayName}: peer API (mutual TLS). Raw data never leaves this node.`,
    logger: opts.logger,
    https: { ...serverTlsOptions(opts.tls), rejectUnauthorized: false },
    readiness: {
      database: async () => {
        await opts.db.selectFrom('node_audit').select('id').limit(1).execute();
        return true;
      },
      lake: async () => {
        await opts.lake.stats();
        return true;
      },
    },
  });
  installPeerGuard(app, routes);
  app.get(
    '/peer/v1/info',
    {
      config: { peer: ['node', 'hub'] },
      schema: { tags: ['peer'], summary: "This node's identity, versions and data volume" },
    },
    async () => status(),
  );

  if (opts.ingest) registerIngestRoutes(app, { ingest: opts.ingest, self: opts.config.pki.identity });

  const channel = new HubChannel({
    hubUrl: opts.config.node.hubUrl,
    tls: opts.tls,
    heartbeatMs: opts.config.node.heartbeatMs,
    status,
    handlers: {
      ...(opts.ingest ? ingestTaskHandlers(opts.ingest) : {}),
      ...(opts.quality ? qualityTaskHandlers(opts.quality) : {}),
      ...(opts.handlers ?? {}),
    },
    db: opts.db,
    log: app.log as unknown as Logger,
  });

  return {
    app,
    channel,
    routes,
    status,
    async close() {
      await channel.stop();
      await app.close();
    },
  };
}
