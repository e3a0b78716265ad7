/**
 * Ingest throughput: the three demo hospitals' generated exports (GBK CSV + xlsx, HL7 v2, FHIR + DICOM) loaded
 * into one fresh node — ODS landing, notarization, streaming readers, mapping, staged Parquet batches, publish —
 * per source format and in total, at two input sizes to show that peak memory stays flat as the input grows.
 * Baseline in the same run: DuckDB's own read_csv → Parquet of the same CSV files (no mapping, no lineage).
 *   npm run bench -- ingest            (BENCH_PATIENTS: patients in all, default 100,000)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateConsortium } from '../src/demo/generator/index.ts';
import { report } from './_report.ts';

const PATIENTS = Number(process.env.BENCH_PATIENTS ?? 100_000);
const SIZES = [Math.max(300, Math.round(PATIENTS / 10)), PATIENTS];
const cache = join(tmpdir(), 'meridian-bench');

async function dataFor(total: number): Promise<string> {
  const dir = join(cache, `ingest-${total}`);
  if (!existsSync(join(dir, 'manifest.json'))) {
    process.stderr.write(`generating ${total} patients into ${dir} …\n`);
    await generateConsortium({ hospitals: 3, patients: Math.ceil(total / 3), seed: 42, outDir: dir, overwrite: true });
  }
  return dir;
}

interface ChildResult {
  files: { name: string; format: string | null; rows: number; records: number; rejected: number; ms: number }[];
  wallMs: number;
  maxRssMb: number;
}

function measure(dataDir: string): ChildResult {
  const nodeDir = mkdtempSync(join(tmpdir(), 'bench-ingest-node-'));
  try {
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, '_ingest-child.ts'), dataDir, nodeDir],
      {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    return JSON.parse(out.trim().split('\n').at(-1) as string) as ChildResult;
  } finally {
    rmSync(nodeDir, { recursive: true, force: true });
  }
}

async function duckdbCsvBaseline(dataDir: string): Promise<{ rows: number; ms: number }> {
  const csvs = readdirSync(join(dataDir, 'hospital-b'))
    .filter((f) => f.endsWith('.csv'))
    .map((f) => join(dataDir, 'hospital-b', f));
  const out = mkdtempSync(join(tmpdir(), 'bench-ingest-duck-'));
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  let rows = 0;
  const t = performance.now();
  try {
    for (const [i, f] of csvs.entries()) {
      await c.run(
        `copy (select * from read_csv('${f}', all_varchar=true)) to '${join(out, `${i}.parquet`)}' (format parquet)`,
      );
      const r = await c.runAndReadAll(`select count(*)::integer as n from '${join(out, `${i}.parquet`)}'`);
      rows += Number(r.getRowObjects()[0]?.n ?? 0);
    }
    return { rows, ms: performance.now() - t };
  } finally {
    c.closeSync();
    db.closeSync();
    rmSync(out, { recursive: true, force: true });
  }
}

const results: { patients: number; r: ChildResult }[] = [];
for (const size of SIZES) results.push({ patients: size, r: measure(await dataFor(size)) });
const big = results.at(-1) as { patients: number; r: ChildResult };
const byFormat = new Map<string, { rows: number; records: number; rejected: number; ms: number; files: number }>();
for (const f of big.r.files) {
  const k = f.format ?? '?';
  const e = byFormat.get(k) ?? { rows: 0, records: 0, rejected: 0, ms: 0, files: 0 };
  e.rows += f.rows;
  e.records += f.records;
  e.rejected += f.rejected;
  e.ms += f.ms;
  e.files++;
  byFormat.set(k, e);
}
const table = [...byFormat.entries()].map(([format, e]) => ({
  source: format,
  files: e.files,
  records: e.records,
  rows: e.rows,
  rejected: e.rejected,
  seconds: Number((e.ms / 1000).toFixed(2)),
  rows_per_s: Math.round(e.rows / (e.ms / 1000)),
}));
const totalRows = big.r.files.reduce((n, f) => n + f.rows, 0);
const rowsPerS = Math.round(totalRows / (big.r.wallMs / 1000));
const baseline = await duckdbCsvBaseline(await dataFor(big.patients));
const baselineRowsPerS = Math.round(baseline.rows / (baseline.ms / 1000));
for (const { patients, r } of results) {
  const rows = r.files.reduce((n, f) => n + f.rows, 0);
  table.push({
    source: `ALL @ ${patients} patients`,
    files: r.files.length,
    records: r.files.reduce((n, f) => n + f.records, 0),
    rows,
    rejected: r.files.reduce((n, f) => n + f.rejected, 0),
    seconds: Number((r.wallMs / 1000).toFixed(2)),
    rows_per_s: Math.round(rows / (r.wallMs / 1000)),
  });
}
report(
  `ingest: ${big.patients} patients, three hospitals into one node (peak RSS ${results.map((x) => `${x.patients}: ${Math.round(x.r.maxRssMb)} MB`).join(', ')})`,
  table,
  {
    bench: 'ingest',
    patients: big.patients,
    rows: totalRows,
    rows_per_s: rowsPerS,
    per_source_rows_per_s: Object.fromEntries(
      table.filter((t) => !t.source.startsWith('ALL')).map((t) => [t.source, t.rows_per_s]),
    ),
    peak_rss_mb: Object.fromEntries(results.map((x) => [x.patients, Math.round(x.r.maxRssMb)])),
    rss_growth: Number((big.r.maxRssMb / (results[0] as { r: ChildResult }).r.maxRssMb).toFixed(2)),
    baseline_duckdb_csv_rows_per_s: baselineRowsPerS,
    ratio_to_baseline: Number((rowsPerS / baselineRowsPerS).toFixed(3)),
  },
);
