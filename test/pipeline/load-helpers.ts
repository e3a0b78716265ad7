/** A real node-side pipeline for loader tests: PGlite (or PostgreSQL), a lake and a notary log in a temp dir. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFieldCrypto } from '../../src/node/keys.ts';
import { type LoaderContext, type LoadSummary, listSourceFiles, runLoad } from '../../src/pipeline/loader.ts';
import type { MappingSpecInput } from '../../src/pipeline/mapping.ts';
import { LocalNotaryLog } from '../../src/pipeline/notary.ts';
import { PIPELINE_MIGRATIONS, type PipelineDatabase } from '../../src/pipeline/schema.ts';
import { latestSpecs, saveProfile, saveSpec } from '../../src/pipeline/specs-store.ts';
import type { FieldCrypto } from '../../src/privacy/field-crypto.ts';
import { rowProtector } from '../../src/privacy/protect.ts';
import { type Lake, openDatabase, openLake } from '../../src/store/index.ts';
import { freshDatabase } from '../store/targets.ts';

/** A small lab mapping (`pid,glu,at` CSV → glucose measurements) the loader tests share. */
export const GLUCOSE_SPEC: MappingSpecInput = {
  id: 'glu',
  version: 1,
  target: 'measurement',
  fields: {
    person_id: { from: 'pid', required: true },
    measurement_code: { const: '14749-6' },
    value: { from: 'glu', as: 'number', required: true, min: 0 },
    unit: { const: 'mmol/L' },
    measured_at: { from: 'at', as: 'datetime' },
  },
};

/** An open test pipeline and how to close it. */
export interface TestPipeline {
  dir: string;
  ctx: LoaderContext;
  lake: Lake;
  /** The keys of the fields the loader encrypts (to read them back in assertions). */
  crypto: FieldCrypto;
  /** Stores specs and the profile, then loads `path` (a file or directory). */
  load(path: string, profile: unknown, specs: readonly MappingSpecInput[], loadId?: string): Promise<LoadSummary>;
  close(): Promise<void>;
}

let loads = 0;

/** Opens a fresh pipeline under a temp directory. */
export async function openTestPipeline(): Promise<TestPipeline> {
  const dir = mkdtempSync(join(tmpdir(), 'loader-'));
  const fresh = freshDatabase();
  const store = await openDatabase<PipelineDatabase>({ ...fresh.options, migrations: PIPELINE_MIGRATIONS });
  const lake = await openLake({ dir: join(dir, 'lake') });
  const now = () => new Date('2026-05-01T08:00:00Z');
  const crypto = await openFieldCrypto({ dataDir: dir, hasData: false });
  const ctx: LoaderContext = {
    db: store.db,
    lake,
    protect: rowProtector(crypto),
    odsDir: join(dir, 'ods'),
    notarizer: LocalNotaryLog.open({ file: join(dir, 'notary.log'), now }),
    now,
  };
  return {
    dir,
    ctx,
    lake,
    crypto,
    async load(path, profileInput, specInputs, loadId) {
      for (const s of specInputs) await saveSpec(store.db, s, 'test', now());
      const profile = await saveProfile(store.db, profileInput, now());
      return runLoad(ctx, {
        loadId: loadId ?? `L${++loads}`,
        profile,
        specs: await latestSpecs(store.db),
        files: listSourceFiles(path),
      });
    },
    async close() {
      await lake.close();
      await store.close();
      await fresh.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
