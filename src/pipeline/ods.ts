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
import { MeridianError } from '../errors/registry.ts';
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

/** Lands one file into the ODS and records it; safe to repeat (idempotent for the same bytes). */
export async function landFile(opts: {
  db: Kysely<PipelineDatabase>;
  odsDir: string;
  file: string;
  source: string;
  name?: string;
  now: Date;
}): Promise<LandedFile> {
  const name = opts.name ?? basename(opts.file);
  let size: number;
  try {
    size = statSync(opts.file).size;
  } catch (e) {
    throw new MeridianError('MER_SOURCE_UNREADABLE', `cannot read ${opts.file}: ${(e as Error).message}`, {
      file: opts.file,
    });
  }
  const tmpDir = join(opts.odsDir, 'tmp');
  mkdirSync(tmpDir, { recursive: true });
  const tmp = join(tmpDir, `${randomBytes(8).toString('hex')}.part`);
  const hash = createHash('sha256');
  try {
    await pipeline(
      createReadStream(opts.file),
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
    throw new MeridianError('MER_SOURCE_UNREADABLE', `cannot copy ${opts.file} into the ODS: ${(e as Error).message}`, {
      file: opts.file,
    });
  }
  const sha256 = hash.digest('hex');
  const dir = join(opts.odsDir, sha256.slice(0, 2));
  const storedPath = join(dir, sha256);
  if (existsSync(storedPath)) rmSync(tmp, { force: true });
  else {
    mkdirSync(dir, { recursive: true });
    await chmod(tmp, 0o444);
    renameSync(tmp, storedPath);
    fsyncPath(dir);
  }
  return opts.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('ods_files')
      .values({ sha256, size_bytes: size, stored_path: storedPath, received_at: opts.now })
      .onConflict((oc) => oc.column('sha256').doNothing())
      .execute();
    const last = await trx
      .selectFrom('ods_versions')
      .select(['version', 'sha256'])
      .where('source', '=', opts.source)
      .where('name', '=', name)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (last?.sha256 === sha256) return { sha256, sizeBytes: size, storedPath, version: last.version, unchanged: true };
    const version = (last?.version ?? 0) + 1;
    await trx
      .insertInto('ods_versions')
      .values({ source: opts.source, name, version, sha256, received_at: opts.now })
      .execute();
    return { sha256, sizeBytes: size, storedPath, version, unchanged: false };
  });
}

/** Re-hashes a stored ODS file and checks it still has the content its name claims (tamper or bit-rot check). */
export async function verifyStoredFile(storedPath: string): Promise<boolean> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(storedPath), hash);
  return hash.digest('hex') === basename(storedPath);
}
