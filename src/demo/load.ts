/**
 * The demo's first start: generate the three hospitals' exports once, then load each hospital's files into its
 * (still stopped) node with that hospital's built-in mappings — each node in its own process, in parallel, so
 * the two cores are both busy. A marker file per node records the load, so later starts skip it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { NodeConfig } from '../config/schema.ts';
import { MeridianError } from '../errors/registry.ts';
import { openNodeStores } from '../node/stores.ts';
import type { LoadProgress, LoadSummary } from '../pipeline/loader.ts';
import { writeFileAtomic } from '../store/index.ts';
import { DEMO_HOSPITALS } from './consortium.ts';
import { generateConsortium } from './generator/index.ts';
import { DEMO_MAPPINGS } from './mappings/index.ts';

/** The marker a loaded demo node keeps in its data directory. */
export const DEMO_LOADED_MARKER = 'demo-loaded.json';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'meridian.js');

/** How demo data is stored now; a node loaded under another layout is emptied and loaded again. */
const DEMO_DATA_LAYOUT = 'identifiers encrypted at rest/1';

/** Whether a demo node already holds its generated data, stored the way this version stores it. */
export function demoNodeLoaded(dataDir: string): boolean {
  const marker = join(dataDir, DEMO_LOADED_MARKER);
  if (!existsSync(marker)) return false;
  return (JSON.parse(readFileSync(marker, 'utf8')) as { layout?: string }).layout === DEMO_DATA_LAYOUT;
}

/**
 * Empties a demo node that an older version loaded (its lake may hold identifiers in the clear, which this
 * version's node refuses to open), keeping its configuration file.
 */
function resetStaleDemoNode(dataDir: string, configFile: string): void {
  if (!existsSync(join(dataDir, DEMO_LOADED_MARKER))) return;
  for (const entry of readdirSync(dataDir)) {
    if (join(dataDir, entry) !== resolve(configFile)) rmSync(join(dataDir, entry), { recursive: true, force: true });
  }
}

/** Loads one demo hospital's generated exports into its stopped node (installs its mappings first). */
export async function loadDemoNode(opts: {
  config: NodeConfig;
  hospital: string;
  dataDir: string;
  onProgress?: (p: LoadProgress) => void;
}): Promise<LoadSummary> {
  const mappings = DEMO_MAPPINGS[opts.hospital as keyof typeof DEMO_MAPPINGS];
  if (!mappings) {
    throw new MeridianError(
      'MER_CLI_USAGE',
      `no demo mappings for "${opts.hospital}" (demo hospitals: ${Object.keys(DEMO_MAPPINGS).join(', ')})`,
    );
  }
  const stores = await openNodeStores(opts.config);
  try {
    await stores.ingest.installMappings(mappings, 'demo');
    const summary = await stores.ingest.ingest({
      path: join(opts.dataDir, opts.hospital),
      source: (mappings.profile as { source: string }).source,
      onProgress: opts.onProgress,
    });
    writeFileAtomic(
      join(opts.config.dataDir, DEMO_LOADED_MARKER),
      JSON.stringify({
        layout: DEMO_DATA_LAYOUT,
        loadId: summary.loadId,
        totals: summary.totals,
        finishedAt: summary.finishedAt,
      }),
    );
    return summary;
  } finally {
    await stores.close();
  }
}

/**
 * Generates the demo data under `<home>/demo-data` if absent, then loads every node that is not yet loaded,
 * one child process per node, printing progress lines through `say`.
 */
export async function prepareDemoData(opts: {
  home: string;
  nodes: readonly { name: string; configFile: string; dataDir: string }[];
  patients: number;
  say: (line: string) => void;
}): Promise<void> {
  const pending = opts.nodes.filter((n) => !demoNodeLoaded(n.dataDir));
  if (pending.length === 0) return;
  for (const n of pending) resetStaleDemoNode(n.dataDir, n.configFile);
  const dataDir = join(opts.home, 'demo-data');
  if (!existsSync(join(dataDir, 'manifest.json'))) {
    opts.say(`generating synthetic exports of ${DEMO_HOSPITALS.length} hospitals, ${opts.patients} patients each …`);
    let last = 0;
    const r = await generateConsortium({
      hospitals: DEMO_HOSPITALS.length,
      patients: opts.patients,
      seed: 42,
      outDir: dataDir,
      overwrite: true,
      onProgress: (p) => {
        const pct = Math.floor((100 * p.done) / Math.max(p.total, 1));
        if (pct >= last + 25 || p.done === p.total) {
          last = p.done === p.total ? 0 : pct;
          opts.say(`  ${p.hospital}: ${p.done}/${p.total} patients`);
        }
      },
    });
    opts.say(`generated in ${(r.elapsedMs / 1000).toFixed(1)} s → ${dataDir}`);
  }
  opts.say(`loading the exports into ${pending.map((n) => n.name).join(', ')} (first start only) …`);
  const started = Date.now();
  const runs = pending.map(
    (n) =>
      new Promise<void>((resolvePromise, reject) => {
        const child: ChildProcess = spawn(
          process.execPath,
          [BIN, 'demo', 'load', '--home', opts.home, '--node', n.name, '--config', n.configFile, '--data', dataDir],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let err = '';
        child.stderr?.on('data', (b: Buffer) => {
          err = (err + b.toString('utf8')).slice(-4000);
        });
        child.stdout?.setEncoding('utf8');
        let buf = '';
        child.stdout?.on('data', (s: string) => {
          buf += s;
          for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (line.trim()) opts.say(`  ${n.name}: ${line}`);
          }
        });
        child.on('exit', (code) => {
          if (code === 0) resolvePromise();
          else reject(new MeridianError('MER_INTERNAL', `loading ${n.name} failed (exit ${code}): ${err.trim()}`));
        });
      }),
  );
  await Promise.all(runs);
  opts.say(`loaded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const n of pending) {
    const m = JSON.parse(readFileSync(join(n.dataDir, DEMO_LOADED_MARKER), 'utf8')) as {
      totals: LoadSummary['totals'];
    };
    opts.say(
      `  ${n.name}: ${m.totals.rowsLoaded} rows from ${m.totals.files} files, ${m.totals.rejected} records quarantined`,
    );
  }
}
