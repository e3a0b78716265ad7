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
 * A file is the unit of visibility: a load killed half-way leaves no batch of the unfinished file visible, and
 * running it again redoes that file with the same batch ids, so nothing is lost or doubled. The same bytes
 * under the same mapping load once; a changed file (or a changed spec) replaces what its previous version gave.
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Kysely } from 'kysely';
import { isMeridianError, MeridianError } from '../errors/registry.ts';
import { canonicalize } from '../ledger/index.ts';
import { lakeColumns } from '../model/dwd.ts';
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
import { type LandedFile, landFile } from './ods.ts';
import { ruleFor, type SourceProfile, type SourceRule } from './profile.ts';
import type { PipelineDatabase } from './schema.ts';

/** Rows per lake batch: big enough for columnar compression, small enough to keep memory flat. */
export const LOAD_CHUNK_ROWS = 50_000;
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
  const landed: (LandedFile | MeridianError)[] = [];
  for (const f of opts.files) {
    progress.file = f.relativePath;
    opts.onProgress?.(progress);
    landed.push(
      await landFile({
        db: ctx.db,
        odsDir: ctx.odsDir,
        file: f.path,
        source: profile.source,
        name: f.relativePath,
        now: ctx.now(),
      }).catch((e: unknown) => toError(e)),
    );
  }
  const entries: NotarizationEntry[] = [];
  opts.files.forEach((f, i) => {
    const l = landed[i];
    if (l instanceof MeridianError || l === undefined || l.unchanged) return;
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
  const files: FileSummary[] = [];
  for (const [i, f] of opts.files.entries()) {
    const l = landed[i] as LandedFile | MeridianError;
    progress.file = f.relativePath;
    opts.onProgress?.(progress);
    const t0 = performance.now();
    const summary =
      l instanceof MeridianError
        ? failedFile(f.relativePath, '', 0, l)
        : await loadFile(
            ctx,
            {
              loadId,
              index: i,
              profile,
              specs: opts.specs,
              format: opts.format,
              chunkRows: opts.chunkRows ?? LOAD_CHUNK_ROWS,
            },
            f,
            l,
            progress,
            opts.onProgress,
          ).catch((e: unknown) => failedFile(f.relativePath, l.sha256, l.version, toError(e)));
    summary.elapsedMs = Math.round(performance.now() - t0);
    files.push(summary);
    progress.filesDone++;
    progress.bytesDone += sizes[i] ?? 0;
  }
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

interface FileJob {
  loadId: string;
  index: number;
  profile: SourceProfile;
  specs: ReadonlyMap<string, MappingSpec>;
  format: SourceFormat | undefined;
  chunkRows: number;
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

async function loadFile(
  ctx: LoaderContext,
  job: FileJob,
  input: LoadInput,
  landed: LandedFile,
  progress: LoadProgress,
  onProgress: ((p: LoadProgress) => void) | undefined,
): Promise<FileSummary> {
  const name = input.relativePath;
  const rule = ruleFor(job.profile, name);
  if (rule === undefined) {
    throw new MeridianError(
      'MER_INGEST_NO_RULE',
      `${name}: no rule of source profile "${job.profile.source}" matches this file (patterns: ${job.profile.rules.map((r) => r.match).join(', ')})`,
      { file: name, source: job.profile.source },
    );
  }
  const specs = rule.specs.map((id) => {
    const spec = job.specs.get(id);
    if (spec === undefined) {
      throw new MeridianError(
        'MER_INGEST_UNKNOWN_SPEC',
        `${name}: the profile names mapping spec "${id}", which is not stored`,
        {
          file: name,
          spec: id,
        },
      );
    }
    return spec;
  });
  const format = rule.format ?? job.format ?? (await detectFileFormat(input.path));
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
  const targets = specs.map((spec, k) => ({ spec, mv: versions[k] as string, columns: lakeColumns(spec.target) }));
  const fingerprint = sha256Hex(
    canonicalize({ format, encoding: rule.encoding ?? null, omopTable: rule.omopTable ?? null, versions }),
  );
  const previous = await ctx.db
    .selectFrom('ingest_files')
    .selectAll()
    .where('source', '=', job.profile.source)
    .where('name', '=', name)
    .where('current', '=', true)
    .execute();
  const same = previous.find((p) => p.sha256 === landed.sha256 && p.fingerprint === fingerprint);
  if (same) {
    const d = JSON.parse(same.detail) as FileDetail;
    return {
      name,
      sha256: landed.sha256,
      version: same.version,
      format,
      status: 'unchanged',
      recordsRead: 0,
      rowsLoaded: 0,
      rejected: 0,
      skipped: {},
      rejectsByReason: {},
      rowsByTable: {},
      unmapped: d.unmapped,
      mappingVersions: d.mappingVersions,
      elapsedMs: 0,
    };
  }

  const stage = `${job.loadId}-${job.index}`;
  const batchPrefix = `f${landed.sha256.slice(0, 24)}-${fingerprint.slice(0, 8)}`;
  const out = new BatchWriter(ctx.lake, stage, batchPrefix, job.chunkRows);
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
      source: job.profile.source,
      source_name: name,
      source_sha256: landed.sha256,
      source_position: typeof position === 'string' ? position : formatPosition({ ...position, file: name }),
      code,
      message: message.slice(0, 1000),
      field,
      mapping_version: spec,
    });
  };

  let src: AnySourceFile;
  try {
    src = await openSource(landed.storedPath, openOptions(format, rule, name));
  } catch (e) {
    throw renameFileInError(toError(e), landed.storedPath, name);
  }
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
          await out.add(spec.target, columns, {
            ...r.row,
            source_sha256: landed.sha256,
            source_position: where,
            mapping_version: mv,
            load_id: job.loadId,
          });
        }
      }
      if (!mapped) {
        const kind = recordKind(format, record);
        detail.skipped[kind] = (detail.skipped[kind] ?? 0) + 1;
      }
      if (recordsRead % 20_000 === 0) onProgress?.(progress);
    }
    detail.batches = await out.finish();
  } catch (e) {
    await ctx.lake.discardStage(stage);
    throw renameFileInError(toError(e), landed.storedPath, name);
  } finally {
    await src.close();
  }

  detail.unmapped = [...unmapped.values()].sort((a, b) => b.count - a.count);
  const retire = previous.flatMap((p) => (JSON.parse(p.detail) as FileDetail).batches);
  const keep = new Set(detail.batches.map((b) => `${b.table}/${b.batchId}`));
  await ctx.lake.publish(
    stage,
    retire.filter((b) => !keep.has(`${b.table}/${b.batchId}`)),
  );
  await ctx.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('ingest_files')
      .set({ current: false })
      .where('source', '=', job.profile.source)
      .where('name', '=', name)
      .execute();
    const row = {
      source: job.profile.source,
      name,
      sha256: landed.sha256,
      version: landed.version,
      fingerprint,
      load_id: job.loadId,
      format,
      current: true,
      records_read: recordsRead,
      rows_loaded: rowsLoaded,
      rejected,
      detail: JSON.stringify(detail),
      loaded_at: ctx.now(),
    };
    await trx
      .insertInto('ingest_files')
      .values(row)
      .onConflict((oc) => oc.columns(['source', 'sha256', 'fingerprint']).doUpdateSet(row))
      .execute();
  });
  return {
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
  };
}

function openOptions(format: SourceFormat, rule: SourceRule, name: string): Parameters<typeof openSource>[1] {
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

/** Buffers rows per table and writes a staged lake batch whenever a table's buffer is full. */
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

  constructor(lake: Lake, stage: string, prefix: string, chunkRows: number) {
    this.#lake = lake;
    this.#stage = stage;
    this.#prefix = prefix;
    this.#chunkRows = chunkRows;
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
    if (b.rows.length >= this.#chunkRows) await this.#flush(table, b);
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
