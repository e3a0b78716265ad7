/**
 * Research workflow routes: projects (members, documents notarized on the ledger, saved cohorts, a timeline),
 * feasibility counts before any request, data-use requests with the ethics committee's and each hospital's
 * decision on the ledger, and analyses run under an approved request with their released results kept in the
 * project. Reading a project is for its members and oversight roles; changing it for its members.
 *
 *   researcher: project ─► cohort ─► feasibility count ─► request ─► (ethics + hospitals decide) ─► analyses
 */
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isMeridianError, MeridianError } from '../../errors/registry.ts';
import { parseCohort } from '../../federation/cohort/index.ts';
import type { UserPrincipal } from '../../http/route-config.ts';
import { FEASIBILITY_REQUEST_ID } from '../../ledger/contracts/index.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { audited } from '../audit/audited.ts';
import { PROJECT_READ_ROLES, REQUEST_READ_ROLES, type Role } from '../auth/role-names.ts';
import { signedIn } from '../auth/signed-in.ts';
import type { UserStore } from '../auth/users.ts';
import type { QueryLimiter } from '../federation/query-limiter.ts';
import type { FederationService } from '../federation/service.ts';
import type { NodeTracker } from '../nodes/node-tracker.ts';
import type { LedgerRequestView, RequestLedger } from './ledger.ts';
import type { ProjectStore, RequestRow } from './store.ts';

/** Roles that create and change projects (members only, checked per project). */
export const PROJECT_WRITE_ROLES = ['researcher'] as const satisfies readonly Role[];
/** Roles that decide on data-use requests: the ethics committee and each listed hospital's steward. */
export const REQUEST_DECIDE_ROLES = ['ethics', 'steward'] as const satisfies readonly Role[];

/** Largest project document, in bytes (protocols and ethics approvals are PDFs or office files). */
export const PROJECT_DOCUMENT_BYTES_MAX = 5 * 1024 * 1024;

/** Analysis kinds a request may name and a project may run. */
export const ANALYSIS_KINDS = ['count', 'descriptive', 'km', 'cox', 'glm', 'fedavg'] as const;

const IdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/);
const HospitalsSchema = z.array(z.string().min(2).max(63)).min(1).max(64);
const ProjectParams = z.strictObject({ projectId: IdSchema });
const security = [{ bearer: [] }];

const CreateProjectSchema = z.strictObject({
  title: z.string().trim().min(2).max(200),
  description: z.string().max(4_000).default(''),
});
const AddMemberSchema = z.strictObject({ username: z.string().min(1).max(128) });
const DocumentSchema = z.strictObject({
  kind: z.enum(['protocol', 'ethics', 'consent-form', 'other']),
  name: z.string().trim().min(1).max(200),
  mediaType: z.string().min(3).max(200).default('application/octet-stream'),
  contentBase64: z
    .string()
    .min(1)
    .max(Math.ceil((PROJECT_DOCUMENT_BYTES_MAX * 4) / 3) + 4),
});
const SaveCohortSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(4_000).default(''),
  definition: z.record(z.string(), z.unknown()),
});
const FeasibilitySchema = z.strictObject({
  projectId: IdSchema,
  cohort: z.record(z.string(), z.unknown()),
  hospitals: HospitalsSchema.optional(),
});
const SubmitRequestSchema = z.strictObject({
  cohortId: IdSchema,
  purpose: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/),
  statement: z.string().trim().min(10).max(4_000),
  analysisKinds: z.array(z.enum(ANALYSIS_KINDS)).min(1).max(ANALYSIS_KINDS.length),
  hospitals: HospitalsSchema,
  periodStart: z.iso.datetime(),
  periodEnd: z.iso.datetime(),
  epsilon: z.number().min(0).max(100).default(0),
});
const DecisionSchema = z.strictObject({
  decision: z.enum(['approve', 'refuse']),
  comment: z.string().trim().min(1).max(4_000),
  epsilon: z.number().min(0).max(100).optional(),
});
const RunAnalysisSchema = z.strictObject({
  kind: z.enum(ANALYSIS_KINDS),
  requestId: IdSchema,
  cohortId: IdSchema,
  hospitals: HospitalsSchema,
  body: z
    .strictObject({
      variables: z.array(z.record(z.string(), z.unknown())).max(50).optional(),
      parameters: z.record(z.string(), z.unknown()).optional(),
    })
    .default({}),
});

/** What the project routes need. */
export interface ProjectRoutesDeps {
  store: ProjectStore;
  users: UserStore;
  audit: AuditLog;
  tracker: NodeTracker;
  /** The ledger side (absent on a hub without `hub.ledger`: requests, notarization and analyses then answer 503). */
  ledger?: RequestLedger | undefined;
  federation?: FederationService | undefined;
  limiter?: QueryLimiter | undefined;
  /** The consortium's largest ε a request may ask (the admin setting); unbounded below the schema's cap when absent. */
  epsilonMax?: () => number;
}

function noLedger(): MeridianError {
  return new MeridianError('MER_LEDGER_UNAVAILABLE', 'this hub has no consortium ledger configured (hub.ledger)');
}

function userOf(u: UserPrincipal): { id: string; role: string } {
  return { id: u.username, role: u.role };
}

/**
 * A request as the portal shows it: the hub's record joined with the ledger's state (`ledger` null and `status`
 * `unknown` when no validator answered), and who must still decide.
 */
export interface RequestView extends RequestRow {
  status: LedgerRequestView['status'] | 'unknown';
  awaiting: string[];
  ledger: LedgerRequestView | null;
  ledgerError: string | null;
}

async function withLedger(deps: ProjectRoutesDeps, rows: RequestRow[]): Promise<RequestView[]> {
  if (rows.length === 0) return [];
  const unknown = (r: RequestRow, why: string): RequestView => ({
    ...r,
    status: 'unknown',
    awaiting: [],
    ledger: null,
    ledgerError: why,
  });
  const ledger = deps.ledger;
  if (ledger === undefined) return rows.map((r) => unknown(r, noLedger().message));
  return Promise.all(
    rows.map(async (r) => {
      try {
        const view = await ledger.view(r.requestId);
        if (view === undefined) return unknown(r, `the ledger has no request ${r.requestId}`);
        return { ...r, status: view.status, awaiting: view.awaiting, ledger: view, ledgerError: null };
      } catch (e) {
        return unknown(r, (e as Error).message);
      }
    }),
  );
}

/** Registers the project, feasibility, request and analysis routes on the hub's user app. */
export function registerProjectRoutes(app: FastifyInstance, deps: ProjectRoutesDeps): void {
  const { store } = deps;

  app.get(
    '/api/projects',
    {
      config: { roles: PROJECT_READ_ROLES },
      schema: { tags: ['projects'], summary: 'Projects the user may read (researchers: their own)', security },
    },
    async (request) => {
      const user = signedIn(request);
      return { projects: await store.list({ username: user.username, role: user.role }) };
    },
  );

  app.post(
    '/api/projects',
    {
      config: { roles: PROJECT_WRITE_ROLES },
      schema: {
        tags: ['projects'],
        summary: 'Create a research project (the creator owns it)',
        security,
        body: CreateProjectSchema,
      },
    },
    async (request) => {
      const user = signedIn(request);
      const body = request.body as z.infer<typeof CreateProjectSchema>;
      return audited(deps.audit, user, { action: 'project.create', target: null }, async () => {
        const project = await store.create(user.username, body);
        return { answer: { project }, detail: { projectId: project.projectId, title: project.title } };
      });
    },
  );

  app.get(
    '/api/projects/:projectId',
    {
      config: { roles: PROJECT_READ_ROLES },
      schema: {
        tags: ['projects'],
        summary:
          'A project with members, documents, cohorts, requests (with their ledger state), analyses and timeline',
        security,
        params: ProjectParams,
      },
    },
    async (request) => {
      const user = signedIn(request);
      const { projectId } = request.params as z.infer<typeof ProjectParams>;
      return audited(deps.audit, user, { action: 'project.read', target: projectId }, async () => {
        const project = await store.readable(projectId, user);
        const [members, documents, cohorts, rows, analyses, timeline] = await Promise.all([
          store.members(projectId),
          store.documents(projectId),
          store.cohorts(projectId),
          store.requests({ projectId }),
          store.analyses(projectId),
          store.timeline(projectId),
        ]);
        const requests = await withLedger(deps, rows);
        const hospitals = deps.tracker
          .list()
          .map((n) => ({ name: n.name, displayName: n.displayName, state: n.state }));
        return {
          answer: { project, members, documents, cohorts, requests, analyses, timeline, hospitals },
          detail: {},
        };
      });
    },
  );

  app.post(
    '/api/projects/:projectId/members',
    {
      config: { roles: PROJECT_WRITE_ROLES },
      schema: {
        tags: ['projects'],
        summary: 'Add a researcher to a project',
        security,
        params: ProjectParams,
        body: AddMemberSchema,
      },
    },
    async (request) => {
      const user = signedIn(request);
      const { projectId } = request.params as z.infer<typeof ProjectParams>;
      const { username } = request.body as z.infer<typeof AddMemberSchema>;
      return audited(
        deps.audit,
        user,
        { action: 'project.member.add', target: projectId, detail: { username } },
        async () => {
          await store.memberOf(projectId, user.username);
          const added = await deps.users.findByUsername(username);
          if (added?.role !== 'researcher') {
            throw new MeridianError('MER_HTTP_VALIDATION', `username: ${username} is not a researcher's account`, {
              field: 'username',
              value: username,
            });
          }
          await store.addMember(projectId, username, user.username);
          return { answer: { members: await store.members(projectId) }, detail: {} };
        },
      );
    },
  );

  app.post(
    '/api/projects/:projectId/documents',
    {
      config: { roles: PROJECT_WRITE_ROLES },
      bodyLimit: Math.ceil((PROJECT_DOCUMENT_BYTES_MAX * 4) / 3) + 64 * 1024,
      schema: {
        tags: ['projects'],
        summary: 'Upload a protocol or ethics document: stored with its SHA-256, the hash notarized on the ledger',
        security,
        params: ProjectParams,
        body: DocumentSchema,
      },
    },
    async (request) => {
      const user = signedIn(request);
      const { projectId } = request.params as z.infer<typeof ProjectParams>;
      const body = request.body as z.infer<typeof DocumentSchema>;
      return audited(
        deps.audit,
        user,
        { action: 'project.document.add', target: projectId, detail: { name: body.name } },
        async () => {
          await store.memberOf(projectId, user.username);
          const content = decodeDocument(body.contentBase64);
          const sha256 = createHash('sha256').update(content).digest('hex');
          const doc = await store.addDocument(projectId, { ...body, content, sha256 }, user.username);
          if (deps.ledger === undefined) return { answer: { document: doc }, detail: { sha256, notarized: false } };
          const tx = await deps.ledger.notarizeDocument({
            projectId,
            documentId: doc.documentId,
            sha256,
            name: doc.name,
          });
          await store.notarized(doc.documentId, tx);
          return { answer: { document: { ...doc, notarized: tx } }, detail: { sha256, ...tx } };
        },
      );
    },
  );

  const DocumentParams = z.strictObject({ projectId: IdSchema, documentId: IdSchema });
  app.get(
    '/api/projects/:projectId/documents/:documentId',
    {
      config: { roles: PROJECT_READ_ROLES },
      schema: {
        tags: ['projects'],
        summary: 'Download a project document (audited)',
        security,
        params: DocumentParams,
      },
    },
    async (request, reply) => {
      const user = signedIn(request);
      const { projectId, documentId } = request.params as z.infer<typeof DocumentParams>;
      const doc = await audited(
        deps.audit,
        user,
        { action: 'project.document.read', target: projectId, detail: { documentId } },
        async () => {
          await store.readable(projectId, user);
          return { answer: await store.documentContent(projectId, documentId), detail: {} };
        },
      );
      reply.header('content-type', doc.mediaType);
      reply.header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(doc.name)}`);
      return reply.send(Buffer.from(doc.content));
    },
  );

  app.post(
    '/api/projects/:projectId/cohorts',
    {
      config: { roles: PROJECT_WRITE_ROLES },
      schema: {
        tags: ['projects'],
        summary: 'Save a cohort definition in a project',
        security,
        params: ProjectParams,
        body: SaveCohortSchema,
      },
    },
    async (request) => {
      const user = signedIn(request);
      const { projectId } = request.params as z.infer<typeof ProjectParams>;
      const body = request.body as z.infer<typeof SaveCohortSchema>;
      return audited(
        deps.audit,
        user,
        { action: 'project.cohort.save', target: projectId, detail: { name: body.name } },
        async () => {
          await store.memberOf(projectId, user.username);
          parseCohort(body.definition);
          const cohort = await store.saveCohort(projectId, body, user.username);
          return { answer: { cohort }, detail: { cohortId: cohort.cohortId, hash: cohort.hash } };
        },
      );
    },
  );

  app.post(
    '/api/cohorts/count',
    {
      config: { roles: PROJECT_WRITE_ROLES },
      schema: {
        tags: ['projects'],
        summary:
          "Feasibility count of a cohort at every hospital, before any data-use request: authorized on the ledger (task.feasibility), released under each hospital's count disclosure, rate-limited per researcher",
        security,
        body: FeasibilitySchema,
      },
    },
    async (request) => {
      const user = signedIn(request);
      const body = request.body as z.infer<typeof FeasibilitySchema>;
      return audited(deps.audit, user, { action: 'federation.feasibility', target: body.projectId }, async () => {
        await store.memberOf(body.projectId, user.username);
        if (deps.federation === undefined) throw noLedger();
        const hospitals = body.hospitals ?? deps.tracker.list().map((n) => n.name);
        if (hospitals.length === 0) {
          throw new MeridianError('MER_NODE_UNAVAILABLE', 'no hospital node has connected to this hub yet');
        }
        const task = deps.federation.task(
          {
            requestId: FEASIBILITY_REQUEST_ID,
            projectId: body.projectId,
            kind: 'count',
            cohort: body.cohort,
            hospitals,
          },
          userOf(user),
        );
        deps.limiter?.admit(task);
        const answer = await deps.federation.count(task);
        return {
          answer,
          detail: { taskId: task.taskId, taskHash: answer.taskHash, hospitals, partial: answer.partial },
        };
      });
    },
  );

  app.post(
    '/api/projects/:projectId/requests',
    {
      config: { roles: PROJECT_WRITE_ROLES },
      schema: {
        tags: ['requests'],
        summary:
          'Request data use for a project: the cohort (by hash), purpose, analysis kinds, hospitals, period and ε, submitted on the ledger; the ethics committee and every listed hospital must approve',
        security,
        params: ProjectParams,
        body: SubmitRequestSchema,
      },
    },
    async (request) => {
      const user = signedIn(request);
      const { projectId } = request.params as z.infer<typeof ProjectParams>;
      const body = request.body as z.infer<typeof SubmitRequestSchema>;
      return audited(deps.audit, user, { action: 'request.submit', target: projectId }, async () => {
        await store.memberOf(projectId, user.username);
        if (deps.ledger === undefined) throw noLedger();
        const cohort = await store.cohort(projectId, body.cohortId);
        const known = new Set(deps.tracker.list().map((n) => n.name));
        body.hospitals.forEach((h, i) => {
          if (!known.has(h)) {
            throw new MeridianError('MER_REQUEST_INVALID', `hospitals.${i}: ${h} is not a hospital node of this hub`, {
              field: `hospitals.${i}`,
              value: h,
            });
          }
        });
        if (!(Date.parse(body.periodEnd) > Date.parse(body.periodStart))) {
          throw new MeridianError(
            'MER_REQUEST_INVALID',
            `periodEnd ${body.periodEnd} is not after periodStart ${body.periodStart}`,
            {
              field: 'periodEnd',
            },
          );
        }
        const epsilonMax = deps.epsilonMax?.();
        if (epsilonMax !== undefined && body.epsilon > epsilonMax) {
          throw new MeridianError(
            'MER_REQUEST_INVALID',
            `epsilon: ${body.epsilon} exceeds the consortium's maximum ε of ${epsilonMax} per request`,
            { field: 'epsilon', value: body.epsilon, max: epsilonMax },
          );
        }
        const requestId = `req-${randomUUID().slice(0, 8)}`;
        const tx = await deps.ledger.submit({ requestId, projectId, cohortHash: cohort.hash, ...body }, userOf(user));
        const row: RequestRow = {
          requestId,
          projectId,
          cohortId: cohort.cohortId,
          purpose: body.purpose,
          statement: body.statement,
          analysisKinds: body.analysisKinds,
          hospitals: body.hospitals,
          periodStart: body.periodStart,
          periodEnd: body.periodEnd,
          epsilon: body.epsilon,
          createdBy: user.username,
          createdAt: new Date().toISOString(),
        };
        await store.addRequest(row, {
          ...tx,
          kind: 'submit',
          approver: user.username,
          decision: null,
          comment: body.statement,
          username: user.username,
          at: row.createdAt,
        });
        const [view] = await withLedger(deps, [row]);
        return { answer: { request: view }, detail: { requestId, ...tx } };
      });
    },
  );

  app.get(
    '/api/requests',
    {
      config: { roles: REQUEST_READ_ROLES },
      schema: {
        tags: ['requests'],
        summary:
          "Data-use requests with their ledger state: a researcher's projects', a steward's hospital's, or all for the ethics committee and oversight",
        security,
      },
    },
    async (request) => {
      const user = signedIn(request);
      const rows = await requestsFor(deps, user);
      return { requests: await withLedger(deps, rows) };
    },
  );

  const RequestParams = z.strictObject({ requestId: IdSchema });
  app.get(
    '/api/requests/:requestId',
    {
      config: { roles: REQUEST_READ_ROLES },
      schema: {
        tags: ['requests'],
        summary:
          'One data-use request: its cohort, the ledger state, who must still act, and every decision with its transaction',
        security,
        params: RequestParams,
      },
    },
    async (request) => {
      const user = signedIn(request);
      const { requestId } = request.params as z.infer<typeof RequestParams>;
      return audited(deps.audit, user, { action: 'request.read', target: requestId }, async () => {
        const row = await readableRequest(deps, user, requestId);
        const [view] = await withLedger(deps, [row]);
        const [cohort, events, project] = await Promise.all([
          store.cohort(row.projectId, row.cohortId),
          store.requestEvents(requestId),
          store.summary(row.projectId, user.username),
        ]);
        return { answer: { request: view, cohort, events, project }, detail: {} };
      });
    },
  );

  app.post(
    '/api/requests/:requestId/decision',
    {
      config: { roles: REQUEST_DECIDE_ROLES },
      schema: {
        tags: ['requests'],
        summary:
          "Approve or refuse a request: the ethics committee through the hub (it may grant less ε), a hospital's steward through their hospital's node, which signs it",
        security,
        params: RequestParams,
        body: DecisionSchema,
      },
    },
    async (request) => {
      const user = signedIn(request);
      const { requestId } = request.params as z.infer<typeof RequestParams>;
      const body = request.body as z.infer<typeof DecisionSchema>;
      const what = { action: `request.${body.decision}`, target: requestId, detail: { comment: body.comment } };
      return audited(deps.audit, user, what, async () => {
        if (deps.ledger === undefined) throw noLedger();
        const row = await store.request(requestId);
        let approver: string;
        let tx: { txHash: string; height: number };
        if (user.role === 'ethics') {
          approver = 'ethics';
          tx = await deps.ledger.decideAsEthics({ requestId, ...body }, userOf(user));
        } else {
          const hospital = user.hospital;
          if (hospital === null || !row.hospitals.includes(hospital)) {
            throw new MeridianError(
              'MER_REQUEST_NOT_APPROVER',
              `request ${requestId} names ${row.hospitals.join(', ')}; ${user.username} is the steward of ${hospital ?? 'no hospital'}`,
              { requestId },
            );
          }
          if (body.epsilon !== undefined) {
            throw new MeridianError('MER_REQUEST_INVALID', 'epsilon: only the ethics committee grants privacy budget', {
              field: 'epsilon',
            });
          }
          approver = hospital;
          tx = await deps.ledger.decideAsHospital(hospital, {
            requestId,
            decision: body.decision,
            comment: body.comment,
            user: { id: user.username, role: 'steward' },
          });
        }
        await store.addDecision(requestId, {
          ...tx,
          kind: 'decide',
          approver,
          decision: body.decision,
          comment: body.comment,
          username: user.username,
          at: new Date().toISOString(),
        });
        const [view] = await withLedger(deps, [row]);
        return { answer: { request: view, decision: { approver, ...tx } }, detail: { approver, ...tx } };
      });
    },
  );

  app.post(
    '/api/projects/:projectId/analyses',
    {
      config: { roles: PROJECT_WRITE_ROLES },
      schema: {
        tags: ['projects'],
        summary:
          "Run an analysis on a saved cohort under the project's approved request; the released result is kept in the project",
        security,
        params: ProjectParams,
        body: RunAnalysisSchema,
      },
    },
    async (request) => {
      const user = signedIn(request);
      const { projectId } = request.params as z.infer<typeof ProjectParams>;
      const body = request.body as z.infer<typeof RunAnalysisSchema>;
      const what = {
        action: `project.analysis.${body.kind}`,
        target: projectId,
        detail: { requestId: body.requestId },
      };
      return audited(deps.audit, user, what, async () => {
        await store.memberOf(projectId, user.username);
        const federation = deps.federation;
        if (federation === undefined) throw noLedger();
        const req = await store.request(body.requestId);
        if (req.projectId !== projectId) {
          throw new MeridianError('MER_REQUEST_NOT_FOUND', `project ${projectId} has no request ${body.requestId}`, {
            requestId: body.requestId,
          });
        }
        const cohort = await store.cohort(projectId, body.cohortId);
        const task = federation.task(
          {
            requestId: body.requestId,
            projectId,
            kind: body.kind,
            cohort: cohort.definition,
            ...(body.body.variables === undefined ? {} : { variables: body.body.variables }),
            ...(body.body.parameters === undefined ? {} : { parameters: body.body.parameters }),
            hospitals: body.hospitals,
          },
          userOf(user),
        );
        deps.limiter?.admit(task);
        const base = {
          analysisId: `ana-${randomUUID().slice(0, 8)}`,
          cohortId: cohort.cohortId,
          requestId: body.requestId,
          kind: body.kind,
          body: body.body,
          hospitals: body.hospitals,
          taskId: task.taskId,
          createdBy: user.username,
          createdAt: new Date().toISOString(),
        };
        try {
          const result = await runKind(federation, task);
          const analysis = { ...base, status: 'done' as const, result, error: null };
          await store.addAnalysis(projectId, analysis);
          return { answer: { analysis }, detail: { analysisId: base.analysisId, taskId: task.taskId } };
        } catch (e) {
          if (!isMeridianError(e)) throw e;
          const analysis = {
            ...base,
            status: 'failed' as const,
            result: null,
            error: { code: e.code, message: e.message },
          };
          await store.addAnalysis(projectId, analysis);
          throw e;
        }
      });
    },
  );
}

function runKind(federation: FederationService, task: ReturnType<FederationService['task']>): Promise<unknown> {
  switch (task.kind) {
    case 'count':
      return federation.count(task);
    case 'glm':
      return federation.glm(task);
    case 'km':
      return federation.km(task);
    case 'cox':
      return federation.cox(task);
    case 'descriptive':
      return federation.descriptive(task);
    case 'fedavg':
      return federation.fedavg(task);
    default:
      throw new MeridianError('MER_REQUEST_INVALID', `kind: ${task.kind} cannot run in a project`, { field: 'kind' });
  }
}

function decodeDocument(b64: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) {
    throw new MeridianError('MER_PROJECT_DOCUMENT_INVALID', 'contentBase64: not valid base64', {
      field: 'contentBase64',
    });
  }
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length === 0 || bytes.length > PROJECT_DOCUMENT_BYTES_MAX) {
    throw new MeridianError(
      'MER_PROJECT_DOCUMENT_INVALID',
      `contentBase64: ${bytes.length} bytes; a document holds 1 to ${PROJECT_DOCUMENT_BYTES_MAX} bytes`,
      { field: 'contentBase64', size: bytes.length },
    );
  }
  return bytes;
}

/** The requests `user` may read: their projects' (researcher), their hospital's (steward), or all. */
async function requestsFor(deps: ProjectRoutesDeps, user: UserPrincipal): Promise<RequestRow[]> {
  if (user.role === 'steward') return user.hospital === null ? [] : deps.store.requests({ hospital: user.hospital });
  if (user.role === 'researcher') {
    const mine = new Set((await deps.store.list({ username: user.username, role: user.role })).map((p) => p.projectId));
    return (await deps.store.requests()).filter((r) => mine.has(r.projectId));
  }
  return deps.store.requests();
}

async function readableRequest(deps: ProjectRoutesDeps, user: UserPrincipal, requestId: string): Promise<RequestRow> {
  const row = await deps.store.request(requestId);
  const visible = (await requestsFor(deps, user)).some((r) => r.requestId === requestId);
  if (!visible)
    throw new MeridianError(
      'MER_REQUEST_NOT_FOUND',
      `no data-use request ${requestId} that ${user.username} may read`,
      { requestId },
    );
  return row;
}
