/**
 * ODS landing (贴源层): every received file is kept exactly as it arrived, content-addressed by its SHA-256
 * under `<dataDir>/ods/<aa>/<sha256>`, read-only, written crash-safely (temp file, fsync, rename) while the
 * hash is computed in the same pass. The same bytes arriving twice are stored once; a changed file under
 * the same (source, name) becomes its next version.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { chmod, open } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import { isMeridianError, MeridianError } from '../errors/registry.ts';
import { fsyncPath } from '../store/index.ts';
import type { PipelineDatabase } from './schema.ts';

/** What landing a file did. */
export interface LandedFile {
  sha256: string;
  sizeBytes: number;
  storedPath: string;
  /** Version of (source, name) this file is; equal to the previous one when the content did not change. */
  version: number;
  /** True when exactly these bytes were already in the ODS under this source and name. */
  unchanged: boolean;
}

/** Files recorded per database transaction when many land at once (one commit instead of one per file). */
export const LAND_BATCH_FILES = 500;

/** Lands one file into the ODS and records it; safe to repeat (idempotent for the same bytes). */
export async function landFile(opts: {
  db: Kysely<PipelineDatabase>;
  odsDir: string;
  file: string;
  source: string;
  name?: string;
  now: Date;
}): Promise<LandedFile> {
  const [landed] = await landFiles({ ...opts, files: [{ file: opts.file, name: opts.name ?? basename(opts.file) }] });
  if (landed instanceof MeridianError) throw landed;
  return landed as LandedFile;
}

/**
 * Lands many files of one source: each is copied and fsynced on its own, and their records are written
 * {@link LAND_BATCH_FILES} to a transaction. A file that cannot be read yields its error in its place; the rest land.
 */
export async function landFiles(opts: {
  db: Kysely<PipelineDatabase>;
  odsDir: string;
  files: readonly { file: string; name: string }[];
  source: string;
  now: Date;
  onFile?: (name: string) => void;
}): Promise<(LandedFile | MeridianError)[]> {
  const out: (LandedFile | MeridianError)[] = [];
  for (let start = 0; start < opts.files.length; start += LAND_BATCH_FILES) {
    const chunk = opts.files.slice(start, start + LAND_BATCH_FILES);
    const stored: (StoredFile | MeridianError)[] = [];
    for (const f of chunk) {
      opts.onFile?.(f.name);
      stored.push(
        await storeFile(opts.odsDir, f.file).catch((e: unknown) =>
          isMeridianError(e)
            ? e
            : new MeridianError('MER_SOURCE_UNREADABLE', `cannot land ${f.file}: ${(e as Error).message}`, {
                file: f.file,
              }),
        ),
      );
    }
    for (const dir of new Set(stored.flatMap((f) => (f instanceof MeridianError || !f.created ? [] : [f.dir]))))
      fsyncPath(dir);
    const recorded = await recordFiles(
      opts.db,
      stored,
      chunk.map((f) => f.name),
      opts.source,
      opts.now,
    );
    out.push(...recorded);
  }
  return out;
}

interface StoredFile {
  sha256: string;
  size: number;
  storedPath: string;
  dir: string;
  /** False when the same bytes were already stored. */
  created: boolean;
}

/**
 * Copies a file into the content-addressed store (hashing on the way), fsynced; the same bytes are kept once.
 * The caller fsyncs the returned directory before recording the file, once per directory for many files.
 */
async function storeFile(odsDir: string, file: string): Promise<StoredFile> {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new MeridianError('MER_SOURCE_UNREADABLE', `cannot read ${file}: ${(e as Error).message}`, { file });
  }
  const tmpDir = join(odsDir, 'tmp');
  mkdirSync(tmpDir, { recursive: true });
  const tmp = join(tmpDir, `${randomBytes(8).toString('hex')}.part`);
  const hash = createHash('sha256');
  try {
    await pipeline(
      createReadStream(file),
      new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          cb(null, chunk);
        },
      }),
      createWriteStream(tmp, { flags: 'wx', mode: 0o600 }),
    );
    const fh = await open(tmp, 'r');
    await fh.sync();
    await fh.close();
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new MeridianError('MER_SOURCE_UNREADABLE', `cannot copy ${file} into the ODS: ${(e as Error).message}`, {
      file,
    });
  }
  const sha256 = hash.digest('hex');
  const dir = join(odsDir, sha256.slice(0, 2));
  const storedPath = join(dir, sha256);
  if (existsSync(storedPath)) {
    rmSync(tmp, { force: true });
    return { sha256, size, storedPath, dir, created: false };
  }
  mkdirSync(dir, { recursive: true });
  await chmod(tmp, 0o444);
  renameSync(tmp, storedPath);
  return { sha256, size, storedPath, dir, created: true };
}

/** Records stored files under (source, name) in one transaction: a new version unless the bytes did not change. */
async function recordFiles(
  db: Kysely<PipelineDatabase>,
  stored: readonly (StoredFile | MeridianError)[],
  names: readonly string[],
  source: string,
  now: Date,
): Promise<(LandedFile | MeridianError)[]> {
  const ok = stored.flatMap((f, i) => (f instanceof MeridianError ? [] : [{ f, name: names[i] as string }]));
  if (ok.length === 0) return [...stored] as MeridianError[];
  return db.transaction().execute(async (trx) => {
    const files = new Map(ok.map(({ f }) => [f.sha256, f]));
    await trx
      .insertInto('ods_files')
      .values(
        [...files.values()].map((f) => ({
          sha256: f.sha256,
          size_bytes: f.size,
          stored_path: f.storedPath,
          received_at: now,
        })),
      )
      .onConflict((oc) => oc.column('sha256').doNothing())
      .execute();
    const last = new Map<string, { version: number; sha256: string }>();
    const rows = await trx
      .selectFrom('ods_versions')
      .select(['name', 'version', 'sha256'])
      .where('source', '=', source)
      .where(
        'name',
        'in',
        ok.map((o) => o.name),
      )
      .execute();
    for (const r of rows) if ((last.get(r.name)?.version ?? 0) < r.version) last.set(r.name, r);
    const inserts: { source: string; name: string; version: number; sha256: string; received_at: Date }[] = [];
    const landed = stored.map((f, i): LandedFile | MeridianError => {
      if (f instanceof MeridianError) return f;
      const name = names[i] as string;
      const { sha256, size, storedPath } = f;
      const previous = last.get(name);
      if (previous?.sha256 === sha256)
        return { sha256, sizeBytes: size, storedPath, version: previous.version, unchanged: true };
      const version = (previous?.version ?? 0) + 1;
      inserts.push({ source, name, version, sha256, received_at: now });
      return { sha256, sizeBytes: size, storedPath, version, unchanged: false };
    });
    if (inserts.length > 0) await trx.insertInto('ods_versions').values(inserts).execute();
    return landed;
  });
}

/** Re-hashes a stored ODS file and checks it still has the content its name claims (tamper or bit-rot check). */
export async function verifyStoredFile(storedPath: string): Promise<boolean> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(storedPath), hash);
  return hash.digest('hex') === basename(storedPath);
}
