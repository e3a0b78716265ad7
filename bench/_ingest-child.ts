/**
 * One measured load for bench/ingest.ts, in its own process so its peak memory is its own: opens a fresh node
 * data directory, installs the three demo hospitals' mappings and loads each hospital's exports under its
 * source. Prints one JSON line: per-file results, wall time and peak RSS.
 */
import { join } from 'node:path';
import { DEMO_MAPPINGS } from '../src/demo/mappings/index.ts';
import { openNodeStores } from '../src/node/stores.ts';

const [dataDir, nodeDir] = process.argv.slice(2) as [string, string];
const stores = await openNodeStores({ dataDir: nodeDir, databaseUrl: undefined });
const files: { name: string; format: string | null; rows: number; records: number; rejected: number; ms: number }[] =
  [];
const t0 = performance.now();
for (const [hospital, mappings] of Object.entries(DEMO_MAPPINGS)) {
  await stores.ingest.installMappings(mappings, 'bench');
  const summary = await stores.ingest.ingest({
    path: join(dataDir, hospital),
    source: (mappings.profile as { source: string }).source,
  });
  for (const f of summary.files) {
    if (f.status === 'failed') throw new Error(`${hospital}/${f.name}: ${f.error?.message}`);
    files.push({
      name: `${hospital}/${f.name}`,
      format: f.format,
      rows: f.rowsLoaded,
      records: f.recordsRead,
      rejected: f.rejected,
      ms: f.elapsedMs,
    });
  }
}
const wallMs = performance.now() - t0;
await stores.close();
process.stdout.write(`${JSON.stringify({ files, wallMs, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
