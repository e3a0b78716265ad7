/**
 * The stewards' ingest API on the hub (/api/ingest/:node/…): load history, one load in full, quarantined
 * records, unmapped codes with suggestions, specs and profiles, code-map edits and re-runs. Each call is one
 * `ingest.*` task on the node, answered through the task channel; only counts, codes and file positions come
 * back. A steward reaches only their own hospital's node; an admin may read every node but not change one.
 * Code-map edits and re-runs are audited on success and on failure, refusals of a foreign hospital too.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.ts';
import { audited } from '../audit/audited.ts';
import { otherHospitalRefusal } from '../auth/other-hospital.ts';
import type { Role } from '../auth/roles.ts';
import { signedIn } from '../auth/signed-in.ts';
import type { NodeTracker } from '../nodes/node-tracker.ts';
import type { TaskQueues } from '../nodes/task-queue.ts';
import { callNode } from './node-call.ts';
import {
  CodesBodySchema,
  CodesResponseSchema,
  LineageQuerySchema,
  LineageSchema,
  LoadParamsSchema,
  LoadSummarySchema,
  LoadsQuerySchema,
  LoadsResponseSchema,
  NodeParamsSchema,
  QuarantineQuerySchema,
  QuarantineResponseSchema,
  RerunBodySchema,
  RerunResponseSchema,
  SpecsResponseSchema,
  UnmappedQuerySchema,
  UnmappedResponseSchema,
} from './schemas.ts';

/** Roles that may read a node's ingest data (a steward only their own hospital's). */
export const INGEST_READ_ROLES = ['admin', 'steward'] as const satisfies readonly Role[];
/** Roles that may trace a row to its source record, which holds identifiers (only their own hospital's). */
export const INGEST_LINEAGE_ROLES = ['steward'] as const satisfies readonly Role[];
/** Roles that may change a node's mappings or re-run its files (only their own hospital's). */
export const INGEST_WRITE_ROLES = ['steward'] as const satisfies readonly Role[];

/** How long the hub waits for a node's answer, per kind of call. */
export interface IngestTimeouts {
  /** Reads; below the portal's own 15 s request limit, so the user sees the hub's clear answer. */
  readMs: number;
  /** A code-map edit (stores a new spec version). */
  writeMs: number;
  /** A re-run re-maps every current file of a source, which takes minutes on a large hospital. */
  rerunMs: number;
}

/** The default waits: 10 s for reads, 30 s for an edit, 30 min for a re-run. */
export const INGEST_TIMEOUTS_DEFAULT: IngestTimeouts = { readMs: 10_000, writeMs: 30_000, rerunMs: 30 * 60_000 };

/** What the ingest routes need. */
export interface IngestRouteDeps {
  tracker: NodeTracker;
  queues: TaskQueues;
  audit: AuditLog;
  timeouts?: Partial<IngestTimeouts>;
}

const security = [{ bearer: [] }];

/** Registers the ingest routes on the hub's user app. */
export function registerIngestRoutes(app: FastifyInstance, deps: IngestRouteDeps): void {
  const timeouts = { ...INGEST_TIMEOUTS_DEFAULT, ...deps.timeouts };
  const call = <S extends z.ZodType>(node: string, kind: string, payload: unknown, timeoutMs: number, schema: S) =>
    callNode({ tracker: deps.tracker, queues: deps.queues, node, kind, payload, timeoutMs, schema });
  const reader = { roles: INGEST_READ_ROLES };
  const writer = { roles: INGEST_WRITE_ROLES };

  /** The node of the request, after checking a steward asks for their own hospital (refusals are audited). */
  const nodeOf = async (request: FastifyRequest): Promise<string> => {
    const { node } = request.params as z.infer<typeof NodeParamsSchema>;
    const user = signedIn(request);
    if (user.role === 'steward' && user.hospital !== node) {
      throw await otherHospitalRefusal(request, deps.audit, node, 'MER_INGEST_OTHER_HOSPITAL');
    }
    return node;
  };

  app.get(
    '/api/ingest/:node/loads',
    {
      config: reader,
      schema: {
        tags: ['ingest'],
        summary: "A hospital node's load history, newest first, and the load running now",
        security,
        params: NodeParamsSchema,
        querystring: LoadsQuerySchema,
        response: { 200: LoadsResponseSchema },
      },
    },
    async (request) => {
      const node = await nodeOf(request);
      return call(node, 'ingest.loads', request.query, timeouts.readMs, LoadsResponseSchema);
    },
  );

  app.get(
    '/api/ingest/:node/loads/:loadId',
    {
      config: reader,
      schema: {
        tags: ['ingest'],
        summary: 'One load in full: per file, rejects by reason, rows by table, unmapped codes',
        security,
        params: LoadParamsSchema,
        response: { 200: LoadSummarySchema },
      },
    },
    async (request) => {
      const node = await nodeOf(request);
      const { loadId } = request.params as z.infer<typeof LoadParamsSchema>;
      return call(node, 'ingest.load', { loadId }, timeouts.readMs, LoadSummarySchema);
    },
  );

  app.get(
    '/api/ingest/:node/quarantine',
    {
      config: reader,
      schema: {
        tags: ['ingest'],
        summary: 'Quarantined records (file, position, reason; never values), of one load or reason if given',
        security,
        params: NodeParamsSchema,
        querystring: QuarantineQuerySchema,
        response: { 200: QuarantineResponseSchema },
      },
    },
    async (request) => {
      const node = await nodeOf(request);
      return call(node, 'ingest.quarantine', request.query, timeouts.readMs, QuarantineResponseSchema);
    },
  );

  app.get(
    '/api/ingest/:node/lineage',
    {
      config: { roles: INGEST_LINEAGE_ROLES },
      schema: {
        tags: ['ingest'],
        summary:
          'Where a row came from: ODS file, notarization, mapping spec version and the source record (own steward only, audited)',
        security,
        params: NodeParamsSchema,
        querystring: LineageQuerySchema,
        response: { 200: LineageSchema },
      },
    },
    async (request) => {
      const node = await nodeOf(request);
      const q = request.query as z.infer<typeof LineageQuerySchema>;
      return audited(
        deps.audit,
        signedIn(request),
        { action: 'ingest.lineage', target: node, detail: { sha256: q.sha256, position: q.position } },
        async () => {
          const answer = await call(node, 'ingest.lineage', q, timeouts.readMs, LineageSchema);
          return { answer, detail: { found: answer.record.found } };
        },
      );
    },
  );

  app.get(
    '/api/ingest/:node/unmapped',
    {
      config: reader,
      schema: {
        tags: ['ingest'],
        summary: 'Local codes no spec maps over the current files, most frequent first, with suggested codes',
        security,
        params: NodeParamsSchema,
        querystring: UnmappedQuerySchema,
        response: { 200: UnmappedResponseSchema },
      },
    },
    async (request) => {
      const node = await nodeOf(request);
      return call(node, 'ingest.unmapped', request.query, timeouts.readMs, UnmappedResponseSchema);
    },
  );

  app.get(
    '/api/ingest/:node/specs',
    {
      config: reader,
      schema: {
        tags: ['ingest'],
        summary: 'The newest version of every mapping spec, and every source profile',
        security,
        params: NodeParamsSchema,
        response: { 200: SpecsResponseSchema },
      },
    },
    async (request) => {
      const node = await nodeOf(request);
      return call(node, 'ingest.specs', {}, timeouts.readMs, SpecsResponseSchema);
    },
  );

  app.post(
    '/api/ingest/:node/codes',
    {
      config: writer,
      schema: {
        tags: ['ingest'],
        summary: "Add, change or remove entries of a spec's code map (stored as the spec's next version)",
        security,
        params: NodeParamsSchema,
        body: CodesBodySchema,
        response: { 200: CodesResponseSchema },
      },
    },
    async (request) => {
      const node = await nodeOf(request);
      const body = request.body as z.infer<typeof CodesBodySchema>;
      const user = signedIn(request);
      const detail = {
        spec: body.spec,
        codeMap: body.codeMap,
        entries: body.entries.length,
        codes: body.entries.slice(0, 20).map((e) => e.code),
      };
      return audited(deps.audit, user, { action: 'ingest.codes', target: node, detail }, async () => {
        const answer = await call(
          node,
          'ingest.codes',
          { ...body, by: user.username },
          timeouts.writeMs,
          CodesResponseSchema,
        );
        return { answer, detail: { version: answer.spec } };
      });
    },
  );

  app.post(
    '/api/ingest/:node/rerun',
    {
      config: writer,
      schema: {
        tags: ['ingest'],
        summary: "Re-map a source's current files under the newest specs (after mapping edits)",
        security,
        params: NodeParamsSchema,
        body: RerunBodySchema,
        response: { 200: RerunResponseSchema },
      },
    },
    async (request) => {
      const node = await nodeOf(request);
      const body = request.body as z.infer<typeof RerunBodySchema>;
      const user = signedIn(request);
      const detail = { source: body.source ?? null };
      return audited(deps.audit, user, { action: 'ingest.rerun', target: node, detail }, async () => {
        const answer = await call(node, 'ingest.rerun', body, timeouts.rerunMs, RerunResponseSchema);
        return { answer, detail: { loadId: answer.loadId, totals: answer.totals } };
      });
    },
  );
}
