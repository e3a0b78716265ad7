/**
 * The research-workflow tables, read and written: projects with members and documents, saved cohorts, the hub's
 * side of data-use requests and analyses. Membership rules live here too: a project's members change it, every
 * oversight role (ethics, auditor, manager, admin) reads it.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { MeridianError } from '../../errors/registry.ts';
import { contractHash } from '../../ledger/contracts/index.ts';
import { PROJECT_READ_ROLES, type Role } from '../auth/role-names.ts';
import type { HubDatabase } from '../schema.ts';
import type { HubAnalysisTable, HubProjectDocumentTable } from './schema.ts';

/** Roles that read every project (oversight); researchers read only the projects they are members of. */
export const PROJECT_OVERSIGHT_ROLES = PROJECT_READ_ROLES.filter((r) => r !== 'researcher');

/** A project as lists show it. */
export interface ProjectSummary {
  projectId: string;
  title: string;
  description: string;
  createdBy: string;
  createdAt: string;
  myRole: 'owner' | 'member' | null;
  memberCount: number;
  cohortCount: number;
  requestCount: number;
  analysisCount: number;
}

/** A project member. */
export interface ProjectMember {
  username: string;
  role: 'owner' | 'member';
  addedBy: string;
  addedAt: string;
}

/** A project document's metadata (the bytes are a separate download). */
export interface ProjectDocument {
  documentId: string;
  kind: HubProjectDocumentTable['kind'];
  name: string;
  mediaType: string;
  size: number;
  sha256: string;
  uploadedBy: string;
  uploadedAt: string;
  notarized: { txHash: string; height: number } | null;
}

/** A saved cohort. */
export interface SavedCohort {
  cohortId: string;
  name: string;
  description: string;
  definition: Record<string, unknown>;
  hash: string;
  createdBy: string;
  createdAt: string;
}

/** The hub's record of a data-use request (the ledger's state is joined in by the routes). */
export interface RequestRow {
  requestId: string;
  projectId: string;
  cohortId: string;
  purpose: string;
  statement: string;
  analysisKinds: string[];
  hospitals: string[];
  periodStart: string;
  periodEnd: string;
  epsilon: number;
  createdBy: string;
  createdAt: string;
}

/** One transaction the hub committed for a request, with the comment the ledger holds only as a hash. */
export interface RequestEvent {
  txHash: string;
  height: number;
  kind: 'submit' | 'decide';
  approver: string;
  decision: string | null;
  comment: string;
  username: string;
  at: string;
}

/** An analysis run in a project. */
export interface AnalysisRow {
  analysisId: string;
  cohortId: string;
  requestId: string;
  kind: string;
  body: Record<string, unknown>;
  hospitals: string[];
  status: HubAnalysisTable['status'];
  taskId: string | null;
  result: unknown;
  error: { code: string; message: string } | null;
  createdBy: string;
  createdAt: string;
}

/** One entry of a project's timeline, newest first. */
export interface TimelineEntry {
  at: string;
  actor: string;
  type: 'project' | 'member' | 'document' | 'cohort' | 'request' | 'decision' | 'analysis';
  /** What the entry is about (document name, cohort name, request id, analysis kind …). */
  subject: string;
  detail: Record<string, unknown>;
}

const MICROS = 1_000_000;

function isOversight(role: Role): boolean {
  return (PROJECT_OVERSIGHT_ROLES as readonly string[]).includes(role);
}
const iso = (d: Date | string) => new Date(d).toISOString();

/** The research-workflow tables of one hub. */
export class ProjectStore {
  readonly #db: Kysely<HubDatabase>;
  readonly #now: () => Date;

  constructor(opts: { db: Kysely<HubDatabase>; now: () => Date }) {
    this.#db = opts.db;
    this.#now = opts.now;
  }

  /** Creates a project owned by `username`. */
  async create(username: string, input: { title: string; description: string }): Promise<ProjectSummary> {
    const projectId = `prj-${randomUUID().slice(0, 8)}`;
    const at = this.#now();
    await this.#db.transaction().execute(async (tx) => {
      await tx
        .insertInto('hub_projects')
        .values({
          project_id: projectId,
          title: input.title,
          description: input.description,
          created_by: username,
          created_at: at,
        })
        .execute();
      await tx
        .insertInto('hub_project_members')
        .values({ project_id: projectId, username, member_role: 'owner', added_by: username, added_at: at })
        .execute();
    });
    return this.summary(projectId, username);
  }

  /** The projects `user` may read: all for oversight roles, their own for researchers. */
  async list(user: { username: string; role: Role }): Promise<ProjectSummary[]> {
    return this.#summaries(user.username, { all: isOversight(user.role) });
  }

  /**
   * Project summaries with `username`'s part in each: every project (`all`) or only theirs, optionally just
   * `projectId` (one query either way).
   */
  async #summaries(username: string, opts: { all: boolean; projectId?: string }): Promise<ProjectSummary[]> {
    let q = this.#db
      .selectFrom('hub_projects as p')
      .leftJoin('hub_project_members as me', (j) =>
        j.onRef('me.project_id', '=', 'p.project_id').on('me.username', '=', username),
      )
      .select((eb) => [
        'p.project_id',
        'p.title',
        'p.description',
        'p.created_by',
        'p.created_at',
        'me.member_role',
        eb
          .selectFrom('hub_project_members as m')
          .whereRef('m.project_id', '=', 'p.project_id')
          .select(eb.fn.countAll<number>().as('n'))
          .as('members'),
        eb
          .selectFrom('hub_cohorts as c')
          .whereRef('c.project_id', '=', 'p.project_id')
          .select(eb.fn.countAll<number>().as('n'))
          .as('cohorts'),
        eb
          .selectFrom('hub_requests as r')
          .whereRef('r.project_id', '=', 'p.project_id')
          .select(eb.fn.countAll<number>().as('n'))
          .as('requests'),
        eb
          .selectFrom('hub_analyses as a')
          .whereRef('a.project_id', '=', 'p.project_id')
          .select(eb.fn.countAll<number>().as('n'))
          .as('analyses'),
      ])
      .orderBy('p.created_at', 'desc');
    if (!opts.all) q = q.where('me.username', 'is not', null);
    if (opts.projectId !== undefined) q = q.where('p.project_id', '=', opts.projectId);
    const rows = await q.execute();
    return rows.map((r) => ({
      projectId: r.project_id,
      title: r.title,
      description: r.description,
      createdBy: r.created_by,
      createdAt: iso(r.created_at),
      myRole: r.member_role ?? null,
      memberCount: Number(r.members ?? 0),
      cohortCount: Number(r.cohorts ?? 0),
      requestCount: Number(r.requests ?? 0),
      analysisCount: Number(r.analyses ?? 0),
    }));
  }

  /** Project `projectId` as `user` may read it, or MER_PROJECT_NOT_FOUND (also for a project they may not see). */
  async readable(projectId: string, user: { username: string; role: Role }): Promise<ProjectSummary> {
    const [p] = await this.#summaries(user.username, { all: isOversight(user.role), projectId });
    if (p === undefined) {
      throw new MeridianError('MER_PROJECT_NOT_FOUND', `no project ${projectId} that ${user.username} may read`, {
        projectId,
      });
    }
    return p;
  }

  /** Project `projectId` if `username` is a member of it; MER_PROJECT_NOT_MEMBER otherwise. */
  async memberOf(projectId: string, username: string): Promise<ProjectSummary> {
    const [p] = await this.#summaries(username, { all: false, projectId });
    if (p === undefined) {
      await this.summary(projectId, username);
      throw new MeridianError('MER_PROJECT_NOT_MEMBER', `${username} is not a member of project ${projectId}`, {
        projectId,
      });
    }
    return p;
  }

  /** Project `projectId` with `username`'s part in it, for a caller that checked access another way; or MER_PROJECT_NOT_FOUND. */
  async summary(projectId: string, username: string): Promise<ProjectSummary> {
    const [p] = await this.#summaries(username, { all: true, projectId });
    if (p === undefined) throw new MeridianError('MER_PROJECT_NOT_FOUND', `no project ${projectId}`, { projectId });
    return p;
  }

  /** Adds `username` as a member (idempotent). */
  async addMember(projectId: string, username: string, by: string): Promise<void> {
    await this.#db
      .insertInto('hub_project_members')
      .values({ project_id: projectId, username, member_role: 'member', added_by: by, added_at: this.#now() })
      .onConflict((oc) => oc.columns(['project_id', 'username']).doNothing())
      .execute();
  }

  /** The members of a project, owner first. */
  async members(projectId: string): Promise<ProjectMember[]> {
    const rows = await this.#db
      .selectFrom('hub_project_members')
      .selectAll()
      .where('project_id', '=', projectId)
      .orderBy('added_at')
      .execute();
    return rows.map((r) => ({
      username: r.username,
      role: r.member_role,
      addedBy: r.added_by,
      addedAt: iso(r.added_at),
    }));
  }

  /** Stores a document's bytes with their SHA-256; the caller notarizes the hash and records it with {@link notarized}. */
  async addDocument(
    projectId: string,
    doc: {
      kind: HubProjectDocumentTable['kind'];
      name: string;
      mediaType: string;
      content: Uint8Array;
      sha256: string;
    },
    by: string,
  ): Promise<ProjectDocument> {
    const documentId = `doc-${randomUUID().slice(0, 8)}`;
    const at = this.#now();
    await this.#db
      .insertInto('hub_project_documents')
      .values({
        document_id: documentId,
        project_id: projectId,
        kind: doc.kind,
        name: doc.name,
        media_type: doc.mediaType,
        size: doc.content.length,
        sha256: doc.sha256,
        content: doc.content,
        uploaded_by: by,
        uploaded_at: at,
        notarized: null,
      })
      .execute();
    return {
      documentId,
      kind: doc.kind,
      name: doc.name,
      mediaType: doc.mediaType,
      size: doc.content.length,
      sha256: doc.sha256,
      uploadedBy: by,
      uploadedAt: iso(at),
      notarized: null,
    };
  }

  /** Records the ledger transaction that notarized a document's hash. */
  async notarized(documentId: string, tx: { txHash: string; height: number }): Promise<void> {
    await this.#db
      .updateTable('hub_project_documents')
      .set({ notarized: JSON.stringify(tx) })
      .where('document_id', '=', documentId)
      .execute();
  }

  /** The documents of a project (metadata only). */
  async documents(projectId: string): Promise<ProjectDocument[]> {
    const rows = await this.#db
      .selectFrom('hub_project_documents')
      .select([
        'document_id',
        'kind',
        'name',
        'media_type',
        'size',
        'sha256',
        'uploaded_by',
        'uploaded_at',
        'notarized',
      ])
      .where('project_id', '=', projectId)
      .orderBy('uploaded_at')
      .execute();
    return rows.map((r) => ({
      documentId: r.document_id,
      kind: r.kind,
      name: r.name,
      mediaType: r.media_type,
      size: r.size,
      sha256: r.sha256,
      uploadedBy: r.uploaded_by,
      uploadedAt: iso(r.uploaded_at),
      notarized: (r.notarized as ProjectDocument['notarized']) ?? null,
    }));
  }

  /** One document's bytes and metadata. */
  async documentContent(
    projectId: string,
    documentId: string,
  ): Promise<{ name: string; mediaType: string; content: Uint8Array }> {
    const r = await this.#db
      .selectFrom('hub_project_documents')
      .select(['name', 'media_type', 'content'])
      .where('project_id', '=', projectId)
      .where('document_id', '=', documentId)
      .executeTakeFirst();
    if (!r) {
      throw new MeridianError('MER_PROJECT_NOT_FOUND', `project ${projectId} has no document ${documentId}`, {
        projectId,
        documentId,
      });
    }
    return { name: r.name, mediaType: r.media_type, content: r.content };
  }

  /** Saves a cohort definition in a project, with the hash a data-use request names. */
  async saveCohort(
    projectId: string,
    input: { name: string; description: string; definition: Record<string, unknown> },
    by: string,
  ): Promise<SavedCohort> {
    const cohortId = `coh-${randomUUID().slice(0, 8)}`;
    const at = this.#now();
    const hash = contractHash('cohort', input.definition as never);
    await this.#db
      .insertInto('hub_cohorts')
      .values({
        cohort_id: cohortId,
        project_id: projectId,
        name: input.name,
        description: input.description,
        definition: JSON.stringify(input.definition),
        hash,
        created_by: by,
        created_at: at,
      })
      .execute();
    return { cohortId, ...input, hash, createdBy: by, createdAt: iso(at) };
  }

  /** The saved cohorts of a project, newest first. */
  async cohorts(projectId: string): Promise<SavedCohort[]> {
    const rows = await this.#db
      .selectFrom('hub_cohorts')
      .selectAll()
      .where('project_id', '=', projectId)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map((r) => ({
      cohortId: r.cohort_id,
      name: r.name,
      description: r.description,
      definition: r.definition as Record<string, unknown>,
      hash: r.hash,
      createdBy: r.created_by,
      createdAt: iso(r.created_at),
    }));
  }

  /** Cohort `cohortId` of project `projectId`, or MER_PROJECT_COHORT_NOT_FOUND. */
  async cohort(projectId: string, cohortId: string): Promise<SavedCohort> {
    const c = (await this.cohorts(projectId)).find((x) => x.cohortId === cohortId);
    if (c === undefined) {
      throw new MeridianError('MER_PROJECT_COHORT_NOT_FOUND', `project ${projectId} has no cohort ${cohortId}`, {
        projectId,
        cohortId,
      });
    }
    return c;
  }

  /** Records a request the ledger accepted, with its submit transaction. */
  async addRequest(r: RequestRow, submit: RequestEvent): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      await tx
        .insertInto('hub_requests')
        .values({
          request_id: r.requestId,
          project_id: r.projectId,
          cohort_id: r.cohortId,
          purpose: r.purpose,
          statement: r.statement,
          analysis_kinds: JSON.stringify(r.analysisKinds),
          hospitals: JSON.stringify(r.hospitals),
          period_start: new Date(r.periodStart),
          period_end: new Date(r.periodEnd),
          epsilon_micros: Math.round(r.epsilon * MICROS),
          created_by: r.createdBy,
          created_at: new Date(r.createdAt),
        })
        .execute();
      await tx.insertInto('hub_request_events').values(eventRow(r.requestId, submit)).execute();
    });
  }

  /** Records a decision the ledger accepted. */
  async addDecision(requestId: string, e: RequestEvent): Promise<void> {
    await this.#db.insertInto('hub_request_events').values(eventRow(requestId, e)).execute();
  }

  /** Requests, newest first: of one project, or (no project) every request naming `hospital`, or all. */
  async requests(filter: { projectId?: string; hospital?: string } = {}): Promise<RequestRow[]> {
    let q = this.#db.selectFrom('hub_requests').selectAll().orderBy('created_at', 'desc');
    if (filter.projectId !== undefined) q = q.where('project_id', '=', filter.projectId);
    const rows = (await q.execute()).map(requestOf);
    return filter.hospital === undefined ? rows : rows.filter((r) => r.hospitals.includes(filter.hospital as string));
  }

  /** Request `requestId`, or MER_REQUEST_NOT_FOUND. */
  async request(requestId: string): Promise<RequestRow> {
    const r = await this.#db
      .selectFrom('hub_requests')
      .selectAll()
      .where('request_id', '=', requestId)
      .executeTakeFirst();
    if (!r) throw new MeridianError('MER_REQUEST_NOT_FOUND', `no data-use request ${requestId}`, { requestId });
    return requestOf(r);
  }

  /** The transactions the hub committed for a request, oldest first. */
  async requestEvents(requestId: string): Promise<RequestEvent[]> {
    const rows = await this.#db
      .selectFrom('hub_request_events')
      .selectAll()
      .where('request_id', '=', requestId)
      .orderBy('at')
      .execute();
    return rows.map((e) => ({
      txHash: e.tx_hash,
      height: e.height,
      kind: e.kind,
      approver: e.approver,
      decision: e.decision,
      comment: e.comment,
      username: e.username,
      at: iso(e.at),
    }));
  }

  /** Records an analysis and its outcome. */
  async addAnalysis(projectId: string, a: AnalysisRow): Promise<void> {
    await this.#db
      .insertInto('hub_analyses')
      .values({
        analysis_id: a.analysisId,
        project_id: projectId,
        cohort_id: a.cohortId,
        request_id: a.requestId,
        kind: a.kind,
        body: JSON.stringify(a.body),
        hospitals: JSON.stringify(a.hospitals),
        status: a.status,
        task_id: a.taskId,
        result: a.result === null ? null : JSON.stringify(a.result),
        error: a.error === null ? null : JSON.stringify(a.error),
        created_by: a.createdBy,
        created_at: new Date(a.createdAt),
      })
      .execute();
  }

  /** The analyses of a project, newest first. */
  async analyses(projectId: string): Promise<AnalysisRow[]> {
    const rows = await this.#db
      .selectFrom('hub_analyses')
      .selectAll()
      .where('project_id', '=', projectId)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map((r) => ({
      analysisId: r.analysis_id,
      cohortId: r.cohort_id,
      requestId: r.request_id,
      kind: r.kind,
      body: r.body as Record<string, unknown>,
      hospitals: r.hospitals as string[],
      status: r.status,
      taskId: r.task_id,
      result: r.result ?? null,
      error: (r.error as AnalysisRow['error']) ?? null,
      createdBy: r.created_by,
      createdAt: iso(r.created_at),
    }));
  }

  /** A project's timeline from its rows, newest first. */
  async timeline(projectId: string): Promise<TimelineEntry[]> {
    const [project] = await this.#db
      .selectFrom('hub_projects')
      .selectAll()
      .where('project_id', '=', projectId)
      .execute();
    if (!project) return [];
    const [members, documents, cohorts, requests, analyses] = await Promise.all([
      this.members(projectId),
      this.documents(projectId),
      this.cohorts(projectId),
      this.requests({ projectId }),
      this.analyses(projectId),
    ]);
    const decisions = (await Promise.all(requests.map((r) => this.requestEvents(r.requestId)))).flatMap((events, i) =>
      events
        .filter((e) => e.kind === 'decide')
        .map((e) => ({ ...e, requestId: (requests[i] as RequestRow).requestId })),
    );
    const entries: TimelineEntry[] = [
      { at: iso(project.created_at), actor: project.created_by, type: 'project', subject: project.title, detail: {} },
      ...members
        .filter((m) => m.role !== 'owner')
        .map((m) => ({ at: m.addedAt, actor: m.addedBy, type: 'member' as const, subject: m.username, detail: {} })),
      ...documents.map((d) => ({
        at: d.uploadedAt,
        actor: d.uploadedBy,
        type: 'document' as const,
        subject: d.name,
        detail: { kind: d.kind, sha256: d.sha256, notarized: d.notarized },
      })),
      ...cohorts.map((c) => ({
        at: c.createdAt,
        actor: c.createdBy,
        type: 'cohort' as const,
        subject: c.name,
        detail: {},
      })),
      ...requests.map((r) => ({
        at: r.createdAt,
        actor: r.createdBy,
        type: 'request' as const,
        subject: r.requestId,
        detail: { hospitals: r.hospitals, analysisKinds: r.analysisKinds },
      })),
      ...decisions.map((d) => ({
        at: d.at,
        actor: d.username,
        type: 'decision' as const,
        subject: d.requestId,
        detail: { approver: d.approver, decision: d.decision, txHash: d.txHash },
      })),
      ...analyses.map((a) => ({
        at: a.createdAt,
        actor: a.createdBy,
        type: 'analysis' as const,
        subject: a.kind,
        detail: { status: a.status, analysisId: a.analysisId },
      })),
    ];
    return entries.sort((a, b) => b.at.localeCompare(a.at));
  }
}

function eventRow(requestId: string, e: RequestEvent) {
  return {
    request_id: requestId,
    tx_hash: e.txHash,
    height: e.height,
    kind: e.kind,
    approver: e.approver,
    decision: e.decision,
    comment: e.comment,
    username: e.username,
    at: new Date(e.at),
  };
}

function requestOf(r: {
  request_id: string;
  project_id: string;
  cohort_id: string;
  purpose: string;
  statement: string;
  analysis_kinds: unknown;
  hospitals: unknown;
  period_start: Date;
  period_end: Date;
  epsilon_micros: number | string;
  created_by: string;
  created_at: Date;
}): RequestRow {
  return {
    requestId: r.request_id,
    projectId: r.project_id,
    cohortId: r.cohort_id,
    purpose: r.purpose,
    statement: r.statement,
    analysisKinds: r.analysis_kinds as string[],
    hospitals: r.hospitals as string[],
    periodStart: iso(r.period_start),
    periodEnd: iso(r.period_end),
    epsilon: Number(r.epsilon_micros) / MICROS,
    createdBy: r.created_by,
    createdAt: iso(r.created_at),
  };
}
