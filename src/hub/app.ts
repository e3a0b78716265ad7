/**
 * The hub, built but not listening: the user app (portal + /api, plain HTTP behind the hospital's proxy or
 * HTTPS) and the institution app (/peer, HTTPS with mutual TLS 1.3) that nodes connect to.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { TlsMaterial } from '../ca/index.ts';
import { serverTlsOptions } from '../ca/index.ts';
import type { HubConfig } from '../config/schema.ts';
import { createBaseApp, notFoundJson } from '../http/base.ts';
import { installPeerGuard } from '../http/peer-guard.ts';
import type { RouteAccess } from '../http/route-config.ts';
import { LinkageService } from '../identity/index.ts';
import type { AccessLedger } from '../panorama/access.ts';
import { ConsortiumSettingsStore } from './admin/consortium-settings.ts';
import { registerAdminRoutes } from './admin/routes.ts';
import { AuditLog } from './audit/audit-log.ts';
import { registerAuditSearchRoutes } from './audit-search/routes.ts';
import { AuditSearch } from './audit-search/search.ts';
import { installRoleGuard } from './auth/guard.ts';
import { LoginThrottle } from './auth/login-throttle.ts';
import { OidcLoginProvider, OidcStateStore } from './auth/oidc.ts';
import { LocalPasswordProvider, type LoginProvider } from './auth/providers.ts';
import { registerAuthRoutes } from './auth/routes.ts';
import { SessionIssuer } from './auth/sessions.ts';
import { UserStore } from './auth/users.ts';
import { registerCatalogRoutes } from './catalog/routes.ts';
import { HubInsights } from './dashboard/insights.ts';
import { registerDashboardRoutes } from './dashboard/routes.ts';
import { registerApprovalRoutes } from './federation/approvals-routes.ts';
import { registerConceptRoutes } from './federation/concepts-routes.ts';
import { PartialCounts } from './federation/partial-counts.ts';
import { QueryLimiter } from './federation/query-limiter.ts';
import { registerRerunRoute } from './federation/rerun.ts';
import { registerFederationRoutes } from './federation/routes.ts';
import { hubFederation } from './federation/setup.ts';
import { registerIdentityRoutes } from './identity/routes.ts';
import { IdentitySweeper } from './identity/sweep.ts';
import { type IngestTimeouts, registerIngestRoutes } from './ingest/routes.ts';
import { hubLedgerReader } from './ledger/reader.ts';
import { registerLedgerRoutes } from './ledger/routes.ts';
import { NodeTracker } from './nodes/node-tracker.ts';
import { registerChannelRoutes, registerNodeApiRoutes } from './nodes/routes.ts';
import { TaskQueues } from './nodes/task-queue.ts';
import { type AccessRecorder, hubPanoramaLedger } from './panorama/ledger.ts';
import { registerPanoramaRoutes } from './panorama/routes.ts';
import { PanoramaService } from './panorama/service.ts';
import { registerPrivacyRoutes } from './privacy/routes.ts';
import { RequestLedger } from './projects/ledger.ts';
import { registerProjectRoutes } from './projects/routes.ts';
import { ProjectStore } from './projects/store.ts';
import { nodeCaller } from './quality/node-call.ts';
import { type QualityTimeouts, registerQualityRoutes } from './quality/routes.ts';
import type { HubDatabase } from './schema.ts';

/** What {@link buildHubApp} needs; everything is injected so tests can build a hub in-process. */
export interface HubAppOptions {
  config: HubConfig;
  db: Kysely<HubDatabase>;
  tls: TlsMaterial;
  sessionKey: Uint8Array;
  /** Built portal directory (web/dist); the portal routes say plainly when it is missing. */
  portalDir?: string | undefined;
  logger?: Logger;
  now?: () => Date;
  /** How long ingest calls wait for a node's answer (defaults suit production; tests shorten them). */
  ingestTimeouts?: Partial<IngestTimeouts>;
  /** How long quality calls wait for a node's answer (defaults suit production; tests shorten them). */
  qualityTimeouts?: Partial<QualityTimeouts>;
  /** The panorama's ledger parts; by default from `hub.ledger` (none without it: the hub then opens no patient). */
  panoramaLedger?: { recorder: AccessRecorder; reader: AccessLedger };
}

/** The built hub: two Fastify apps and the services behind them. */
export interface HubApps {
  userApp: FastifyInstance;
  peerApp: FastifyInstance;
  tracker: NodeTracker;
  queues: TaskQueues;
  users: UserStore;
  audit: AuditLog;
  /** Record-linkage sweeps over the connected nodes (the hub server runs them periodically). */
  sweeper: IdentitySweeper;
  /** The dashboard's and catalog's aggregates, refreshed from the nodes in the background. */
  insights: HubInsights;
  /** Every declared route with the roles allowed (user app) or institution roles (peer app). */
  routes: { user: RouteAccess[]; peer: RouteAccess[] };
  /** Closes both apps (held polls are released first). */
  close(): Promise<void>;
}

/** Builds the hub's two apps without listening. */
export async function buildHubApp(opts: HubAppOptions): Promise<HubApps> {
  const now = opts.now ?? (() => new Date());
  const hubName = opts.config.pki.identity;
  const users = new UserStore(opts.db);
  const audit = new AuditLog({ db: opts.db, now });
  const sessions = new SessionIssuer({ key: opts.sessionKey, ttlSec: opts.config.hub.sessionTtlSec, now });
  const tracker = new NodeTracker({ db: opts.db, downAfterMs: opts.config.hub.nodeDownAfterMs, now });
  await tracker.load();
  const queues = new TaskQueues({ now });
  const settings = new ConsortiumSettingsStore({ db: opts.db, now });
  await settings.load();
  const providers: LoginProvider[] = [
    new LocalPasswordProvider(users),
    ...opts.config.hub.oidc.map((config) => new OidcLoginProvider({ config, users, now })),
  ];
  const routes = { user: [] as RouteAccess[], peer: [] as RouteAccess[] };
  const dbReady = async () => {
    await opts.db.selectFrom('hub_users').select('id').limit(1).execute();
    return true;
  };

  const userApp = await createBaseApp({
    title: 'hub',
    description: 'Portal and user API of the Meridian hub. Every /api route declares the roles it allows.',
    logger: opts.logger,
    readiness: { database: dbReady },
    notFound: portalFallback(opts.portalDir),
  });
  installRoleGuard(userApp, { sessions, users, audit, routes: routes.user });
  registerAuthRoutes(userApp, {
    providers,
    sessions,
    users,
    audit,
    throttle: new LoginThrottle({ now }),
    oidcStates: new OidcStateStore({ now }),
    publicUrl: opts.config.hub.publicUrl,
  });
  registerNodeApiRoutes(userApp, { tracker, hubName, now });
  registerIngestRoutes(userApp, { tracker, queues, audit, timeouts: opts.ingestTimeouts });
  const linkage = new LinkageService({ db: opts.db, now });
  const sweeper = new IdentitySweeper({ tracker, queues, linkage, now });
  registerIdentityRoutes(userApp, { linkage, sweeper, audit });
  registerQualityRoutes(userApp, { tracker, queues, audit, timeouts: opts.qualityTimeouts });
  registerPrivacyRoutes(userApp, { tracker, queues, audit });
  const federation = hubFederation({
    config: opts.config,
    tls: opts.tls,
    tracker,
    queues,
    minCellFloor: () => settings.current().minCell,
  });
  const limiter = new QueryLimiter({ options: opts.config.hub.queryLimit, now: () => now().getTime() });
  if (federation) {
    const partials = new PartialCounts({ db: opts.db, now });
    registerFederationRoutes(userApp, { federation: federation.service, audit, limiter, partials });
    registerRerunRoute(userApp, { federation: federation.service, partials, audit });
  }
  registerProjectRoutes(userApp, {
    store: new ProjectStore({ db: opts.db, now }),
    users,
    audit,
    tracker,
    ledger: federation && new RequestLedger({ signer: federation.signer, call: nodeCaller({ tracker, queues }) }),
    federation: federation?.service,
    limiter,
    epsilonMax: () => settings.current().epsilonMax,
  });
  registerConceptRoutes(userApp);
  registerApprovalRoutes(userApp, { tracker, queues, audit });
  const ledgerReader = hubLedgerReader({ config: opts.config, tls: opts.tls, now });
  registerLedgerRoutes(userApp, { reader: ledgerReader, audit });
  const insights = new HubInsights({
    tracker,
    queues,
    audit,
    ledgerReader: ledgerReader ?? null,
    now,
    minCellFloor: () => settings.current().minCell,
    log: opts.logger,
  });
  registerDashboardRoutes(userApp, { insights });
  registerCatalogRoutes(userApp, { insights, audit });
  const ownPanoramaLedger = opts.panoramaLedger ? undefined : hubPanoramaLedger({ config: opts.config, tls: opts.tls });
  const panoramaLedger = opts.panoramaLedger ?? ownPanoramaLedger;
  const panorama = new PanoramaService({
    tracker,
    queues,
    linkage,
    db: opts.db,
    recorder: panoramaLedger?.recorder,
    now,
  });
  registerPanoramaRoutes(userApp, { panorama, audit });
  registerAuditSearchRoutes(userApp, {
    search: new AuditSearch({ db: opts.db, ledger: panoramaLedger?.reader }),
    audit,
  });
  registerAdminRoutes(userApp, { users, audit, tracker, settings, ledger: ledgerReader, hubName, now });
  await registerPortal(userApp, opts.portalDir);

  const peerApp = await createBaseApp({
    title: 'hub institution port',
    description: 'Mutual-TLS API for hospital nodes: the outbound task channel.',
    logger: opts.logger,
    https: { ...serverTlsOptions(opts.tls), rejectUnauthorized: false },
    readiness: { database: dbReady },
  });
  installPeerGuard(peerApp, routes.peer);
  registerChannelRoutes(peerApp, { tracker, queues, pollHoldMs: opts.config.hub.pollHoldMs, now, hubName });

  return {
    userApp,
    peerApp,
    tracker,
    queues,
    users,
    audit,
    routes,
    sweeper,
    insights,
    async close() {
      await insights.close();
      queues.wakeAll();
      await Promise.allSettled([userApp.close(), peerApp.close()]);
      federation?.close();
      ledgerReader?.close();
      ownPanoramaLedger?.close();
    },
  };
}

/** Serves the built portal (web/dist) when it exists. */
async function registerPortal(app: FastifyInstance, portalDir: string | undefined): Promise<void> {
  if (portalDir && existsSync(join(portalDir, 'index.html'))) {
    await app.register(fastifyStatic, { root: portalDir, wildcard: true, index: ['index.html'], cacheControl: false });
  }
}

/** Unknown paths: the portal's index.html for page navigations (the SPA routes itself), JSON 404 otherwise. */
function portalFallback(portalDir: string | undefined) {
  const index = portalDir ? join(portalDir, 'index.html') : undefined;
  return (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '/';
    const isPage =
      request.method === 'GET' && !path.startsWith('/api') && !path.startsWith('/docs') && !/\.\w+$/.test(path);
    if (!isPage) return notFoundJson(request, reply);
    if (index && existsSync(index)) return reply.type('text/html; charset=utf-8').send(readFileSync(index));
    return reply
      .code(503)
      .type('text/html; charset=utf-8')
      .send(
        '<!doctype html><meta charset="utf-8"><title>Meridian</title><p>The portal is not built. Run <code>npm run build:web</code>, then reload.</p>',
      );
  };
}
