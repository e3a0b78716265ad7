/** Same seed → byte-identical files (whatever the chunk size); another seed → other data; options checked. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateConsortium } from '../../../src/demo/generator/index.ts';
import { isMeridianError } from '../../../src/errors/registry.ts';
import { generate, listFiles, scratchDir } from './helpers.ts';

function hashes(dir: string): Record<string, string> {
  return Object.fromEntries(
    listFiles(dir).map((f) => [
      f,
      createHash('sha256')
        .update(readFileSync(join(dir, f)))
        .digest('hex'),
    ]),
  );
}

test('two runs with the same seed write byte-identical files, whatever the chunk size or worker threads', async () => {
  const one = await generate({ seed: 7, patients: 150, workers: 1 });
  const two = await generate({ seed: 7, patients: 150, chunkSize: 7, workers: 3 });
  const h1 = hashes(one.dir);
  const h2 = hashes(two.dir);
  assert.ok(Object.keys(h1).length > 30);
  assert.deepEqual(h2, h1);
  const other = await generate({ seed: 8, patients: 150 });
  const h3 = hashes(other.dir);
  assert.notEqual(h3['manifest.json'], h1['manifest.json']);
  assert.notEqual(h3['hospital-a/his_patient.csv'], h1['hospital-a/his_patient.csv']);
});

test('a smaller consortium is a valid one too: one hospital, no links across hospitals', async () => {
  const f = await generate({ seed: 'solo', patients: 40, hospitals: 1 });
  assert.deepEqual(
    new Set(listFiles(f.dir).map((p) => p.split('/')[0])),
    new Set(['hospital-a', 'ground-truth', 'reference', 'manifest.json']),
  );
  assert.equal(f.manifest.population.sharedPersons, 0);
  assert.ok(f.manifest.links.every((l) => !l.crossHospital));
  assert.equal(f.manifest.population.uniquePersons, 40);
});

test('bad options are refused with MER_DEMO_INVALID_OPTION', async () => {
  const outDir = join(scratchDir(), 'x');
  const bad: Record<string, unknown>[] = [
    { hospitals: 0 },
    { hospitals: 4 },
    { hospitals: 1.5 },
    { patients: 0 },
    { patients: -3 },
    { seed: Number.NaN },
    { seed: '' },
    { startDate: '2023-02-30' },
    { startDate: '2024-01-01', endDate: '2023-01-01' },
    { startDate: '2024-01-01', endDate: '2024-06-01' },
    { overlapRate: 0.9 },
    { chunkSize: 0 },
    { workers: 0 },
    { workers: 4 },
  ];
  for (const b of bad) {
    await assert.rejects(
      generateConsortium({ hospitals: 3, patients: 10, seed: 1, outDir, ...b } as Parameters<
        typeof generateConsortium
      >[0]),
      (e: unknown) => isMeridianError(e) && e.code === 'MER_DEMO_INVALID_OPTION',
      JSON.stringify(b),
    );
  }
});

test('a non-empty output directory is refused unless overwrite; overwrite never deletes foreign files', async () => {
  const outDir = join(scratchDir(), 'out');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'notes.txt'), 'mine');
  await assert.rejects(
    generateConsortium({ hospitals: 1, patients: 5, seed: 1, outDir }),
    (e: unknown) => isMeridianError(e) && e.code === 'MER_DEMO_OUTPUT_EXISTS',
  );
  await assert.rejects(
    generateConsortium({ hospitals: 1, patients: 5, seed: 1, outDir, overwrite: true }),
    (e: unknown) => isMeridianError(e) && e.code === 'MER_DEMO_OUTPUT_EXISTS',
  );
  assert.equal(readFileSync(join(outDir, 'notes.txt'), 'utf8'), 'mine');
  const own = join(scratchDir(), 'own');
  const first = await generateConsortium({ hospitals: 2, patients: 20, seed: 1, outDir: own });
  const again = await generateConsortium({ hospitals: 1, patients: 20, seed: 2, outDir: own, overwrite: true });
  assert.notDeepEqual(again.manifest.options, first.manifest.options);
  assert.ok(!listFiles(own).some((f) => f.startsWith('hospital-b/')), 'the old hospital-b output is gone');
});
