/**
 * Lake write throughput: `Lake.writeBatch` (validated rows → temp Parquet → fsync → rename, idempotent per
 * batch) against the baseline of a bare DuckDB `COPY … TO parquet` of the same rows in the same run, so the
 * cost of atomicity and validation shows as a ratio. Also the read-back of the whole table.
 *   npm run bench -- lake            (BENCH_ROWS to change the batch size, default 1,000,000)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { openLake } from '../src/store/index.ts';
import { median, report } from './_report.ts';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const RUNS = 3;
const dir = mkdtempSync(join(tmpdir(), 'bench-lake-'));
const columns = {
  person_id: 'BIGINT',
  measurement_code: 'VARCHAR',
  value: 'DOUBLE',
  unit: 'VARCHAR',
  measured_on: 'DATE',
  source_row: 'BIGINT',
} as const;
const codes = ['2345-7', '4548-4', '2160-0', '2093-3', '8480-6', '8462-4'];
const units = ['mmol/L', '%', 'umol/L', 'mmol/L', 'mm[Hg]', 'mm[Hg]'];
const rows = Array.from({ length: ROWS }, (_, i) => ({
  person_id: i % 100_000,
  measurement_code: codes[i % 6] as string,
  value: 3 + ((i * 7919) % 1000) / 100,
  unit: units[i % 6] as string,
  measured_on: `2024-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`,
  source_row: i + 1,
}));

try {
  const lake = await openLake({ dir: join(dir, 'lake') });
  const lakeMs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    await lake.writeBatch({ table: 'measurement', batchId: `b${r}`, columns, rows });
    lakeMs.push(performance.now() - t);
  }
  const t0 = performance.now();
  const [count] = await lake.query<{ n: number }>('SELECT count(*)::BIGINT AS n FROM measurement');
  const scanMs = performance.now() - t0;
  await lake.close();

  const baseMs: number[] = [];
  const duck = await DuckDBInstance.create(':memory:');
  const conn = await duck.connect();
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    await conn.run(
      'CREATE OR REPLACE TABLE m (person_id BIGINT, measurement_code VARCHAR, value DOUBLE, unit VARCHAR, measured_on DATE, source_row BIGINT)',
    );
    const appender = await conn.createAppender('m');
    for (const row of rows) {
      appender.appendBigInt(BigInt(row.person_id));
      appender.appendVarchar(row.measurement_code);
      appender.appendDouble(row.value);
      appender.appendVarchar(row.unit);
      appender.appendVarchar(row.measured_on);
      appender.appendBigInt(BigInt(row.source_row));
      appender.endRow();
    }
    appender.closeSync();
    await conn.run(`COPY m TO '${join(dir, `base-${r}.parquet`)}' (FORMAT parquet, COMPRESSION zstd)`);
    baseMs.push(performance.now() - t);
  }
  conn.closeSync();

  const lakeMed = median(lakeMs);
  const baseMed = median(baseMs);
  report(
    `lake write: ${ROWS.toLocaleString()} rows × 6 columns per batch, median of ${RUNS}`,
    [
      {
        what: 'Lake.writeBatch (validated, atomic, fsync)',
        ms: Math.round(lakeMed),
        rows_per_s: Math.round(ROWS / (lakeMed / 1000)),
      },
      {
        what: 'baseline: DuckDB appender + COPY',
        ms: Math.round(baseMed),
        rows_per_s: Math.round(ROWS / (baseMed / 1000)),
      },
      {
        what: `scan count(*) over ${RUNS} batches`,
        ms: Math.round(scanMs),
        rows_per_s: Math.round(Number(count?.n ?? 0) / (scanMs / 1000)),
      },
    ],
    {
      bench: 'lake',
      rows_per_batch: ROWS,
      write_rows_per_s: Math.round(ROWS / (lakeMed / 1000)),
      baseline_rows_per_s: Math.round(ROWS / (baseMed / 1000)),
      ratio_to_baseline: Number((lakeMed / baseMed).toFixed(2)),
      scan_ms: Math.round(scanMs),
    },
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
