/**
 * Lineage: from a canonical row (or a quarantined record, or a quality failure's sample) back to where it came
 * from — the ODS file (SHA-256, source, name, version, when received, which load), its notarization, the
 * mapping spec version that made the row, and the source record itself, re-read from the immutable ODS copy
 * with the reader the file was loaded with. The record holds identifiers, so only the hospital's own steward
 * reaches it (the hub enforces that and audits each look).
 */
import type { Kysely } from 'kysely';
import { MeridianError } from '../errors/registry.ts';
import { formatPosition, openSource, type SourceFormat } from '../sources/index.ts';
import { openOptions } from './loader.ts';
import type { Notarizer } from './notary.ts';
import { ruleFor, type SourceProfile } from './profile.ts';
import type { PipelineDatabase } from './schema.ts';

/** Most records read from a file while looking for one position. */
export const LINEAGE_SCAN_MAX = 2_000_000;
/** Longest record text returned. */
export const LINEAGE_RECORD_CHARS_MAX = 16_000;

/** Where a row came from. */
export interface Lineage {
  file: {
    sha256: string;
    sizeBytes: number;
    receivedAt: string;
    source: string;
    name: string;
    version: number;
    format: string | null;
    loadId: string | null;
    loadedAt: string | null;
    current: boolean;
  };
  /** The file's notarization: log position, batch commitment and the entry's RFC 9162 inclusion proof. */
  notarized: { seq: number; batchRoot: string; batchSize: number; index: number; proof: string[] } | null;
  mapping: { id: string; version: number; createdAt: string; createdBy: string; spec: unknown } | null;
  record: { position: string; found: boolean; text: string | null; truncated: boolean };
}

/** What lineage needs: the node's pipeline database, its profiles and its notarizer. */
export interface LineageDeps {
  db: Kysely<PipelineDatabase>;
  notarizer: Notarizer;
  profiles: () => Promise<SourceProfile[]>;
}

const POSITION_END = [':', '!', '#', '['];

/** The record-level position of a row's position (an HL7 segment's message, a FHIR component's entry). */
export function recordPosition(position: string): string {
  return position.replace(/@.*$/, '').replace(/\/\d+\([^)]*\)$/, '');
}

/** Resolves a row's lineage from its source hash, position and (optionally) mapping version. */
export async function resolveLineage(
  deps: LineageDeps,
  q: { sha256: string; position: string; mappingVersion?: string },
): Promise<Lineage> {
  const stored = await deps.db.selectFrom('ods_files').selectAll().where('sha256', '=', q.sha256).executeTakeFirst();
  if (!stored) {
    throw new MeridianError('MER_HTTP_NOT_FOUND', `no file with SHA-256 ${q.sha256.slice(0, 16)}… was received here`, {
      sha256: q.sha256,
    });
  }
  const versions = await deps.db.selectFrom('ods_versions').selectAll().where('sha256', '=', q.sha256).execute();
  const named =
    versions.find((v) => q.position === v.name || POSITION_END.some((c) => q.position.startsWith(`${v.name}${c}`))) ??
    versions[0];
  if (named === undefined) {
    throw new MeridianError('MER_HTTP_NOT_FOUND', `file ${q.sha256.slice(0, 16)}… has no recorded source name`, {
      sha256: q.sha256,
    });
  }
  const loaded = await deps.db
    .selectFrom('ingest_files')
    .selectAll()
    .where('sha256', '=', q.sha256)
    .where('source', '=', named.source)
    .where('name', '=', named.name)
    .orderBy('current', 'desc')
    .orderBy('loaded_at', 'desc')
    .executeTakeFirst();
  const proof = deps.notarizer.proofFor?.(q.sha256);
  return {
    file: {
      sha256: q.sha256,
      sizeBytes: Number(stored.size_bytes),
      receivedAt: new Date(stored.received_at).toISOString(),
      source: named.source,
      name: named.name,
      version: named.version,
      format: loaded?.format ?? null,
      loadId: loaded?.load_id ?? null,
      loadedAt: loaded ? new Date(loaded.loaded_at).toISOString() : null,
      current: loaded?.current ?? false,
    },
    notarized: proof
      ? {
          seq: proof.seq,
          batchRoot: proof.commitment.root,
          batchSize: proof.commitment.size,
          index: proof.proof.index,
          proof: proof.proof.proof,
        }
      : null,
    mapping: await mappingOf(deps.db, q.mappingVersion),
    record: await readRecord(deps, stored.stored_path, named, loaded?.format ?? null, q.position),
  };
}

async function mappingOf(db: Kysely<PipelineDatabase>, mv: string | undefined): Promise<Lineage['mapping']> {
  const m = mv === undefined ? null : /^(.+)@(\d+)$/.exec(mv);
  if (!m) return null;
  const row = await db
    .selectFrom('mapping_specs')
    .selectAll()
    .where('id', '=', m[1] as string)
    .where('version', '=', Number(m[2]))
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    version: row.version,
    createdAt: new Date(row.created_at).toISOString(),
    createdBy: row.created_by,
    spec: JSON.parse(row.spec) as unknown,
  };
}

async function readRecord(
  deps: LineageDeps,
  storedPath: string,
  named: { source: string; name: string },
  format: string | null,
  position: string,
): Promise<Lineage['record']> {
  const wanted = recordPosition(position);
  const none = { position: wanted, found: false, text: null, truncated: false };
  const profile = (await deps.profiles()).find((p) => p.source === named.source);
  const rule = profile === undefined ? undefined : ruleFor(profile, named.name);
  if (rule === undefined || format === null) return none;
  const src = await openSource(storedPath, openOptions(format as SourceFormat, rule, named.name));
  try {
    let n = 0;
    for await (const item of src) {
      if (++n > LINEAGE_SCAN_MAX) break;
      if (formatPosition({ ...item.position, file: named.name }) !== wanted) continue;
      const { position: _, ...content } = item as unknown as Record<string, unknown>;
      const text = JSON.stringify(content, null, 1);
      return {
        position: wanted,
        found: true,
        text: text.slice(0, LINEAGE_RECORD_CHARS_MAX),
        truncated: text.length > LINEAGE_RECORD_CHARS_MAX,
      };
    }
  } finally {
    await src.close();
  }
  return none;
}
