/**
 * The node's ingest service: one load at a time over the node's database, lake and ODS, plus what stewards
 * read and change — load history, rejects, unmapped codes with suggested standard codes, specs and profiles,
 * code-map edits and re-running current files under the newest specs (straight from the ODS copies).
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { MeridianError } from '../errors/registry.ts';
import { CONCEPTS, type Concept, type Suggestion, suggestCodes } from '../model/vocabulary.ts';
import type { RowProtector } from '../privacy/protect.ts';
import type { SourceFormat } from '../sources/index.ts';
import type { Lake } from '../store/index.ts';
import { type Lineage, resolveLineage } from './lineage.ts';
import {
  finishPendingGroups,
  type LoadInput,
  type LoadProgress,
  type LoadSummary,
  listSourceFiles,
  markInterruptedLoads,
  QUARANTINE_TABLE,
  runLoad,
  type UnmappedCount,
} from './loader.ts';
import type { MappingSpec, MappingSpecInput } from './mapping.ts';
import type { Notarizer } from './notary.ts';
import type { SourceProfile } from './profile.ts';
import type { PipelineDatabase } from './schema.ts';
import { latestSpecs, listProfiles, saveProfile, saveSpec } from './specs-store.ts';

/** A row of the load history. */
export interface LoadRow {
  loadId: string;
  source: string;
  startedAt: string;
  finishedAt: string | null;
  status: string;
  files: number;
  recordsRead: number;
  rowsLoaded: number;
  rejected: number;
}

/** An unmapped code across the current files of a source, with suggestions. */
export interface UnmappedRow extends UnmappedCount {
  source: string;
  files: number;
  suggestions: Suggestion[];
}

/** A quarantined record. */
export interface QuarantineRow {
  loadId: string;
  source: string;
  file: string;
  /** SHA-256 of the file version the record was refused from (what lineage traces). */
  sha256: string;
  position: string;
  code: string;
  message: string;
  field: string | null;
  mappingVersion: string | null;
}

/** What the service needs. */
export interface IngestServiceOptions {
  db: Kysely<PipelineDatabase>;
  lake: Lake;
  odsDir: string;
  notarizer: Notarizer;
  /** What every canonical row goes through before the lake (see {@link RowProtector}). */
  protect: RowProtector;
  now?: () => Date;
  /** Called after every finished load (quality checks start here); not awaited by the load. */
  afterLoad?: (summary: LoadSummary) => void;
}

/** The ingest service of one node. */
export class IngestService {
  readonly #o: IngestServiceOptions;
  readonly #now: () => Date;
  #running: { loadId: string; progress: LoadProgress | null } | null = null;

  constructor(options: IngestServiceOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
  }

  /** Finishes or undoes group commits a crash interrupted and marks interrupted loads failed; call at start-up. */
  async recover(): Promise<number> {
    await finishPendingGroups(this.#o);
    return markInterruptedLoads(this.#o.db, this.#now());
  }

  /** The running load's id and progress, if any. */
  get running(): { loadId: string; progress: LoadProgress | null } | null {
    return this.#running;
  }

  /** Stores specs and profiles not yet stored (first start of a node with built-in mappings). */
  async installMappings(mappings: { profile: unknown; specs: readonly unknown[] }, by: string): Promise<void> {
    for (const s of mappings.specs) await saveSpec(this.#o.db, s as MappingSpecInput, by, this.#now());
    const source = (mappings.profile as { source?: string }).source;
    const existing = await listProfiles(this.#o.db);
    if (!existing.some((p) => p.source === source)) await saveProfile(this.#o.db, mappings.profile, this.#now());
  }

  /** Loads a file or directory under a source's profile (the only profile when `source` is absent). */
  async ingest(opts: {
    path: string;
    source?: string;
    format?: SourceFormat;
    onProgress?: (p: LoadProgress) => void;
  }): Promise<LoadSummary> {
    const profile = await this.#profile(opts.source);
    return this.#exclusive((loadId, onProgress) =>
      this.#load(loadId, profile, listSourceFiles(opts.path), opts.format, (p) => {
        onProgress(p);
        opts.onProgress?.(p);
      }),
    );
  }

  /** Re-maps the current files of a source from their ODS copies under the newest specs (after mapping edits). */
  async rerun(opts: { source?: string; onProgress?: (p: LoadProgress) => void }): Promise<LoadSummary> {
    const profile = await this.#profile(opts.source);
    const rows = await this.#o.db
      .selectFrom('ingest_files')
      .innerJoin('ods_files', 'ods_files.sha256', 'ingest_files.sha256')
      .select(['ingest_files.name', 'ods_files.stored_path'])
      .where('ingest_files.source', '=', profile.source)
      .where('ingest_files.current', '=', true)
      .orderBy('ingest_files.name')
      .execute();
    const files: LoadInput[] = rows.map((r) => ({ path: r.stored_path, relativePath: r.name }));
    return this.#exclusive((loadId, onProgress) =>
      this.#load(loadId, profile, files, undefined, (p) => {
        onProgress(p);
        opts.onProgress?.(p);
      }),
    );
  }

  /** The newest loads, newest first. */
  async loads(limit = 50): Promise<LoadRow[]> {
    const rows = await this.#o.db
      .selectFrom('ingest_loads')
      .selectAll()
      .orderBy('started_at', 'desc')
      .limit(Math.min(Math.max(limit, 1), 500))
      .execute();
    return rows.map((r) => ({
      loadId: r.load_id,
      source: r.source,
      startedAt: new Date(r.started_at).toISOString(),
      finishedAt: r.finished_at === null ? null : new Date(r.finished_at).toISOString(),
      status: r.status,
      files: Number(r.files),
      recordsRead: Number(r.records_read),
      rowsLoaded: Number(r.rows_loaded),
      rejected: Number(r.rejected),
    }));
  }

  /** One load's full summary (per file, rejects by reason), or null when there is no such load. */
  async load(loadId: string): Promise<LoadSummary | null> {
    const r = await this.#o.db
      .selectFrom('ingest_loads')
      .select(['summary'])
      .where('load_id', '=', loadId)
      .executeTakeFirst();
    return r?.summary ? (JSON.parse(r.summary) as LoadSummary) : null;
  }

  /** Quarantined records, newest load first, optionally of one load and one reason code. */
  async quarantine(opts: { loadId?: string; code?: string; limit?: number } = {}): Promise<QuarantineRow[]> {
    if (!(await this.#o.lake.tables()).includes(QUARANTINE_TABLE)) return [];
    const where: string[] = [];
    const params: string[] = [];
    if (opts.loadId) {
      params.push(opts.loadId);
      where.push(`load_id = $${params.length}`);
    }
    if (opts.code) {
      params.push(opts.code);
      where.push(`code = $${params.length}`);
    }
    const limit = Math.min(Math.max(opts.limit ?? 100, 1), 1000);
    const rows = await this.#o.lake.query<Record<string, string | null>>(
      `select * from ${QUARANTINE_TABLE} ${where.length ? `where ${where.join(' and ')}` : ''} order by load_id desc, source_name, source_position limit ${limit}`,
      params,
    );
    return rows.map((r) => ({
      loadId: String(r.load_id),
      source: String(r.source),
      file: String(r.source_name),
      sha256: String(r.source_sha256),
      position: String(r.source_position),
      code: String(r.code),
      message: String(r.message),
      field: r.field ?? null,
      mappingVersion: r.mapping_version ?? null,
    }));
  }

  /** Unmapped local codes over the current files (of a source), most frequent first, with suggested codes. */
  async unmapped(source?: string): Promise<UnmappedRow[]> {
    let q = this.#o.db.selectFrom('ingest_files').select(['source', 'detail']).where('current', '=', true);
    if (source) q = q.where('source', '=', source);
    const rows = await q.execute();
    const specs = await latestSpecs(this.#o.db);
    const merged = new Map<string, UnmappedRow>();
    for (const r of rows) {
      for (const u of (JSON.parse(r.detail) as { unmapped: UnmappedCount[] }).unmapped) {
        const key = `${r.source}\u0000${u.spec}\u0000${u.codeMap}\u0000${u.code}`;
        const seen = merged.get(key);
        if (seen) {
          seen.count += u.count;
          seen.files++;
        } else merged.set(key, { ...u, source: r.source, files: 1, suggestions: [] });
      }
    }
    const out = [...merged.values()].sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : 1));
    for (const u of out) u.suggestions = suggestCodes(u, conceptsFor(specs.get(u.spec)));
    return out;
  }

  /** The newest version of every spec. */
  async specs(): Promise<MappingSpec[]> {
    return [...(await latestSpecs(this.#o.db)).values()];
  }

  /** Where a row came from: its ODS file, notarization, mapping spec version and source record. */
  async lineage(q: { sha256: string; position: string; mappingVersion?: string }): Promise<Lineage> {
    return resolveLineage({ db: this.#o.db, notarizer: this.#o.notarizer, profiles: () => this.profiles() }, q);
  }

  /** Every source profile. */
  async profiles(): Promise<SourceProfile[]> {
    return listProfiles(this.#o.db);
  }

  /** Stores a spec as its next version (unchanged content keeps the version). */
  async saveSpec(input: unknown, by: string): Promise<MappingSpec> {
    return saveSpec(this.#o.db, input as MappingSpecInput, by, this.#now());
  }

  /** Stores a source profile, replacing the one of its source. */
  async saveProfile(input: unknown): Promise<SourceProfile> {
    return saveProfile(this.#o.db, input, this.#now());
  }

  /** Adds or changes code-map entries of a spec (a new spec version); `to: null` removes an entry. */
  async setCodes(opts: {
    spec: string;
    codeMap: string;
    entries: readonly { code: string; to: string | null }[];
    by: string;
  }): Promise<MappingSpec> {
    const spec = (await latestSpecs(this.#o.db)).get(opts.spec);
    if (!spec)
      throw new MeridianError('MER_INGEST_UNKNOWN_SPEC', `there is no mapping spec "${opts.spec}"`, {
        spec: opts.spec,
      });
    const map = spec.codeMaps[opts.codeMap];
    if (!map) {
      throw new MeridianError(
        'MER_MAPPING_INVALID',
        `spec ${opts.spec} has no code map "${opts.codeMap}" (it has: ${Object.keys(spec.codeMaps).join(', ') || 'none'})`,
        {
          spec: opts.spec,
          codeMap: opts.codeMap,
        },
      );
    }
    const entries = { ...map.entries };
    for (const e of opts.entries) {
      if (e.to === null) delete entries[e.code];
      else entries[e.code] = e.to;
    }
    return saveSpec(
      this.#o.db,
      { ...spec, codeMaps: { ...spec.codeMaps, [opts.codeMap]: { ...map, entries } } },
      opts.by,
      this.#now(),
    );
  }

  async #profile(source: string | undefined): Promise<SourceProfile> {
    const profiles = await listProfiles(this.#o.db);
    if (source === undefined) {
      if (profiles.length === 1) return profiles[0] as SourceProfile;
      throw new MeridianError(
        'MER_INGEST_NO_PROFILE',
        profiles.length === 0
          ? 'this node has no source profile yet; import one with `meridian mapping import`'
          : `name the source: this node has ${profiles.map((p) => p.source).join(', ')}`,
        { sources: profiles.map((p) => p.source) },
      );
    }
    const p = profiles.find((x) => x.source === source);
    if (!p) {
      throw new MeridianError(
        'MER_INGEST_NO_PROFILE',
        `this node has no source "${source}" (it has: ${profiles.map((x) => x.source).join(', ') || 'none'})`,
        {
          source,
        },
      );
    }
    return p;
  }

  async #exclusive(
    run: (loadId: string, onProgress: (p: LoadProgress) => void) => Promise<LoadSummary>,
  ): Promise<LoadSummary> {
    if (this.#running) {
      throw new MeridianError(
        'MER_INGEST_BUSY',
        `load ${this.#running.loadId} is running on this node; try again when it ends`,
        {
          loadId: this.#running.loadId,
        },
      );
    }
    const loadId = `${this.#now().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
    const running: { loadId: string; progress: LoadProgress | null } = { loadId, progress: null };
    this.#running = running;
    try {
      return await run(loadId, (p) => {
        running.progress = { ...p };
      });
    } finally {
      this.#running = null;
    }
  }

  async #load(
    loadId: string,
    profile: SourceProfile,
    files: LoadInput[],
    format: SourceFormat | undefined,
    onProgress: (p: LoadProgress) => void,
  ): Promise<LoadSummary> {
    const summary = await runLoad(
      {
        db: this.#o.db,
        lake: this.#o.lake,
        odsDir: this.#o.odsDir,
        notarizer: this.#o.notarizer,
        protect: this.#o.protect,
        now: this.#now,
      },
      { loadId, profile, specs: await latestSpecs(this.#o.db), files, format, onProgress },
    );
    this.#o.afterLoad?.(summary);
    return summary;
  }
}

/** The vocabulary a spec's codes belong to (by its target table), for suggestions. */
function conceptsFor(spec: MappingSpec | undefined): readonly Concept[] {
  if (spec?.target === 'measurement' || spec?.target === 'observation') return CONCEPTS.LOINC;
  if (spec?.target === 'drug_exposure') return CONCEPTS.ATC;
  return [...CONCEPTS.LOINC, ...CONCEPTS.ATC];
}
