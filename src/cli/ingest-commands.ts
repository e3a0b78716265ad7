/**
 * `meridian ingest` and `meridian mapping`: load hospital files into a node and look after its mappings. Both
 * talk to the running node over its local API (mutual TLS with the node's own certificate) or, when the node
 * is stopped, open its data directory directly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { httpsRequestJson, loadTlsMaterial } from '../ca/index.ts';
import { loadConfig } from '../config/load.ts';
import type { NodeConfig } from '../config/schema.ts';
import { isMeridianError, MeridianError } from '../errors/registry.ts';
import { importMappings } from '../node/ingest-routes.ts';
import { openNodeStores } from '../node/stores.ts';
import type { LoadProgress, LoadSummary } from '../pipeline/loader.ts';
import type { UnmappedRow } from '../pipeline/service.ts';
import { SOURCE_FORMATS, type SourceFormat } from '../sources/index.ts';
import { homeLayout, homeOption } from './home.ts';

/** The node's configuration as the CLI finds it: its meridian.json under the home, else the defaults. */
export function nodeConfigFor(home: string | undefined, name: string, file?: string): NodeConfig {
  const layout = homeLayout(home);
  const dir = layout.nodeDir(name);
  const candidate = file ?? join(dir, 'meridian.json');
  return loadConfig({
    role: 'node',
    file: existsSync(candidate) ? candidate : undefined,
    overrides: {
      dataDir: existsSync(candidate) ? undefined : dir,
      pki: { caDir: layout.caDir, identity: name },
      node: { name },
    },
  });
}

/** What the CLI asks of a node, answered by the running node (over HTTPS) or by its opened data directory. */
interface NodeIngestApi {
  ingest(
    body: { path: string; source?: string; format?: SourceFormat },
    onProgress: (p: LoadProgress) => void,
  ): Promise<LoadSummary>;
  rerun(source: string | undefined): Promise<LoadSummary>;
  unmapped(source: string | undefined): Promise<UnmappedRow[]>;
  setCodes(body: {
    spec: string;
    codeMap: string;
    entries: { code: string; to: string | null }[];
  }): Promise<{ id: string; version: number }>;
  importMappings(body: { profile?: unknown; specs: unknown[] }): Promise<unknown>;
  close(): Promise<void>;
}

/** Runs `fn` against the node: the running one when it answers, else its data directory (closed afterwards). */
async function withNode<T>(
  o: { home?: string; node: string; config?: string },
  fn: (api: NodeIngestApi) => Promise<T>,
): Promise<T> {
  const api = await connect(nodeConfigFor(o.home, o.node, o.config));
  try {
    return await fn(api);
  } finally {
    await api.close();
  }
}

async function connect(config: NodeConfig): Promise<NodeIngestApi> {
  const tls = loadTlsMaterial({ dir: config.pki.caDir, name: config.pki.identity });
  const base = `https://${config.node.host}:${config.node.port}`;
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 24 * 3600_000) => {
    const res = await httpsRequestJson({
      url: `${base}${path}`,
      method,
      body,
      tls,
      expect: { name: config.node.name },
      timeoutMs,
    });
    if (res.status >= 400) {
      const err = (res.body as { error?: { code?: string; message?: string } }).error;
      throw new MeridianError(
        (err?.code as 'MER_INTERNAL') ?? 'MER_INTERNAL',
        err?.message ?? `node answered ${res.status}`,
      );
    }
    return res.body;
  };
  try {
    await call('GET', '/local/v1/ingest/running', undefined, 3000);
    return remoteApi(call);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (
      isMeridianError(e) ||
      (code !== 'ECONNREFUSED' && code !== 'ETIMEDOUT' && !/timed out/.test((e as Error).message))
    )
      throw e;
  }
  const stores = await openNodeStores(config);
  const by = `cli@${config.node.name}`;
  const ingest = stores.ingest;
  return {
    ingest: (body, onProgress) => ingest.ingest({ ...body, onProgress }),
    rerun: (source) => ingest.rerun({ source }),
    unmapped: (source) => ingest.unmapped(source),
    setCodes: (body) => ingest.setCodes({ ...body, by }),
    importMappings: (body) => importMappings(ingest, body, by),
    close: () => stores.close(),
  };
}

type Call = (method: 'GET' | 'POST', path: string, body?: unknown) => Promise<unknown>;

/** The running node's local API; progress of a load is polled while it runs. */
function remoteApi(call: Call): NodeIngestApi {
  return {
    async ingest(body, onProgress) {
      const timer = setInterval(() => {
        call('GET', '/local/v1/ingest/running')
          .then((r) => {
            const p = (r as { running: { progress: LoadProgress | null } | null }).running?.progress;
            if (p) onProgress(p);
          })
          .catch(() => undefined);
      }, 500);
      try {
        return (await call('POST', '/local/v1/ingest', body)) as LoadSummary;
      } finally {
        clearInterval(timer);
      }
    },
    rerun: async (source) => (await call('POST', '/local/v1/ingest/rerun', { source })) as LoadSummary,
    unmapped: async (source) =>
      (
        (await call('GET', `/local/v1/mapping/unmapped${source ? `?source=${encodeURIComponent(source)}` : ''}`)) as {
          unmapped: UnmappedRow[];
        }
      ).unmapped,
    setCodes: async (body) => (await call('POST', '/local/v1/mapping/codes', body)) as { id: string; version: number },
    importMappings: (body) => call('POST', '/local/v1/mapping/import', body),
    close: async () => undefined,
  };
}

function progressBar(json: boolean): { update(p: LoadProgress): void; stop(): void } {
  if (json) return { update() {}, stop() {} };
  const bar = new SingleBar(
    {
      format:
        '{phase} [{bar}] {percentage}% | {files} files | {records} records → {rows} rows, {rejected} rejected | {file}',
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      stream: process.stderr,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      const payload = {
        phase: p.phase,
        files: `${p.filesDone}/${p.filesTotal}`,
        records: p.recordsRead,
        rows: p.rowsLoaded,
        rejected: p.rejected,
        file: p.file.slice(-40),
      };
      if (!started) {
        bar.start(Math.max(p.bytesTotal, 1), p.bytesDone, payload);
        started = true;
      } else bar.update(p.bytesDone, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** Prints a load summary for people. */
export function printSummary(s: LoadSummary, out: (line: string) => void): void {
  const t = s.totals;
  out(
    `load ${s.loadId} (source ${s.source}): ${t.files} files — ${t.loaded} loaded, ${t.unchanged} unchanged, ${t.failed} failed`,
  );
  out(`  records read ${t.recordsRead}, rows loaded ${t.rowsLoaded}, rejected ${t.rejected}, not mapped ${t.skipped}`);
  for (const [table, n] of Object.entries(s.rowsByTable).sort()) out(`  ${table.padEnd(22)} ${n}`);
  const reasons = Object.entries(s.rejectsByReason).sort((a, b) => b[1] - a[1]);
  if (reasons.length > 0) out(`  rejects by reason: ${reasons.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  for (const f of s.files.filter((x) => x.status === 'failed'))
    out(`  FAILED ${f.name}: ${f.error?.message} [${f.error?.code}]`);
  if (s.notarized) out(`  notarized ${s.notarized.entries} new files, batch root ${s.notarized.batchRoot}`);
}

function printUnmapped(rows: UnmappedRow[], out: (line: string) => void): void {
  if (rows.length === 0) {
    out('no unmapped codes');
    return;
  }
  out('count  source/spec/codeMap                      code            name                 suggestions');
  for (const u of rows.slice(0, 200)) {
    const sugg = u.suggestions.map((s) => `${s.code} ${s.name} (${s.score})`).join('; ');
    out(
      `${String(u.count).padStart(5)}  ${`${u.source}/${u.spec}/${u.codeMap}`.padEnd(40)} ${u.code.padEnd(15)} ${(u.name ?? '').padEnd(20)} ${sugg}`,
    );
  }
}

/** Registers `ingest` and `mapping`. */
export function registerIngestCommands(program: Command): void {
  program
    .command('ingest')
    .description(
      'Load hospital files (a file or a directory) into a node: land in the ODS, map to DWD, quarantine rejects',
    )
    .argument('<path>', 'file or directory')
    .requiredOption('--node <name>', 'the node to load into')
    .option('--source <name>', "the node's source profile (needed when it has several)")
    .option('--format <format>', `force a format: ${SOURCE_FORMATS.join(', ')} (detected when absent)`)
    .option('--config <file>', "the node's config file (default <home>/nodes/<name>/meridian.json)")
    .option('--json', 'print the load summary as JSON')
    .addOption(homeOption())
    .action(
      async (
        path: string,
        o: { node: string; source?: string; format?: string; config?: string; json?: boolean; home?: string },
      ) => {
        if (o.format !== undefined && !(SOURCE_FORMATS as readonly string[]).includes(o.format)) {
          throw new MeridianError('MER_CLI_USAGE', `--format ${o.format}: use one of ${SOURCE_FORMATS.join(', ')}`);
        }
        const format = o.format as SourceFormat | undefined;
        const bar = progressBar(o.json === true);
        const summary = await withNode(o, (api) =>
          api.ingest({ path: resolve(path), source: o.source, format }, (p) => bar.update(p)),
        ).finally(() => bar.stop());
        if (o.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
        else printSummary(summary, (l) => process.stdout.write(`${l}\n`));
        if (summary.totals.failed > 0) process.exitCode = 1;
      },
    );

  const mapping = program
    .command('mapping')
    .description("A node's mapping specs: unmapped codes, code-map edits, import, re-run");
  const common = (c: Command) =>
    c
      .requiredOption('--node <name>', 'the node')
      .option('--config <file>', "the node's config file (default <home>/nodes/<name>/meridian.json)")
      .addOption(homeOption());

  common(
    mapping.command('list').description('Unmapped local codes over the current files, with suggested standard codes'),
  )
    .option('--source <name>', 'only this source')
    .option('--json', 'print JSON')
    .action(async (o: { node: string; config?: string; home?: string; source?: string; json?: boolean }) => {
      const rows = await withNode(o, (api) => api.unmapped(o.source));
      if (o.json) process.stdout.write(`${JSON.stringify({ unmapped: rows })}\n`);
      else printUnmapped(rows, (l) => process.stdout.write(`${l}\n`));
    });

  common(
    mapping
      .command('set')
      .description('Map local codes in a code map: CODE=STANDARD (or CODE= to remove); a new spec version'),
  )
    .requiredOption('--spec <id>', 'mapping spec id')
    .requiredOption('--code-map <name>', 'code map in the spec')
    .argument('<entries...>', 'CODE=STANDARD pairs')
    .option('--rerun', 're-map the current files under the new version afterwards')
    .option('--source <name>', 'source to re-run (when the node has several)')
    .action(
      async (
        entries: string[],
        o: {
          node: string;
          config?: string;
          home?: string;
          spec: string;
          codeMap: string;
          rerun?: boolean;
          source?: string;
        },
      ) => {
        const parsed = entries.map((e) => {
          const i = e.indexOf('=');
          if (i <= 0)
            throw new MeridianError('MER_CLI_USAGE', `"${e}": write CODE=STANDARD, or CODE= to remove a mapping`);
          const to = e.slice(i + 1).trim();
          return { code: e.slice(0, i).trim(), to: to === '' ? null : to };
        });
        await withNode(o, async (api) => {
          const spec = await api.setCodes({ spec: o.spec, codeMap: o.codeMap, entries: parsed });
          process.stdout.write(`stored ${spec.id}@${spec.version}\n`);
          if (o.rerun) printSummary(await api.rerun(o.source), (l) => process.stdout.write(`${l}\n`));
        });
      },
    );

  common(
    mapping
      .command('import')
      .description('Store mapping specs and a source profile from a JSON file {"profile":…,"specs":[…]}'),
  )
    .argument('<file>', 'JSON file')
    .action(async (file: string, o: { node: string; config?: string; home?: string }) => {
      let body: { profile?: unknown; specs?: unknown[] };
      try {
        body = JSON.parse(readFileSync(file, 'utf8'));
      } catch (e) {
        throw new MeridianError('MER_CLI_USAGE', `${file}: ${(e as Error).message}`);
      }
      const r = await withNode(o, (api) => api.importMappings({ profile: body.profile, specs: body.specs ?? [] }));
      process.stdout.write(`${JSON.stringify(r)}\n`);
    });

  common(
    mapping.command('rerun').description('Re-map the current files of a source from the ODS under the newest specs'),
  )
    .option('--source <name>', 'source (when the node has several)')
    .option('--json', 'print the load summary as JSON')
    .action(async (o: { node: string; config?: string; home?: string; source?: string; json?: boolean }) => {
      const summary = await withNode(o, (api) => api.rerun(o.source));
      if (o.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else printSummary(summary, (l) => process.stdout.write(`${l}\n`));
    });
}
