/**
 * The patient panorama on the hub. The hub never sees a name or an ID number at rest: the ID number a clinician
 * types passes through to their own hospital's node (which validates it and answers with person keys, visit
 * counts and keyed patient tokens) and is neither stored nor logged here.
 *
 *   search {idNumber} ──► own node: panorama.resolve ──► MPI: global id ──► every hospital's records of it
 *                    ◄── handle (held in memory, for this user, 15 min)
 *   open {handle, breakGlass?}
 *       normal access needs a visit at the clinician's own hospital; otherwise only break glass with a reason
 *       per hospital, in parallel: access.record on the ledger ──► node: panorama.records (node checks the
 *       record on its own replica) ──► FHIR resources
 *       ◄── merged timeline, resources by hospital, the access records (tx hash, height)
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { isMeridianError, MeridianError } from '../../errors/registry.ts';
import type { UserPrincipal } from '../../http/route-config.ts';
import { checkIdNumber } from '../../identity/id-number.ts';
import type { LinkageService } from '../../identity/service.ts';
import type { Tokens } from '../../identity/tokens.ts';
import type { PanoramaResource } from '../../panorama/fhir.ts';
import { PANORAMA_TASKS, RecordsAnswerSchema, ResolveAnswerSchema } from '../../panorama/node.ts';
import type { BreakGlassReason } from '../../panorama/reasons.ts';
import { type MergedTimeline, mergeTimeline } from '../../panorama/timeline.ts';
import { callNode } from '../ingest/node-call.ts';
import type { NodeTracker } from '../nodes/node-tracker.ts';
import type { TaskQueues } from '../nodes/task-queue.ts';
import type { AccessRecorder } from './ledger.ts';
import type { PanoramaHubDatabase } from './schema.ts';

/** How long a search handle stays valid. */
export const SEARCH_TTL_MS = 15 * 60_000;
/** Most search handles held at once (the oldest is dropped first). */
export const SEARCHES_MAX = 1_000;
/** How long the hub waits for one node's answer (below the portal's 15 s request limit). */
export const PANORAMA_NODE_TIMEOUT_MS = 10_000;

/** One person record of the patient at one hospital. */
interface HeldRecord {
  hospital: string;
  personKey: string;
  patientToken: string;
}

interface HeldSearch {
  userId: string;
  hospital: string;
  globalId: string | null;
  localVisits: number;
  records: HeldRecord[];
  expiresAt: number;
}

/** What a search answers: a handle to open the patient with, and where the patient has records. */
export interface SearchAnswer {
  handle: string;
  globalId: string | null;
  hospital: string;
  localVisits: number;
  breakGlassRequired: boolean;
  hospitals: { hospital: string; records: number }[];
  expiresAt: string;
}

/** Input of {@link PanoramaService.open}. */
export interface OpenInput {
  handle: string;
  breakGlass?: { reasonCode: BreakGlassReason; reason: string };
}

/** How one hospital's part of a view went. */
export interface HospitalPart {
  hospital: string;
  status: 'ok' | 'failed';
  resources: number;
  error?: { code: string; message: string };
}

/** One access record the view wrote on the ledger. */
export interface AccessWritten {
  hospital: string;
  patientToken: string;
  txHash: string;
  height: number;
  contentHash: string;
}

/** What opening a patient answers. */
export interface OpenAnswer {
  globalId: string | null;
  breakGlass: boolean;
  patient: { gender: string; birthYear: string | null } | null;
  hospitals: HospitalPart[];
  timeline: MergedTimeline;
  resources: Record<string, PanoramaResource[]>;
  access: AccessWritten[];
}

/** What the service needs. */
export interface PanoramaServiceOptions {
  tracker: NodeTracker;
  queues: TaskQueues;
  linkage: LinkageService;
  db: Kysely<PanoramaHubDatabase>;
  /** Commits access records; undefined on a hub without a ledger (it then opens no patient). */
  recorder: AccessRecorder | undefined;
  now: () => Date;
  nodeTimeoutMs?: number;
}

/** The hub's panorama: patient search and merged views, every view recorded on the ledger first. */
export class PanoramaService {
  readonly #opts: PanoramaServiceOptions;
  readonly #searches = new Map<string, HeldSearch>();

  constructor(opts: PanoramaServiceOptions) {
    this.#opts = opts;
  }

  /** Finds a patient by ID number at the clinician's own hospital and where else the index holds records. */
  async search(user: UserPrincipal, idNumber: string): Promise<SearchAnswer> {
    const hospital = ownHospital(user);
    const check = checkIdNumber(idNumber);
    if (!check.ok) throw new MeridianError('MER_IDENTITY_INVALID_ID_NUMBER', check.message, { problem: check.problem });
    const resolved = await callNode({
      tracker: this.#opts.tracker,
      queues: this.#opts.queues,
      node: hospital,
      kind: PANORAMA_TASKS.resolve,
      payload: { idNumber: check.value },
      timeoutMs: this.#opts.nodeTimeoutMs ?? PANORAMA_NODE_TIMEOUT_MS,
      schema: ResolveAnswerSchema,
    });
    if (resolved.persons.length === 0)
      throw new MeridianError(
        'MER_PANORAMA_PATIENT_NOT_FOUND',
        `no patient with this ID number is registered at ${hospital}; check the number, or ask the patient where they were seen`,
        { hospital },
      );
    const records = new Map<string, HeldRecord>();
    const add = (r: HeldRecord) => records.set(`${r.hospital}:${r.personKey}`, r);
    for (const p of resolved.persons) add({ hospital, personKey: p.personKey, patientToken: p.patientToken });
    let globalId: string | null = null;
    for (const p of resolved.persons) {
      const raw = await this.#opts.linkage.globalIdOf(`${hospital}:${p.personKey}`);
      const g = raw === null ? null : await this.#opts.linkage.resolveGlobalId(raw);
      if (g === null) continue;
      globalId ??= g;
      for (const r of await this.#opts.linkage.recordsOfGlobal(g)) {
        const token = patientTokenOf(r.tokens);
        if (token !== undefined && !records.has(`${r.hospital}:${r.recordKey}`))
          add({ hospital: r.hospital, personKey: r.recordKey, patientToken: token });
      }
    }
    const localVisits = resolved.persons.reduce((n, p) => n + p.visits, 0);
    const now = this.#opts.now().getTime();
    const handle = randomUUID();
    this.#hold(handle, {
      userId: user.id,
      hospital,
      globalId,
      localVisits,
      records: [...records.values()],
      expiresAt: now + SEARCH_TTL_MS,
    });
    const counts = new Map<string, number>();
    for (const r of records.values()) counts.set(r.hospital, (counts.get(r.hospital) ?? 0) + 1);
    return {
      handle,
      globalId,
      hospital,
      localVisits,
      breakGlassRequired: localVisits === 0,
      hospitals: [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([h, n]) => ({ hospital: h, records: n })),
      expiresAt: new Date(now + SEARCH_TTL_MS).toISOString(),
    };
  }

  /** Records the view on the ledger for every hospital, fetches their records in parallel and merges them. */
  async open(user: UserPrincipal, input: OpenInput): Promise<OpenAnswer> {
    ownHospital(user);
    const held = this.#searches.get(input.handle);
    if (held === undefined || held.userId !== user.id || held.expiresAt < this.#opts.now().getTime())
      throw new MeridianError(
        'MER_PANORAMA_SEARCH_EXPIRED',
        'this patient search has expired or is not yours; search the patient again',
      );
    if (held.localVisits === 0 && input.breakGlass === undefined)
      throw new MeridianError(
        'MER_PANORAMA_BREAK_GLASS_REQUIRED',
        `the patient has no visit at ${held.hospital}: open the record with emergency access (a reason code and a reason), which is flagged for audit`,
        { hospital: held.hospital },
      );
    const recorder = this.#opts.recorder;
    if (recorder === undefined)
      throw new MeridianError(
        'MER_LEDGER_UNAVAILABLE',
        'this hub has no consortium ledger configured, so it cannot record the view; no patient is opened without an access record',
      );
    const byHospital = new Map<string, HeldRecord[]>();
    for (const r of held.records) byHospital.set(r.hospital, [...(byHospital.get(r.hospital) ?? []), r]);
    const parts = await Promise.all(
      [...byHospital].map(([hospital, records]) => this.#fetchHospital(user, held, hospital, records, input, recorder)),
    );
    parts.sort((a, b) => (a.part.hospital < b.part.hospital ? -1 : 1));
    const resources: Record<string, PanoramaResource[]> = {};
    for (const p of parts) resources[p.part.hospital] = p.resources;
    const all = parts.flatMap((p) => p.resources);
    const patient = all.find((r) => r.resourceType === 'Patient');
    return {
      globalId: held.globalId,
      breakGlass: input.breakGlass !== undefined,
      patient:
        patient?.resourceType === 'Patient'
          ? { gender: patient.gender ?? 'unknown', birthYear: patient.birthDate ?? null }
          : null,
      hospitals: parts.map((p) => p.part),
      timeline: mergeTimeline(all),
      resources,
      access: parts.flatMap((p) => p.access),
    };
  }

  async #fetchHospital(
    user: UserPrincipal,
    held: HeldSearch,
    hospital: string,
    records: HeldRecord[],
    input: OpenInput,
    recorder: AccessRecorder,
  ): Promise<{ part: HospitalPart; resources: PanoramaResource[]; access: AccessWritten[] }> {
    const access: AccessWritten[] = [];
    try {
      const persons: { personKey: string; patientToken: string; contentHash: string }[] = [];
      const written = new Map<string, AccessWritten>();
      for (const r of records) {
        let a = written.get(r.patientToken);
        if (a === undefined) {
          a = await this.#record(user, held, hospital, r.patientToken, input, recorder);
          written.set(r.patientToken, a);
          access.push(a);
        }
        persons.push({ personKey: r.personKey, patientToken: r.patientToken, contentHash: a.contentHash });
      }
      const answer = await callNode({
        tracker: this.#opts.tracker,
        queues: this.#opts.queues,
        node: hospital,
        kind: PANORAMA_TASKS.records,
        payload: { persons },
        timeoutMs: this.#opts.nodeTimeoutMs ?? PANORAMA_NODE_TIMEOUT_MS,
        schema: RecordsAnswerSchema,
      });
      const resources = (answer.resources as unknown as PanoramaResource[]).filter((r) => taggedWith(r, hospital));
      return { part: { hospital, status: 'ok', resources: resources.length }, resources, access };
    } catch (e) {
      const error = isMeridianError(e)
        ? { code: e.code, message: e.message }
        : { code: 'MER_INTERNAL', message: `hospital ${hospital} could not be read` };
      return { part: { hospital, status: 'failed', resources: 0, error }, resources: [], access };
    }
  }

  async #record(
    user: UserPrincipal,
    held: HeldSearch,
    hospital: string,
    patientToken: string,
    input: OpenInput,
    recorder: AccessRecorder,
  ): Promise<AccessWritten> {
    const at = this.#opts.now();
    const bg = input.breakGlass;
    const r = await recorder({
      user: { id: user.username, role: user.role },
      hospital,
      patientToken,
      at: at.toISOString(),
      breakGlass: bg !== undefined,
      ...(bg === undefined ? {} : { reasonCode: bg.reasonCode }),
    });
    await this.#opts.db
      .insertInto('hub_panorama_access')
      .values({
        content_hash: r.contentHash,
        tx_hash: r.txHash,
        height: r.height,
        at,
        username: user.username,
        user_role: user.role,
        user_hospital: held.hospital,
        hospital,
        patient_token: patientToken,
        global_id: held.globalId,
        break_glass: bg !== undefined,
        reason_code: bg?.reasonCode ?? null,
        reason: bg?.reason ?? null,
      })
      .execute();
    return { hospital, patientToken, ...r };
  }

  #hold(handle: string, search: HeldSearch): void {
    const now = this.#opts.now().getTime();
    for (const [h, s] of this.#searches) if (s.expiresAt < now) this.#searches.delete(h);
    while (this.#searches.size >= SEARCHES_MAX) {
      const oldest = this.#searches.keys().next().value;
      if (oldest === undefined) break;
      this.#searches.delete(oldest);
    }
    this.#searches.set(handle, search);
  }
}

/** The token access records name for a record: its ID token, else its name + birth date + sex token. */
export function patientTokenOf(tokens: Tokens): string | undefined {
  return tokens.id ?? tokens.nameDobSex;
}

/** The clinician's hospital; MER_PANORAMA_NO_HOSPITAL for a user bound to none. */
function ownHospital(user: UserPrincipal): string {
  if (user.hospital === null)
    throw new MeridianError(
      'MER_PANORAMA_NO_HOSPITAL',
      `user "${user.username}" is not bound to a hospital; an administrator must assign one before the panorama can be used`,
    );
  return user.hospital;
}

function taggedWith(r: PanoramaResource, hospital: string): boolean {
  return r.meta?.source === `urn:meridian:node:${hospital}`;
}
