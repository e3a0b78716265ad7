/** `meridian demo [start]`: the demo consortium (what `npm start` runs); `meridian demo generate`: synthetic hospital data. */

import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { generateConsortium } from '../demo/generator/index.ts';
import { runDemo } from '../demo/launcher.ts';
import { loadDemoNode } from '../demo/load.ts';
import { positiveInt } from './ca-commands.ts';
import { homeOption } from './home.ts';
import { nodeConfigFor, printSummary } from './ingest-commands.ts';

/** Registers `demo`. */
export function registerDemoCommand(program: Command): void {
  const demo = program.command('demo').description('The demo consortium and its synthetic hospital data');
  demo
    .command('start', { isDefault: true })
    .description(
      'Start a demo consortium: one hub and three hospital nodes as separate processes, portal on --hub-port',
    )
    .addOption(homeOption())
    .option('--host <host>', 'address every server listens on', '127.0.0.1')
    .option('--hub-port <port>', 'portal and user API port', '8080')
    .option('--hub-peer-port <port>', 'hub institution port (mutual TLS)', '8443')
    .option('--node-base-port <port>', 'first node peer port; the others follow', '9441')
    .option('--start-timeout-ms <ms>', 'give up if the consortium is not up within this time', '120000')
    .option('--patients <n>', 'patients per hospital generated and loaded on first start', '300')
    .option('--no-data', 'start without generating and loading the demo data')
    .action(
      async (o: {
        home?: string;
        host: string;
        hubPort: string;
        hubPeerPort: string;
        nodeBasePort: string;
        startTimeoutMs: string;
        patients: string;
        data: boolean;
      }) => {
        await runDemo({
          patients: o.data ? positiveInt(o.patients, '--patients') : 0,
          home: o.home,
          host: o.host,
          hubPort: positiveInt(o.hubPort, '--hub-port'),
          hubPeerPort: positiveInt(o.hubPeerPort, '--hub-peer-port'),
          nodeBasePort: positiveInt(o.nodeBasePort, '--node-base-port'),
          startTimeoutMs: positiveInt(o.startTimeoutMs, '--start-timeout-ms'),
        });
      },
    );
}

/** Registers `demo generate`. */
export function registerDemoGenerateCommand(program: Command): void {
  const demo = program.commands.find((c) => c.name() === 'demo');
  if (!demo) throw new Error('register the demo command first');
  demo
    .command('generate')
    .description(
      'Write synthetic exports of 1–3 hospitals (HIS CSV/Excel, HL7 v2, FHIR, DICOM) and a ground-truth manifest; same seed, same bytes',
    )
    .option('--hospitals <n>', 'how many hospitals (1–3)', '3')
    .option('--patients <n>', 'patients per hospital', '20000')
    .option('--seed <seed>', 'random seed (number or text)', '42')
    .requiredOption('--out <dir>', 'output directory (must be empty or absent)')
    .option('--overwrite', 'replace an earlier generation in --out')
    .action(async (o: { hospitals: string; patients: string; seed: string; out: string; overwrite?: boolean }) => {
      const bar = new SingleBar(
        { format: '{hospital} [{bar}] {value}/{total} patients', hideCursor: true, noTTYOutput: false },
        Presets.shades_classic,
      );
      let current = '';
      const result = await generateConsortium({
        hospitals: positiveInt(o.hospitals, '--hospitals'),
        patients: positiveInt(o.patients, '--patients'),
        seed: /^\d+$/.test(o.seed) ? Number(o.seed) : o.seed,
        outDir: o.out,
        overwrite: o.overwrite === true,
        onProgress: (p) => {
          if (p.hospital !== current) {
            if (current) bar.stop();
            current = p.hospital;
            bar.start(p.total, p.done, { hospital: p.hospital });
          } else bar.update(p.done);
        },
      });
      if (current) bar.stop();
      const t = result.manifest.totals as unknown as Record<string, unknown>;
      process.stdout.write(
        `wrote ${result.outDir} in ${(result.elapsedMs / 1000).toFixed(1)} s (${Math.round(result.patientsPerSecond)} patients/s); manifest: ${result.manifestPath}\n${JSON.stringify(t)}\n`,
      );
    });
}

/** Registers `demo load` (used by the demo's first start; also loads a stopped node by hand). */
export function registerDemoLoadCommand(program: Command): void {
  const demo = program.commands.find((c) => c.name() === 'demo');
  if (!demo) throw new Error('register the demo command first');
  demo
    .command('load')
    .description(
      "Load a demo hospital's generated exports into its stopped node, with the hospital's built-in mappings",
    )
    .requiredOption('--node <name>', 'demo hospital / node name (hospital-a, hospital-b, hospital-c)')
    .requiredOption('--data <dir>', 'output directory of `demo generate`')
    .option('--config <file>', "the node's config file (default <home>/nodes/<name>/meridian.json)")
    .addOption(homeOption())
    .action(async (o: { node: string; data: string; config?: string; home?: string }) => {
      let last = 0;
      const summary = await loadDemoNode({
        config: nodeConfigFor(o.home, o.node, o.config),
        hospital: o.node,
        dataDir: o.data,
        onProgress: (p) => {
          const now = Date.now();
          if (now - last < 2000 || p.phase === 'done') return;
          last = now;
          const pct = Math.floor((100 * p.bytesDone) / Math.max(p.bytesTotal, 1));
          process.stdout.write(
            `${p.phase} ${pct}% · ${p.filesDone}/${p.filesTotal} files · ${p.rowsLoaded} rows · ${p.rejected} rejected\n`,
          );
        },
      });
      printSummary(summary, (l) => process.stdout.write(`${l}\n`));
    });
}
