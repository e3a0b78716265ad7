/**
 * The node's ingest API. Local routes (`/local/v1/…`, mutual TLS, only the node's own certificate: the CLI on
 * the node's machine uses it) load files and edit mappings; hub tasks (`ingest.*`) give stewards in the
 * portal the load history, rejects and unmapped codes, and let them edit code maps and re-run. Only counts,
 * codes and positions leave the node this way, never record values.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { MeridianError } from '../errors/registry.ts';
import type { IngestService } from '../pipeline/service.ts';
import { SOURCE_FORMATS } from '../sources/index.ts';
import type { TaskHandler } from './hub-channel.ts';

const IngestBodySchema = z.strictObject({
  path: z.string().min(1).max(4096),
  source: z.string().max(64).optional(),
  format: z.enum(SOURCE_FORMATS).optional(),
});
const RerunBodySchema = z.strictObject({ source: z.string().max(64).optional() });
const CodesBodySchema = z.strictObject({
  spec: z.string().max(64),
  codeMap: z.string().max(64),
  entries: z
    .array(z.strictObject({ code: z.string().min(1).max(100), to: z.string().min(1).max(100).nullable() }))
    .min(1)
    .max(1000),
});
const ImportBodySchema = z.strictObject({
  profile: z.unknown().optional(),
  specs: z.array(z.unknown()).max(200).default([]),
});
const LoadsQuerySchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).optional() });
const QuarantineQuerySchema = z.strictObject({
  loadId: z.string().max(64).optional(),
  code: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
const UnmappedQuerySchema = z.strictObject({ source: z.string().max(64).optional() });
const LineageQuerySchema = z.strictObject({
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex'),
  position: z.string().min(1).max(1000),
  mappingVersion: z.string().max(200).optional(),
});

/** Registers the local ingest routes on the node's peer app. */
export function registerIngestRoutes(app: FastifyInstance, deps: { ingest: IngestService; self: string }): void {
  const self = (request: FastifyRequest) => {
    if (request.peer?.name !== deps.self) {
      throw new MeridianError(
        'MER_TLS_PEER_FORBIDDEN',
        `only this node's own certificate (${deps.self}) may use its local API; got "${request.peer?.name}"`,
        { peer: request.peer?.name },
      );
    }
  };
  const local = { peer: ['node'] as const };
  app.post(
    '/local/v1/ingest',
    {
      config: local,
      schema: {
        tags: ['ingest'],
        summary: 'Load a file or directory (a path on this machine)',
        body: IngestBodySchema,
      },
    },
    async (request) => {
      self(request);
      const body = request.body as z.infer<typeof IngestBodySchema>;
      return deps.ingest.ingest(body);
    },
  );
  app.post(
    '/local/v1/ingest/rerun',
    {
      config: local,
      schema: { tags: ['ingest'], summary: 'Re-map current files under the newest specs', body: RerunBodySchema },
    },
    async (request) => {
      self(request);
      return deps.ingest.rerun(request.body as z.infer<typeof RerunBodySchema>);
    },
  );
  app.get(
    '/local/v1/ingest/running',
    { config: local, logLevel: 'warn', schema: { tags: ['ingest'], summary: 'The running load and its progress' } },
    async (request) => {
      self(request);
      return { running: deps.ingest.running };
    },
  );
  app.get(
    '/local/v1/mapping/unmapped',
    {
      config: local,
      schema: { tags: ['ingest'], summary: 'Unmapped local codes with suggestions', querystring: UnmappedQuerySchema },
    },
    async (request) => {
      self(request);
      return { unmapped: await deps.ingest.unmapped((request.query as z.infer<typeof UnmappedQuerySchema>).source) };
    },
  );
  app.post(
    '/local/v1/mapping/codes',
    {
      config: local,
      schema: {
        tags: ['ingest'],
        summary: 'Add or change code-map entries (a new spec version)',
        body: CodesBodySchema,
      },
    },
    async (request) => {
      self(request);
      return deps.ingest.setCodes({ ...(request.body as z.infer<typeof CodesBodySchema>), by: `cli@${deps.self}` });
    },
  );
  app.post(
    '/local/v1/mapping/import',
    {
      config: local,
      schema: { tags: ['ingest'], summary: 'Store specs and a source profile', body: ImportBodySchema },
    },
    async (request) => {
      self(request);
      const body = request.body as z.infer<typeof ImportBodySchema>;
      return importMappings(deps.ingest, body, `cli@${deps.self}`);
    },
  );
}

/** Stores specs (each as its next version) and a profile; returns what was stored. */
export async function importMappings(
  ingest: IngestService,
  body: { profile?: unknown; specs: readonly unknown[] },
  by: string,
): Promise<{ specs: string[]; profile: string | null }> {
  const specs: string[] = [];
  for (const s of body.specs) {
    const saved = await ingest.saveSpec(s, by);
    specs.push(`${saved.id}@${saved.version}`);
  }
  let profile: string | null = null;
  if (body.profile !== undefined) profile = (await ingest.saveProfile(body.profile)).source;
  return { specs, profile };
}

/** Task handlers through which the hub serves the steward pages (results are counts, codes and positions). */
export function ingestTaskHandlers(ingest: IngestService): Record<string, TaskHandler> {
  return {
    'ingest.loads': async (payload) => ({
      loads: await ingest.loads(LoadsQuerySchema.parse(payload ?? {}).limit),
      running: ingest.running,
    }),
    'ingest.load': async (payload) => {
      const { loadId } = z.strictObject({ loadId: z.string().max(64) }).parse(payload);
      const load = await ingest.load(loadId);
      if (!load) throw new MeridianError('MER_HTTP_NOT_FOUND', `no load ${loadId} on this node`, { loadId });
      return load;
    },
    'ingest.quarantine': async (payload) => ({
      rejects: await ingest.quarantine(QuarantineQuerySchema.parse(payload ?? {})),
    }),
    'ingest.unmapped': async (payload) => ({
      unmapped: await ingest.unmapped(UnmappedQuerySchema.parse(payload ?? {}).source),
    }),
    'ingest.lineage': async (payload) => ingest.lineage(LineageQuerySchema.parse(payload)),
    'ingest.specs': async () => ({ specs: await ingest.specs(), profiles: await ingest.profiles() }),
    'ingest.codes': async (payload) => {
      const body = CodesBodySchema.extend({ by: z.string().max(200) }).parse(payload);
      const spec = await ingest.setCodes(body);
      return { spec: `${spec.id}@${spec.version}` };
    },
    'ingest.rerun': async (payload) => {
      const summary = await ingest.rerun(RerunBodySchema.parse(payload ?? {}));
      return { loadId: summary.loadId, totals: summary.totals };
    },
  };
}
