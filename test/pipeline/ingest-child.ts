/** Child process of ingest-crash.test.ts: loads one CSV into a pipeline in `dir`, printing progress lines. */
import { join } from 'node:path';
import { openFieldCrypto } from '../../src/node/keys.ts';
import { listSourceFiles, runLoad } from '../../src/pipeline/loader.ts';
import { LocalNotaryLog } from '../../src/pipeline/notary.ts';
import { PIPELINE_MIGRATIONS, type PipelineDatabase } from '../../src/pipeline/schema.ts';
import { latestSpecs, saveProfile, saveSpec } from '../../src/pipeline/specs-store.ts';
import { rowProtector } from '../../src/privacy/protect.ts';
import { openDatabase, openLake } from '../../src/store/index.ts';

const [dir, input, loadId] = process.argv.slice(2) as [string, string, string];
const store = await openDatabase<PipelineDatabase>({ dataDir: join(dir, 'db'), migrations: PIPELINE_MIGRATIONS });
const lake = await openLake({ dir: join(dir, 'lake') });
const now = () => new Date();
await saveSpec(
  store.db,
  {
    id: 'lab',
    version: 1,
    target: 'measurement',
    fields: {
      person_id: { from: 'pid' },
      measurement_code: { const: '14749-6' },
      value: { from: 'glu', as: 'number' },
      unit: { const: 'mmol/L' },
      measured_at: { from: 'at', as: 'datetime' },
    },
  },
  'test',
  now(),
);
const profile = await saveProfile(store.db, { source: 'lis', rules: [{ match: '*.csv', specs: ['lab'] }] }, now());
const summary = await runLoad(
  {
    db: store.db,
    lake,
    protect: rowProtector(await openFieldCrypto({ dataDir: dir, hasData: false })),
    odsDir: join(dir, 'ods'),
    notarizer: LocalNotaryLog.open({ file: join(dir, 'notary.log'), now }),
    now,
  },
  {
    loadId,
    profile,
    specs: await latestSpecs(store.db),
    files: listSourceFiles(input),
    chunkRows: 5_000,
    onProgress: (p) => process.stdout.write(`progress ${p.recordsRead}\n`),
  },
);
process.stdout.write(`summary ${JSON.stringify(summary.totals)}\n`);
await lake.close();
await store.close();
