/**
 * Generated demo hospitals loaded into lakes for linkage tests and the linkage bench: the real generator and
 * the real loader with DEMO_MAPPINGS, restricted to the files and spec that fill `person` (clinical rows are
 * not needed to link people, and skipping them keeps large runs fast). Lakes can be kept in a cache
 * directory and reopened.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ConsortiumManifest, generateConsortium } from '../../src/demo/generator/index.ts';
import { DEMO_HOSPITALS, DEMO_MAPPINGS, type DemoHospital } from '../../src/demo/mappings/index.ts';
import type { DecryptField } from '../../src/identity/node.ts';
import { openFieldCrypto } from '../../src/node/keys.ts';
import { listSourceFiles, runLoad } from '../../src/pipeline/loader.ts';
import { parseMappingSpec } from '../../src/pipeline/mapping.ts';
import { LocalNotaryLog } from '../../src/pipeline/notary.ts';
import { ruleFor, SourceProfileSchema } from '../../src/pipeline/profile.ts';
import { PIPELINE_MIGRATIONS, type PipelineDatabase } from '../../src/pipeline/schema.ts';
import { rowProtector } from '../../src/privacy/protect.ts';
import { type Lake, openDatabase, openLake } from '../../src/store/index.ts';

/** What a complete cache holds; a cache of another layout (e.g. lakes written before encryption) is rebuilt. */
const CACHE_LAYOUT = 'person lakes, identifiers encrypted (keys under node/<hospital>/keys)/1';

/** A generated consortium with one person-only lake per hospital. */
export interface DemoPersons {
  dataDir: string;
  manifest: ConsortiumManifest;
  lakes: Map<DemoHospital, Lake>;
  /** Opens a hospital's encrypted identifier fields (what its node's `identity.tokens` handler is given). */
  decrypt: Map<DemoHospital, DecryptField>;
  close(): Promise<void>;
}

/** Generates (unless `dir` already holds a complete set) and loads the persons of every demo hospital. */
export async function openDemoPersons(opts: { dir: string; patients: number; seed: number }): Promise<DemoPersons> {
  const dataDir = join(opts.dir, 'data');
  const done = join(opts.dir, 'lakes.done');
  if (!existsSync(done) || readFileSync(done, 'utf8') !== CACHE_LAYOUT) {
    rmSync(opts.dir, { recursive: true, force: true });
    mkdirSync(opts.dir, { recursive: true });
    await generateConsortium({ hospitals: 3, patients: opts.patients, seed: opts.seed, outDir: dataDir });
    for (const h of DEMO_HOSPITALS) await loadPersons(dataDir, h, join(opts.dir, 'node', h));
    writeFileSync(done, CACHE_LAYOUT);
  }
  const manifest = JSON.parse(readFileSync(join(dataDir, 'manifest.json'), 'utf8')) as ConsortiumManifest;
  const lakes = new Map<DemoHospital, Lake>();
  const decrypt = new Map<DemoHospital, DecryptField>();
  for (const h of DEMO_HOSPITALS) {
    lakes.set(h, await openLake({ dir: join(opts.dir, 'node', h, 'lake') }));
    const crypto = await openFieldCrypto({ dataDir: join(opts.dir, 'node', h), hasData: true });
    decrypt.set(h, (value, column) => crypto.decrypt('person', column, value));
  }
  return {
    dataDir,
    manifest,
    lakes,
    decrypt,
    async close() {
      for (const l of lakes.values()) await l.close();
    },
  };
}

async function loadPersons(dataDir: string, h: DemoHospital, nodeDir: string): Promise<void> {
  const { profile: profileInput, specs: specInputs } = DEMO_MAPPINGS[h];
  const personSpec = `${h}-person`;
  const full = SourceProfileSchema.parse(profileInput);
  const profile = {
    ...full,
    rules: full.rules.filter((r) => r.specs.includes(personSpec)).map((r) => ({ ...r, specs: [personSpec] })),
  };
  const specs = new Map();
  for (const s of specInputs) {
    if (s.id !== personSpec) continue;
    const parsed = parseMappingSpec(s);
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    specs.set(s.id, parsed.spec);
  }
  const root = join(dataDir, h);
  const files = listSourceFiles(root).filter((f) => ruleFor(profile, f.relativePath) !== undefined);
  mkdirSync(nodeDir, { recursive: true });
  const store = await openDatabase<PipelineDatabase>({ migrations: PIPELINE_MIGRATIONS });
  const lake = await openLake({ dir: join(nodeDir, 'lake') });
  const now = () => new Date('2026-05-01T08:00:00Z');
  try {
    const crypto = await openFieldCrypto({ dataDir: nodeDir, hasData: false });
    const summary = await runLoad(
      {
        db: store.db,
        lake,
        protect: rowProtector(crypto),
        odsDir: join(nodeDir, 'ods'),
        notarizer: LocalNotaryLog.open({ file: join(nodeDir, 'notary.log'), now }),
        now,
      },
      { loadId: `persons-${h}`, profile, specs, files },
    );
    const failed = summary.files.filter((f) => f.status !== 'loaded');
    if (failed.length > 0) throw new Error(`${h}: ${failed.map((f) => `${f.name}: ${f.error?.message}`).join('; ')}`);
  } finally {
    await lake.close();
    await store.close();
  }
}
