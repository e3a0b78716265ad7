/**
 * Memory stays flat while a file much larger than what the reader may hold is read: a 1,000,000-row CSV
 * (~76 MB on disk, ~150 MB as JS strings) and a 40,000-entry FHIR bundle are generated into temp files and read
 * by a child process (streaming-child.ts, started with --expose-gc) that samples the heap after forced
 * garbage collections; the child also times the read.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createWriteStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { fixtures } from './helpers.ts';

/** Size of a file in MB, rounded. */
const mb = (path: string): number => Math.round(statSync(path).size / 1e6);

const CHILD = fileURLToPath(new URL('./streaming-child.ts', import.meta.url));

/** Reads `path` in a child process; returns its counts, time and heap growth. */
async function readInChild(
  kind: 'csv' | 'fhir',
  path: string,
  sampleEvery: number,
): Promise<{ items: number; rejects: number; seconds: number; heapGrowthMb: number }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', CHILD, kind, path, String(sampleEvery)],
    { timeout: 60_000 },
  );
  return JSON.parse(stdout);
}

/** Writes `count` lines made by `line(i)` through a stream (never the whole file in memory). */
async function writeLines(
  path: string,
  head: string,
  count: number,
  line: (i: number) => string,
  tail = '',
): Promise<void> {
  const out = createWriteStream(path);
  out.write(head);
  const batch = 2_000;
  for (let i = 0; i < count; i += batch) {
    const parts: string[] = [];
    for (let k = i; k < Math.min(count, i + batch); k++) parts.push(line(k));
    if (!out.write(parts.join(''))) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  out.write(tail);
  await new Promise<void>((resolve, reject) => {
    out.on('error', reject);
    out.end(() => resolve());
  });
}

test('a 1,000,000-row CSV streams with a flat heap (and its rows/s)', async (t) => {
  const fx = fixtures(t);
  const path = join(fx.dir, 'big.csv');
  const rows = 1_000_000;
  await writeLines(
    path,
    '病人ID,姓名,性别,出生日期,科室,诊断,检验值,备注\n',
    rows,
    (i) => `${100000 + i},张三${i % 97},男,1980-01-0${(i % 9) + 1},内分泌科,E11.900,${(i % 100) / 10},"备注, 含逗号"\n`,
  );
  const r = await readInChild('csv', path, 250_000);
  assert.equal(r.items, rows);
  assert.equal(r.rejects, 0);
  t.diagnostic(
    `csv: ${rows} rows (${mb(path)} MB) in ${r.seconds.toFixed(2)} s = ${Math.round(rows / r.seconds)} rows/s; heap growth ≤ ${r.heapGrowthMb.toFixed(1)} MB`,
  );
  assert.ok(r.heapGrowthMb < 24, `heap grew by ${r.heapGrowthMb.toFixed(1)} MB while reading a ${mb(path)} MB file`);
});

test('a 40,000-entry FHIR bundle streams with a flat heap', async (t) => {
  const fx = fixtures(t);
  const path = join(fx.dir, 'bundle.json');
  const entries = 40_000;
  const entry = (i: number) =>
    `${i === 0 ? '' : ','}{"fullUrl":"urn:uuid:${i}","resource":{"resourceType":"Observation","id":"o${i}","status":"final",` +
    `"code":{"coding":[{"system":"http://loinc.org","code":"2345-7"}],"text":"空腹血糖"},"subject":{"reference":"Patient/p${i % 1000}"},` +
    `"effectiveDateTime":"2024-03-01T08:00:00+08:00","valueQuantity":{"value":${(i % 90) / 10 + 3},"unit":"mmol/L"},"note":[{"text":"${'备注'.repeat(100)}"}]}}`;
  await writeLines(path, '{"resourceType":"Bundle","type":"collection","entry":[', entries, entry, ']}');
  const r = await readInChild('fhir', path, 10_000);
  assert.equal(r.items, entries);
  assert.equal(r.rejects, 0);
  t.diagnostic(
    `fhir: ${entries} entries (${mb(path)} MB) in ${r.seconds.toFixed(2)} s = ${Math.round(entries / r.seconds)} resources/s; heap growth ≤ ${r.heapGrowthMb.toFixed(1)} MB`,
  );
  assert.ok(r.heapGrowthMb < 16, `heap grew by ${r.heapGrowthMb.toFixed(1)} MB while reading a ${mb(path)} MB bundle`);
});
