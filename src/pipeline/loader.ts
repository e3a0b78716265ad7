/**
 * The loader: hospital files in, canonical DWD rows out, every row traceable and every refusal kept.
 *
 *   files ──land (ODS, SHA-256, versions)──► notarize (batch Merkle root) ──► for each file:
 *     rule (source profile) ──► reader (streamed) ──► mapping units ──► applyMapping per spec
 *        ├─ rows      → staged lake batches per DWD table, lineage on every row
 *        ├─ rejects   → staged `quarantine` batches (reason code, message, position, field, spec)
 *        └─ unmapped  → counted per code map and code (with the local name) for the steward
 *     publish: the file's batches become visible at once and the previous version's are retired
 *
 * Small files are mapped into shared batches (a group: one publish and one database commit for up to
 * {@link GROUP_FILES_MAX} files, so a directory of DICOM headers costs little more than one big file); a large
 * file is a group of its own. A group is the unit of visibility: a load killed half-way leaves nothing of an
 * unfinished group visible, and a crash between the lake publish and the database commit is finished by
 * {@link finishPendingGroups}, so nothing is lost or doubled. The same bytes under the same mapping load once;
 * a changed file (or a changed spec) replaces what its previous version gave, rewriting a shared batch without
 * the replaced file's rows.
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Kysely } from 'kysely';
import { isMeridianError, MeridianError } from '../errors/registry.ts';
import { canonicalize } from '../ledger/index.ts';
import { lakeColumns } from '../model/dwd.ts';
import type { RowProtector } from '../privacy/protect.ts';
import {
  type AnySourceFile,
  detectFileFormat,
  formatPosition,
  openSource,
  type SourceFormat,
  type SourcePosition,
} from '../sources/index.ts';
import type { Lake, LakeColumnType } from '../store/index.ts';
import { type AnyRecord, mappingUnits } from './accessors.ts';
import { applyMapping, type MappingSpec, mappingVersion } from './mapping.ts';
import type { NotarizationEntry, Notarizer } from './notary.ts';
import { type LandedFile, landFiles } from './ods.ts';
import { ruleFor, type SourceProfile, type SourceRule } from './profile.ts';
import type { IngestFileTable, PipelineDatabase } from './schema.ts';

/** Rows per lake batch: big enough for columnar compression, small enough to keep memory flat. */
export const LOAD_CHUNK_ROWS = 50_000;
/** Files under this size share staged batches with their neighbours (one publish and one commit per group). */
export const GROUP_FILE_BYTES = 1 << 20;
/** Most files in one group. */
export const GROUP_FILES_MAX = 1_000;
/** Distinct unmapped codes remembered per file (the rest are counted under one line). */
export const UNMAPPED_PER_FILE_MAX = 5_000;

/** The lake table that keeps every refused record with its reason and position. */
export const QUARANTINE_TABLE = 'quarantine';

/** Columns of the quarantine table. */
export const QUARANTINE_COLUMNS: Readonly<Record<string, LakeColumnType>> = {
  load_id: 'VARCHAR',
  source: 'VARCHAR',
  source_name: 'VARCHAR',
  source_sha256: 'VARCHAR',
  source_position: 'VARCHAR',
  code: 'VARCHAR',
  message: 'VARCHAR',
  field: 'VARCHAR',
  mapping_version: 'VARCHAR',
};

/** What a load needs from its node. */
export interface LoaderContext {
  db: Kysely<PipelineDatabase>;
  lake: Lake;
  /** What every canonical row goes through before the lake (blind indexes, encryption of identifying fields). */
  protect: RowProtector;
  odsDir: string;
  notarizer: Notarizer;
  now: () => Date;
}

/** One file to load: where it is and its path below the ingest root (what profile rules match). */
export interface LoadInput {
  path: string;
  relativePath: string;
}

/** Progress of a running load. */
export interface LoadProgress {
  phase: 'landing' | 'mapping' | 'done';
  file: string;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  recordsRead: number;
  rowsLoaded: number;
  rejected: number;
}

/** A local code no spec maps, with how often it occurred. */
export interface UnmappedCount {
  codeMap: string;
  code: string;
  name?: string;
  count: number;
  spec: string;
}

/** What loading one file did. */
export interface FileSummary {
  name: string;
  sha256: string;
  version: number;
  format: SourceFormat | null;
  status: 'loaded' | 'unchanged' | 'failed';
  recordsRead: number;
  rowsLoaded: number;
  rejected: number;
  /** Records no spec of the file's rule applies to, by record kind (FHIR resource type, HL7 message type). */
  skipped: Record<string, number>;
  rejectsByReason: Record<string, number>;
  rowsByTable: Record<string, number>;
  unmapped: UnmappedCount[];
  mappingVersions: string[];
  /** Time spent reading, mapping and writing the file. */
  elapsedMs: number;
  error?: { code: string; message: string };
}

/** The summary of a load, as the CLI prints it and the portal shows it. */
export interface LoadSummary {
  loadId: string;
  source: string;
  startedAt: string;
  finishedAt: string;
  files: FileSummary[];
  totals: {
    files: number;
    loaded: number;
    unchanged: number;
    failed: number;
    recordsRead: number;
    rowsLoaded: number;
    rejected: number;
    skipped: number;
  };
  rejectsByReason: Record<string, number>;
  rowsByTable: Record<string, number>;
  notarized: { batchRoot: string; entries: number } | null;
}

/** Lists the files under a path (a file is itself), sorted, skipping hidden files and directories. */
export function listSourceFiles(root: string): LoadInput[] {
  const st = statSync(root, { throwIfNoEntry: false });
  if (st === undefined) throw new MeridianError('MER_SOURCE_UNREADABLE', `${root} does not exist`, { file: root });
  if (st.isFile()) return [{ path: root, relativePath: root.slice(root.lastIndexOf(sep) + 1) }];
  const out: LoadInput[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push({ path: p, relativePath: relative(root, p).split(sep).join('/') });
    }
  };
  walk(root);
  return out;
}

/** Loads files of one source under its profile; resolves with the summary (a failed file does not stop the rest). */
export async function runLoad(
  ctx: LoaderContext,
  opts: {
    loadId: string;
    profile: SourceProfile;
    specs: ReadonlyMap<string, MappingSpec>;
    files: readonly LoadInput[];
    format?: SourceFormat;
    onProgress?: (p: LoadProgress) => void;
    /** Rows per lake batch (default {@link LOAD_CHUNK_ROWS}). */
    chunkRows?: number;
  },
): Promise<LoadSummary> {
  const { profile, loadId } = opts;
  await finishPendingGroups(ctx);
  const startedAt = ctx.now();
  await ctx.db
    .insertInto('ingest_loads')
    .values({
      load_id: loadId,
      source: profile.source,
      started_at: startedAt,
      finished_at: null,
      status: 'running',
      files: opts.files.length,
      records_read: 0,
      rows_loaded: 0,
      rejected: 0,
      summary: null,
    })
    .execute();
  const sizes = opts.files.map((f) => statSync(f.path, { throwIfNoEntry: false })?.size ?? 0);
  const bytesTotal = sizes.reduce((n, size) => n + size, 0);
  const progress: LoadProgress = {
    phase: 'landing',
    file: '',
    filesDone: 0,
    filesTotal: opts.files.length,
    bytesDone: 0,
    bytesTotal,
    recordsRead: 0,
    rowsLoaded: 0,
    rejected: 0,
  };
  const landed = await landFiles({
    db: ctx.db,
    odsDir: ctx.odsDir,
    files: opts.files.map((f) => ({ file: f.path, name: f.relativePath })),
    source: profile.source,
    now: ctx.now(),
    onFile: (name) => {
      progress.file = name;
      opts.onProgress?.(progress);
    },
  });
  const entries: NotarizationEntry[] = [];
  opts.files.forEach((f, i) => {
    const l = landed[i];
    if (l instanceof MeridianError || l === undefined) return;
    // A file that landed in a load whose notarization failed is notarized now (or this load fails the same way).
    if (l.unchanged && ctx.notarizer.isNotarized?.(l.sha256) !== false) return;
    entries.push({
      type: 'ods-file',
      sha256: l.sha256,
      sizeBytes: l.sizeBytes,
      source: profile.source,
      name: f.relativePath,
      version: l.version,
      receivedAt: ctx.now().toISOString(),
      location: l.storedPath,
    });
  });
  const notarized = entries.length > 0 ? await ctx.notarizer.notarize(entries) : null;

  progress.phase = 'mapping';
  const state = await sourceState(ctx.db, profile.source);
  const chunkRows = opts.chunkRows ?? LOAD_CHUNK_ROWS;
  const results: FileSummary[] = new Array(opts.files.length);
  let group: Group | null = null;
  let groups = 0;
  const commit = async () => {
    const g = group;
    group = null;
    if (g === null || g.files.length === 0) return;
    try {
      await commitGroup(ctx, g, state, profile.source);
      for (const f of g.files) results[f.index] = f.summary;
    } catch (e) {
      await ctx.lake.discardStage(g.stage);
      const error = toError(e);
      for (const f of g.files)
        results[f.index] = failedFile(f.summary.name, f.summary.sha256, f.summary.version, error);
    }
  };
  for (const [i, f] of opts.files.entries()) {
    const l = landed[i] as LandedFile | MeridianError;
    progress.file = f.relativePath;
    opts.onProgress?.(progress);
    const t0 = performance.now();
    const done = (summary: FileSummary) => {
      summary.elapsedMs = Math.round(performance.now() - t0);
      progress.filesDone++;
      progress.bytesDone += sizes[i] ?? 0;
      return summary;
    };
    if (l instanceof MeridianError) {
      results[i] = done(failedFile(f.relativePath, '', 0, l));
      continue;
    }
    let prepared: PreparedFile;
    try {
      prepared = await prepareFile(f.relativePath, l, profile, opts.specs, opts.format, f.path, state);
    } catch (e) {
      results[i] = done(failedFile(f.relativePath, l.sha256, l.version, toError(e)));
      continue;
    }
    if ('unchanged' in prepared) {
      results[i] = done(prepared.unchanged);
      continue;
    }
    const solo = (sizes[i] ?? 0) >= GROUP_FILE_BYTES;
    if (solo) await commit();
    if (group === null) {
      const stage = `${loadId}-g${groups++}`;
      group = { stage, out: new BatchWriter(ctx.lake, stage, stage, chunkRows, solo), files: [] };
    }
    const g: Group = group;
    const mark = g.out.mark();
    try {
      const mapped = await mapFile(
        { loadId, source: profile.source, protect: ctx.protect },
        f.relativePath,
        l,
        prepared,
        g.out,
        progress,
        opts.onProgress,
      );
      g.files.push({ index: i, ...mapped, summary: done(mapped.summary) });
    } catch (e) {
      const error = renameFileInError(toError(e), l.storedPath, f.relativePath);
      results[i] = done(failedFile(f.relativePath, l.sha256, l.version, error));
      if (solo) {
        await ctx.lake.discardStage(g.stage);
        group = null;
      } else g.out.rollback(mark);
    }
    if (group !== null && (solo || g.files.length >= GROUP_FILES_MAX || g.out.buffered >= chunkRows)) await commit();
  }
  await commit();
  const files = results;
  progress.phase = 'done';
  opts.onProgress?.(progress);

  const summary = summarize(loadId, profile.source, startedAt, ctx.now(), files, notarized);
  await ctx.db
    .updateTable('ingest_loads')
    .set({
      finished_at: new Date(summary.finishedAt),
      status: 'completed',
      records_read: summary.totals.recordsRead,
      rows_loaded: summary.totals.rowsLoaded,
      rejected: summary.totals.rejected,
      summary: JSON.stringify(summary),
    })
    .where('load_id', '=', loadId)
    .execute();
  return summary;
}

/** Marks loads that were running when the process died as failed (their unpublished files left nothing). */
export async function markInterruptedLoads(db: Kysely<PipelineDatabase>, now: Date): Promise<number> {
  const r = await db
    .updateTable('ingest_loads')
    .set({ status: 'failed', finished_at: now })
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/**
 * Finishes or undoes group commits a crash interrupted: a group whose lake publish happened (its batches are
 * visible and the batches it retired are gone) gets its database records; any other is dropped with its staging.
 */
export async function finishPendingGroups(ctx: Pick<LoaderContext, 'db' | 'lake'>): Promise<number> {
  const pending = await ctx.db.selectFrom('ingest_pending').selectAll().execute();
  for (const p of pending) {
    const plan = JSON.parse(p.plan) as GroupPlan;
    let published = true;
    for (const b of plan.published) if (!(await ctx.lake.hasBatch(b.table, b.batchId))) published = false;
    for (const b of plan.retired) if (await ctx.lake.hasBatch(b.table, b.batchId)) published = false;
    if (published) await applyPlan(ctx.db, p.stage, plan);
    else {
      await ctx.lake.discardStage(p.stage);
      await ctx.db.deleteFrom('ingest_pending').where('stage', '=', p.stage).execute();
    }
  }
  return pending.length;
}

function toError(e: unknown): MeridianError {
  if (isMeridianError(e)) return e;
  return new MeridianError('MER_INTERNAL', e instanceof Error ? e.message : String(e));
}

function failedFile(name: string, sha256: string, version: number, e: MeridianError): FileSummary {
  return {
    name,
    sha256,
    version,
    format: null,
    status: 'failed',
    recordsRead: 0,
    rowsLoaded: 0,
    rejected: 0,
    skipped: {},
    rejectsByReason: {},
    rowsByTable: {},
    unmapped: [],
    mappingVersions: [],
    elapsedMs: 0,
    error: { code: e.code, message: e.message },
  };
}

/** What ingest_files.detail holds. */
interface FileDetail {
  rejectsByReason: Record<string, number>;
  rowsByTable: Record<string, number>;
  skipped: Record<string, number>;
  batches: { table: string; batchId: string }[];
  unmapped: UnmappedCount[];
  mappingVersions: string[];
}

/** The current (visible) file versions of a source, and which of them each lake batch holds rows of. */
interface SourceState {
  current: Map<string, { sha256: string; fingerprint: string; load_id: string; detail: FileDetail }>;
  refs: Map<string, Set<string>>;
}

/** Files mapped into shared staged batches, published and recorded together. */
interface Group {
  stage: string;
  out: BatchWriter;
  files: MappedFile[];
}

/** A file mapped into a group, waiting for the group's commit. */
interface MappedFile {
  index: number;
  summary: FileSummary;
  detail: FileDetail;
  tables: Set<string>;
  row: Omit<IngestFileTable, 'detail' | 'loaded_at'>;
}

/** What one group commit changes in the database (kept in ingest_pending across the lake publish). */
interface GroupPlan {
  source: string;
  inserts: (Omit<IngestFileTable, 'loaded_at'> & { loaded_at: string })[];
  updates: { name: string; sha256: string; fingerprint: string; detail: string }[];
  published: { table: string; batchId: string }[];
  retired: { table: string; batchId: string }[];
}

/** A file ready to map: its rule's specs and format, or the summary of a file that has not changed. */
type PreparedFile =
  | { unchanged: FileSummary }
  | {
      rule: SourceRule;
      format: SourceFormat;
      fingerprint: string;
      versions: string[];
      targets: { spec: MappingSpec; mv: string; columns: Record<string, LakeColumnType> }[];
    };

const batchKey = (b: { table: string; batchId: string }) => `${b.table}/${b.batchId}`;

async function sourceState(db: Kysely<PipelineDatabase>, source: string): Promise<SourceState> {
  const rows = await db
    .selectFrom('ingest_files')
    .select(['name', 'sha256', 'fingerprint', 'load_id', 'detail'])
    .where('source', '=', source)
    .where('current', '=', true)
    .execute();
  const state: SourceState = { current: new Map(), refs: new Map() };
  for (const r of rows) {
    const detail = JSON.parse(r.detail) as FileDetail;
    state.current.set(r.name, { sha256: r.sha256, fingerprint: r.fingerprint, load_id: r.load_id, detail });
    for (const b of detail.batches) addRef(state, batchKey(b), r.name);
  }
  return state;
}

function addRef(state: SourceState, key: string, name: string): void {
  const names = state.refs.get(key);
  if (names) names.add(name);
  else state.refs.set(key, new Set([name]));
}

async function prepareFile(
  name: string,
  landed: LandedFile,
  profile: SourceProfile,
  allSpecs: ReadonlyMap<string, MappingSpec>,
  loadFormat: SourceFormat | undefined,
  path: string,
  state: SourceState,
): Promise<PreparedFile> {
  const rule = ruleFor(profile, name);
  if (rule === undefined) {
    throw new MeridianError(
      'MER_INGEST_NO_RULE',
      `${name}: no rule of source profile "${profile.source}" matches this file (patterns: ${profile.rules.map((r) => r.match).join(', ')})`,
      { file: name, source: profile.source },
    );
  }
  const specs = rule.specs.map((id) => {
    const spec = allSpecs.get(id);
    if (spec === undefined) {
      throw new MeridianError(
        'MER_INGEST_UNKNOWN_SPEC',
        `${name}: the profile names mapping spec "${id}", which is not stored`,
        { file: name, spec: id },
      );
    }
    return spec;
  });
  const format = rule.format ?? loadFormat ?? (await detectFileFormat(path));
  if (format === undefined) {
    throw new MeridianError(
      'MER_SOURCE_FORMAT',
      `${name}: the format cannot be detected; give --format or a rule format`,
      {
        file: name,
      },
    );
  }
  const versions = specs.map(mappingVersion);
  const fingerprint = sha256Hex(
    canonicalize({ format, encoding: rule.encoding ?? null, omopTable: rule.omopTable ?? null, versions }),
  );
  const same = state.current.get(name);
  if (same !== undefined && same.sha256 === landed.sha256 && same.fingerprint === fingerprint) {
    return {
      unchanged: {
        name,
        sha256: landed.sha256,
        version: landed.version,
        format,
        status: 'unchanged',
        recordsRead: 0,
        rowsLoaded: 0,
        rejected: 0,
        skipped: {},
        rejectsByReason: {},
        rowsByTable: {},
        unmapped: same.detail.unmapped,
        mappingVersions: same.detail.mappingVersions,
        elapsedMs: 0,
      },
    };
  }
  const targets = specs.map((spec, k) => ({ spec, mv: versions[k] as string, columns: lakeColumns(spec.target) }));
  return { rule, format, fingerprint, versions, targets };
}

/** Streams one file through its specs into the group's writer; throws (leaving rows to roll back) on a reader failure. */
async function mapFile(
  job: { loadId: string; source: string; protect: RowProtector },
  name: string,
  landed: LandedFile,
  prepared: Exclude<PreparedFile, { unchanged: FileSummary }>,
  out: BatchWriter,
  progress: LoadProgress,
  onProgress: ((p: LoadProgress) => void) | undefined,
): Promise<Omit<MappedFile, 'index'>> {
  const { format, targets, versions } = prepared;
  const detail: FileDetail = {
    rejectsByReason: {},
    rowsByTable: {},
    skipped: {},
    batches: [],
    unmapped: [],
    mappingVersions: versions,
  };
  const unmapped = new Map<string, UnmappedCount>();
  let recordsRead = 0;
  let rowsLoaded = 0;
  let rejected = 0;
  const quarantine = (
    position: SourcePosition | string,
    code: string,
    message: string,
    field: string | null,
    spec: string | null,
  ) => {
    rejected++;
    progress.rejected++;
    detail.rejectsByReason[code] = (detail.rejectsByReason[code] ?? 0) + 1;
    return out.add(QUARANTINE_TABLE, QUARANTINE_COLUMNS, {
      load_id: job.loadId,
      source: job.source,
      source_name: name,
      source_sha256: landed.sha256,
      source_position: typeof position === 'string' ? position : formatPosition({ ...position, file: name }),
      code,
      message: message.slice(0, 1000),
      field,
      mapping_version: spec,
    });
  };

  const src: AnySourceFile = await openSource(landed.storedPath, openOptions(format, prepared.rule, name));
  try {
    for await (const item of src) {
      recordsRead++;
      progress.recordsRead++;
      if (item.kind === 'reject') {
        await quarantine(item.position, item.reason.code, item.reason.message, item.reason.path ?? null, null);
        continue;
      }
      const record = item as AnyRecord;
      let mapped = false;
      for (const { spec, mv, columns } of targets) {
        for (const unit of mappingUnits(format, record, spec)) {
          const r = applyMapping(spec, unit.get);
          if (r.kind === 'skip') continue;
          mapped = true;
          for (const u of r.unmapped) {
            const key = `${u.codeMap}\u0000${u.code}`;
            const seen = unmapped.get(key);
            if (seen) seen.count++;
            else if (unmapped.size < UNMAPPED_PER_FILE_MAX) unmapped.set(key, { ...u, count: 1, spec: spec.id });
          }
          const where =
            formatPosition({ ...unit.position, file: name }) +
            (unit.occurrence !== undefined && format === 'fhir' ? `@${spec.each}[${unit.occurrence - 1}]` : '');
          if (r.kind === 'reject') {
            await quarantine(where, r.code, `${spec.target}.${r.field}: ${r.reason}`, r.field, mv);
            continue;
          }
          rowsLoaded++;
          progress.rowsLoaded++;
          detail.rowsByTable[spec.target] = (detail.rowsByTable[spec.target] ?? 0) + 1;
          await out.add(
            spec.target,
            columns,
            job.protect(spec.target, {
              ...r.row,
              source_sha256: landed.sha256,
              source_position: where,
              mapping_version: mv,
              load_id: job.loadId,
            }),
          );
        }
      }
      if (!mapped) {
        const kind = recordKind(format, record);
        detail.skipped[kind] = (detail.skipped[kind] ?? 0) + 1;
      }
      if (recordsRead % 20_000 === 0) onProgress?.(progress);
    }
  } finally {
    await src.close();
  }

  detail.unmapped = [...unmapped.values()].sort((a, b) => b.count - a.count);
  const tables = new Set(Object.keys(detail.rowsByTable));
  if (rejected > 0) tables.add(QUARANTINE_TABLE);
  return {
    detail,
    tables,
    row: {
      source: job.source,
      name,
      sha256: landed.sha256,
      version: landed.version,
      fingerprint: prepared.fingerprint,
      load_id: job.loadId,
      format,
      current: true,
      records_read: recordsRead,
      rows_loaded: rowsLoaded,
      rejected,
    },
    summary: {
      name,
      sha256: landed.sha256,
      version: landed.version,
      format,
      status: 'loaded',
      recordsRead,
      rowsLoaded,
      rejected,
      skipped: detail.skipped,
      rejectsByReason: detail.rejectsByReason,
      rowsByTable: detail.rowsByTable,
      unmapped: detail.unmapped,
      mappingVersions: versions,
      elapsedMs: 0,
    },
  };
}

/**
 * Publishes a group: writes its staged batches; retires the batches of the files' previous versions (a batch
 * other current files still share is rewritten without the replaced file's rows); records the plan, publishes
 * in the lake, then applies the plan to the database in one transaction.
 */
async function commitGroup(ctx: LoaderContext, g: Group, state: SourceState, source: string): Promise<void> {
  const written = await g.out.finish();
  for (const f of g.files) f.detail.batches = written.filter((b) => f.tables.has(b.table));
  const replaced = new Set(g.files.map((f) => f.row.name));
  const drops = new Map<
    string,
    { table: string; batchId: string; files: { sha256: string; loadId: string; name: string }[] }
  >();
  for (const f of g.files) {
    const prev = state.current.get(f.row.name);
    if (prev === undefined) continue;
    for (const b of prev.detail.batches) {
      const key = batchKey(b);
      const d = drops.get(key) ?? { ...b, files: [] };
      d.files.push({ sha256: prev.sha256, loadId: prev.load_id, name: f.row.name });
      drops.set(key, d);
    }
  }
  const retired: { table: string; batchId: string }[] = [];
  const rewritten: { table: string; batchId: string; replaces: string; names: string[] }[] = [];
  const updated = new Map<string, FileDetail>();
  for (const [key, d] of drops) {
    retired.push({ table: d.table, batchId: d.batchId });
    const others = [...(state.refs.get(key) ?? [])].filter((n) => !replaced.has(n));
    if (others.length === 0) continue;
    const exists = await ctx.lake.hasBatch(d.table, d.batchId);
    const newBatchId = `${g.stage}-r${rewritten.length}`;
    if (exists) {
      const params: string[] = [];
      const conditions = d.files.map((f) => {
        params.push(f.sha256, f.loadId, f.name);
        const [s, l, n] = [params.length - 2, params.length - 1, params.length];
        const prefixes = [':', '!', '#', '['].map((c) => `starts_with(source_position, $${n} || '${c}')`);
        return `(source_sha256 = $${s} and load_id = $${l} and (source_position = $${n} or ${prefixes.join(' or ')}))`;
      });
      await ctx.lake.rewriteBatch({
        table: d.table,
        batchId: d.batchId,
        newBatchId,
        stage: g.stage,
        dropWhere: conditions.join(' or '),
        params,
      });
      rewritten.push({ table: d.table, batchId: newBatchId, replaces: d.batchId, names: others });
    }
    for (const n of others) {
      const detail = updated.get(n) ?? (state.current.get(n)?.detail as FileDetail);
      detail.batches = detail.batches.flatMap((b) =>
        batchKey(b) !== key ? [b] : exists ? [{ table: d.table, batchId: newBatchId }] : [],
      );
      updated.set(n, detail);
    }
  }
  const now = ctx.now().toISOString();
  const plan: GroupPlan = {
    source,
    inserts: g.files.map((f) => ({ ...f.row, detail: JSON.stringify(f.detail), loaded_at: now })),
    updates: [...updated].map(([name, detail]) => {
      const cur = state.current.get(name) as { sha256: string; fingerprint: string };
      return { name, sha256: cur.sha256, fingerprint: cur.fingerprint, detail: JSON.stringify(detail) };
    }),
    published: [...written, ...rewritten.map(({ table, batchId }) => ({ table, batchId }))],
    retired,
  };
  await ctx.db
    .insertInto('ingest_pending')
    .values({ stage: g.stage, load_id: g.stage, plan: JSON.stringify(plan) })
    .execute();
  await ctx.lake.publish(g.stage, retired);
  await applyPlan(ctx.db, g.stage, plan);

  for (const key of drops.keys()) state.refs.delete(key);
  for (const r of rewritten) for (const n of r.names) addRef(state, batchKey(r), n);
  for (const [name, detail] of updated) (state.current.get(name) as { detail: FileDetail }).detail = detail;
  for (const f of g.files) {
    state.current.set(f.row.name, {
      sha256: f.row.sha256,
      fingerprint: f.row.fingerprint,
      load_id: f.row.load_id,
      detail: f.detail,
    });
    for (const b of f.detail.batches) addRef(state, batchKey(b), f.row.name);
  }
}

async function applyPlan(db: Kysely<PipelineDatabase>, stage: string, plan: GroupPlan): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const names = plan.inserts.map((r) => r.name);
    for (let i = 0; i < names.length; i += 500) {
      await trx
        .updateTable('ingest_files')
        .set({ current: false })
        .where('source', '=', plan.source)
        .where('name', 'in', names.slice(i, i + 500))
        .execute();
    }
    for (let i = 0; i < plan.inserts.length; i += 200) {
      const rows = plan.inserts.slice(i, i + 200).map((r) => ({ ...r, loaded_at: new Date(r.loaded_at) }));
      await trx
        .insertInto('ingest_files')
        .values(rows)
        .onConflict((oc) =>
          oc.columns(['source', 'name', 'sha256', 'fingerprint']).doUpdateSet((eb) => ({
            version: eb.ref('excluded.version'),
            load_id: eb.ref('excluded.load_id'),
            format: eb.ref('excluded.format'),
            current: eb.ref('excluded.current'),
            records_read: eb.ref('excluded.records_read'),
            rows_loaded: eb.ref('excluded.rows_loaded'),
            rejected: eb.ref('excluded.rejected'),
            detail: eb.ref('excluded.detail'),
            loaded_at: eb.ref('excluded.loaded_at'),
          })),
        )
        .execute();
    }
    for (const u of plan.updates) {
      await trx
        .updateTable('ingest_files')
        .set({ detail: u.detail })
        .where('source', '=', plan.source)
        .where('name', '=', u.name)
        .where('sha256', '=', u.sha256)
        .where('fingerprint', '=', u.fingerprint)
        .execute();
    }
    await trx.deleteFrom('ingest_pending').where('stage', '=', stage).execute();
  });
}

/** How a reader opens a landed file under its rule (format, declared encoding, OMOP table). */
export function openOptions(format: SourceFormat, rule: SourceRule, name: string): Parameters<typeof openSource>[1] {
  const o: Record<string, unknown> = { format };
  if (rule.encoding !== undefined) o.encoding = rule.encoding;
  if (format === 'omop') o.table = rule.omopTable ?? name.slice(name.lastIndexOf('/') + 1).replace(/\.[^.]*$/, '');
  return o as Parameters<typeof openSource>[1];
}

/** Errors of a reader name the ODS path; the steward knows the file by the name it arrived under. */
function renameFileInError(e: MeridianError, storedPath: string, name: string): MeridianError {
  if (!e.message.includes(storedPath)) return e;
  const renamed = new MeridianError(e.code, e.message.split(storedPath).join(name), {
    ...(e.details ?? {}),
    file: name,
  });
  renamed.cause = e;
  return renamed;
}

function recordKind(format: SourceFormat, record: AnyRecord): string {
  if (format === 'fhir')
    return String((record as unknown as { resource: { resourceType?: string } }).resource.resourceType);
  if (format === 'hl7v2') return (record as unknown as { message: { type: string } }).message.type || 'HL7';
  if (format === 'omop') return (record as unknown as { table: string }).table;
  return format;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Buffers rows per table and writes staged lake batches: when a table's buffer is full (a large file written
 * alone), or only at {@link BatchWriter.finish} (small files sharing a group, so a failed file's rows can be
 * taken back with {@link BatchWriter.rollback}).
 */
class BatchWriter {
  readonly #lake: Lake;
  readonly #stage: string;
  readonly #prefix: string;
  readonly #buffers = new Map<
    string,
    { columns: Readonly<Record<string, LakeColumnType>>; rows: Record<string, unknown>[]; n: number }
  >();
  readonly #written: { table: string; batchId: string }[] = [];
  readonly #chunkRows: number;
  readonly #autoFlush: boolean;
  #buffered = 0;

  constructor(lake: Lake, stage: string, prefix: string, chunkRows: number, autoFlush: boolean) {
    this.#lake = lake;
    this.#stage = stage;
    this.#prefix = prefix;
    this.#chunkRows = chunkRows;
    this.#autoFlush = autoFlush;
  }

  /** Rows waiting to be written. */
  get buffered(): number {
    return this.#buffered;
  }

  async add(
    table: string,
    columns: Readonly<Record<string, LakeColumnType>>,
    row: Record<string, unknown>,
  ): Promise<void> {
    let b = this.#buffers.get(table);
    if (b === undefined) {
      b = { columns, rows: [], n: 0 };
      this.#buffers.set(table, b);
    }
    b.rows.push(row);
    this.#buffered++;
    if (this.#autoFlush && b.rows.length >= this.#chunkRows) await this.#flush(table, b);
  }

  /** The buffers' lengths now, to roll back to (only meaningful without auto-flush). */
  mark(): Map<string, number> {
    return new Map([...this.#buffers].map(([table, b]) => [table, b.rows.length]));
  }

  /** Drops the rows added since `mark`. */
  rollback(mark: ReadonlyMap<string, number>): void {
    for (const [table, b] of this.#buffers) {
      const keep = mark.get(table) ?? 0;
      this.#buffered -= b.rows.length - keep;
      b.rows.length = keep;
    }
  }

  async finish(): Promise<{ table: string; batchId: string }[]> {
    for (const [table, b] of this.#buffers) if (b.rows.length > 0) await this.#flush(table, b);
    return this.#written;
  }

  async #flush(
    table: string,
    b: { columns: Readonly<Record<string, LakeColumnType>>; rows: Record<string, unknown>[]; n: number },
  ) {
    const batchId = `${this.#prefix}-${b.n++}`;
    const rows = b.rows;
    b.rows = [];
    this.#buffered -= rows.length;
    await this.#lake.writeBatch({ table, batchId, columns: b.columns, rows, stage: this.#stage });
    this.#written.push({ table, batchId });
  }
}

function summarize(
  loadId: string,
  source: string,
  startedAt: Date,
  finishedAt: Date,
  files: FileSummary[],
  notarized: Awaited<ReturnType<Notarizer['notarize']>> | null,
): LoadSummary {
  const totals = {
    files: files.length,
    loaded: 0,
    unchanged: 0,
    failed: 0,
    recordsRead: 0,
    rowsLoaded: 0,
    rejected: 0,
    skipped: 0,
  };
  const rejectsByReason: Record<string, number> = {};
  const rowsByTable: Record<string, number> = {};
  for (const f of files) {
    totals[f.status]++;
    totals.recordsRead += f.recordsRead;
    totals.rowsLoaded += f.rowsLoaded;
    totals.rejected += f.rejected;
    for (const n of Object.values(f.skipped)) totals.skipped += n;
    for (const [k, n] of Object.entries(f.rejectsByReason)) rejectsByReason[k] = (rejectsByReason[k] ?? 0) + n;
    for (const [k, n] of Object.entries(f.rowsByTable)) rowsByTable[k] = (rowsByTable[k] ?? 0) + n;
  }
  return {
    loadId,
    source,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    files,
    totals,
    rejectsByReason,
    rowsByTable,
    notarized: notarized ? { batchRoot: notarized.commitment.root, entries: notarized.commitment.size } : null,
  };
}
