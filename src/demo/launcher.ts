/**
 * `npm start`: the demo consortium on one machine. Creates the CA and identities on first run, and the
 * consortium ledger's config and genesis (src/demo/ledger.ts); starts the four ledger validators (hub and
 * hospitals) as separate processes, builds the portal if needed while they come up, writes one config file per
 * server (every node notarizes its loads on the ledger), loads the demo data, starts the hub and three hospital
 * nodes, waits until every node is up, and prints the portal address, the ledger's height and the demo accounts.
 * Ctrl-C stops everything; a second start reuses the same home directory (a home made before the demo had a
 * ledger gets one then).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ensureCa, ensureIdentity, httpsRequestJson, loadTlsMaterial } from '../ca/index.ts';
import { type HomeLayout, homeLayout } from '../cli/home.ts';
import { MeridianError } from '../errors/registry.ts';
import type { NodeView } from '../hub/nodes/node-tracker.ts';
import { writeFileAtomic } from '../store/index.ts';
import {
  DEMO_ACCOUNTS,
  DEMO_AUTO_APPROVE,
  DEMO_HOSPITALS,
  DEMO_PASSWORD,
  DEMO_QUERY_REPEATS_MAX,
} from './consortium.ts';
import {
  DEMO_CHAIN_ID,
  DEMO_LEDGER_PORT_OFFSET,
  type DemoLedger,
  demoLedgerStatus,
  demoValidatorArgs,
  ensureDemoLedger,
} from './ledger.ts';
import { prepareDemoData } from './load.ts';
import { demoPortUses, requireFreePorts } from './ports.ts';

/** Options of {@link runDemo} (the CLI flags of `meridian demo`). */
export interface DemoOptions {
  home?: string | undefined;
  host: string;
  hubPort: number;
  hubPeerPort: number;
  nodeBasePort: number;
  /** How long to wait for every node to come up before giving up. */
  startTimeoutMs: number;
  /** Patients per hospital generated and loaded on first start (0: no demo data). */
  patients: number;
}

const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'meridian.js');
/** Longest a child may take to stop after SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 15_000;
/** Longest one status request to a validator may take while the launcher waits for the ledger. */
const LEDGER_STATUS_TIMEOUT_MS = 1_000;

interface Child {
  name: string;
  proc: ChildProcess;
  exited: Promise<void>;
}

/** Runs the demo consortium until SIGINT/SIGTERM. */
export async function runDemo(opts: DemoOptions): Promise<void> {
  const layout = homeLayout(opts.home);
  for (const dir of [layout.root, layout.logsDir]) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const firstRun = !existsSync(join(layout.caDir, 'ca.cert.pem'));
  say(
    firstRun ? `first start: creating the consortium CA and certificates in ${layout.caDir}` : `reusing ${layout.root}`,
  );
  await ensureCa({ dir: layout.caDir, commonName: 'Meridian Demo Consortium CA' });
  const hosts = [...new Set(['localhost', '127.0.0.1', '::1', opts.host])];
  await ensureIdentity({ dir: layout.caDir, name: 'hub', role: 'hub', hosts });
  for (const h of DEMO_HOSPITALS) await ensureIdentity({ dir: layout.caDir, name: h.name, role: 'node', hosts });
  const ledger = ensureDemoLedger({
    dir: join(layout.root, 'ledger'),
    caDir: layout.caDir,
    institutions: [
      { name: 'hub', role: 'hub' },
      ...DEMO_HOSPITALS.map((h) => ({ name: h.name, role: 'hospital' as const })),
    ],
    basePort: opts.nodeBasePort + DEMO_LEDGER_PORT_OFFSET,
    now: () => new Date(),
  });
  if (ledger.created) say(`creating the consortium ledger ${DEMO_CHAIN_ID} (4 validators) in ${ledger.dir}`);
  await requireFreePorts(
    demoPortUses({
      host: opts.host,
      hubPort: opts.hubPort,
      hubPeerPort: opts.hubPeerPort,
      nodes: DEMO_HOSPITALS.map((h, i) => ({ name: h.name, port: opts.nodeBasePort + i })),
      validators: ledger.config.validators,
    }),
  );

  const children: Child[] = [];
  let stopping = false;
  const stopChildren = async () => {
    stopping = true;
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGTERM');
    const killer = setTimeout(() => {
      for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
    }, STOP_TIMEOUT_MS);
    await Promise.all(children.map((c) => c.exited));
    clearTimeout(killer);
  };
  const stopAll = async () => {
    if (stopping) return;
    say('stopping the consortium …');
    await stopChildren();
    say('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stopAll());
  process.on('SIGTERM', () => void stopAll());
  const start = (name: string, args: string[]) => {
    const child = startChild(layout, name, args, () => stopping);
    children.push(child);
    return child;
  };
  try {
    await startConsortium(opts, layout, ledger, start, () => stopping);
  } catch (e) {
    if (!stopping) await stopChildren();
    throw e;
  }
}

/** Starts the validators, the hub and the nodes (in that order, the portal built meanwhile) and prints the banner. */
async function startConsortium(
  opts: DemoOptions,
  layout: HomeLayout,
  ledger: DemoLedger,
  start: (name: string, args: string[]) => Child,
  stopping: () => boolean,
): Promise<void> {
  // The validators start first and in parallel: the demo data's first load notarizes on the ledger.
  const validators = ledger.config.validators.map((v) =>
    start(`ledger-${v.name}`, demoValidatorArgs(ledger, layout.caDir, v.name)),
  );
  const tls = loadTlsMaterial({ dir: layout.caDir, name: 'hub' });
  const linkageKey = ensureLinkageKey(join(layout.root, 'consortium-secrets', 'linkage.key'));
  await ensurePortalBuilt();
  const hubPeerUrl = `https://${urlHost(opts.host)}:${opts.hubPeerPort}`;
  const hubUrl = `http://${urlHost(opts.host)}:${opts.hubPort}`;
  const hubConfig = writeConfig(join(layout.hubDir, 'meridian.json'), {
    role: 'hub',
    dataDir: layout.hubDir,
    pki: { caDir: layout.caDir, identity: 'hub' },
    hub: {
      host: opts.host,
      port: opts.hubPort,
      peerPort: opts.hubPeerPort,
      portalDir: join(ROOT, 'web', 'dist'),
      ledger: { configFile: ledger.configFile },
      queryLimit: { repeatsMax: DEMO_QUERY_REPEATS_MAX },
    },
  });
  const nodes = DEMO_HOSPITALS.map((h, i) => {
    const port = opts.nodeBasePort + i;
    const configFile = writeConfig(join(layout.nodeDir(h.name), 'meridian.json'), {
      role: 'node',
      dataDir: layout.nodeDir(h.name),
      pki: { caDir: layout.caDir, identity: h.name },
      node: {
        name: h.name,
        displayName: h.displayName,
        host: opts.host,
        port,
        hubUrl: hubPeerUrl,
        linkageKeyFile: linkageKey,
        ledger: { configFile: ledger.configFile, prefer: h.name },
        federation: { autoApprove: [...DEMO_AUTO_APPROVE] },
      },
    });
    return { ...h, configFile, url: `https://${urlHost(opts.host)}:${port}` };
  });
  writeConfig(layout.consortiumFile, { hubUrl, hubPeerUrl, hubIdentity: 'hub', nodes });
  await waitFor(`the ledger's ${validators.length} validators`, opts.startTimeoutMs, async () => {
    for (const c of validators) if (c.proc.exitCode !== null && !stopping()) throw startFailure(layout, c.name);
    const status = await demoLedgerStatus(ledger.config, tls, LEDGER_STATUS_TIMEOUT_MS);
    return status.every((s) => s.height !== undefined);
  });
  if (opts.patients > 0) {
    await prepareDemoData({
      home: layout.root,
      nodes: nodes.map((n) => ({ name: n.name, configFile: n.configFile, dataDir: layout.nodeDir(n.name) })),
      patients: opts.patients,
      say,
    });
  }

  const children = [...validators];
  const hub = start('hub', ['hub', 'start', '--config', hubConfig, '--seed-demo-accounts']);
  children.push(hub);
  await waitFor(`the hub at ${hubUrl}`, opts.startTimeoutMs, async () => {
    if (hub.proc.exitCode !== null) throw startFailure(layout, 'hub');
    const res = await fetch(`${hubUrl}/ready`).catch(() => undefined);
    return res?.status === 200;
  });
  for (const n of nodes) children.push(start(n.name, ['node', 'start', '--config', n.configFile]));

  await waitFor('three nodes up', opts.startTimeoutMs, async () => {
    for (const c of children) if (c.proc.exitCode !== null && !stopping()) throw startFailure(layout, c.name);
    const res = await httpsRequestJson({
      url: `${hubPeerUrl}/peer/v1/consortium`,
      method: 'GET',
      tls,
      timeoutMs: 2_000,
    }).catch(() => undefined);
    const up = ((res?.body as { nodes?: NodeView[] } | undefined)?.nodes ?? []).filter((n) => n.state === 'up').length;
    return up >= nodes.length;
  });
  const heights = (await demoLedgerStatus(ledger.config, tls, LEDGER_STATUS_TIMEOUT_MS)).flatMap((s) =>
    s.height === undefined ? [] : [s.height],
  );
  printBanner({
    hubUrl,
    layout,
    nodes,
    ledger: { validators: ledger.config.validators.length, height: heights.length > 0 ? Math.max(...heights) : null },
  });
}

/**
 * The demo consortium's record-linkage key, made once: in a real consortium the hospitals agree on it among
 * themselves and the hub never has it; here all nodes run on one machine and share the file.
 */
function ensureLinkageKey(file: string): string {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32), { mode: 0o600, flag: 'wx' });
  }
  return file;
}

function startChild(layout: HomeLayout, name: string, args: string[], stopping: () => boolean): Child {
  const log = createWriteStream(join(layout.logsDir, `${name}.log`), { flags: 'a' });
  const proc = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: serverEnv(),
  });
  proc.stdout?.pipe(log);
  proc.stderr?.pipe(log);
  const exited = new Promise<void>((res) => {
    proc.on('exit', (code, signal) => {
      if (!stopping()) {
        say(`${name} stopped (${signal ?? `exit code ${code}`}); log: ${join(layout.logsDir, `${name}.log`)}`);
        say(`  restart it with: npx meridian ${args.join(' ')}`);
      }
      res();
    });
  });
  return { name, proc, exited };
}

/** The environment for child servers: the caller's, minus MERIDIAN_* values the config files already set. */
function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('MERIDIAN_') || k === 'MERIDIAN_LOG_LEVEL') env[k] = v;
  return env;
}

function writeConfig(file: string, value: unknown): string {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
  return file;
}

function startFailure(layout: HomeLayout, name: string): MeridianError {
  const file = join(layout.logsDir, `${name}.log`);
  const tail = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-5).join('\n    ') : '';
  return new MeridianError('MER_HUB_UNREACHABLE', `${name} failed to start; last lines of ${file}:\n    ${tail}`);
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new MeridianError('MER_HUB_UNREACHABLE', `timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Builds the portal with Vite when web/dist is missing or older than its sources. */
async function ensurePortalBuilt(): Promise<void> {
  const index = join(ROOT, 'web', 'dist', 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newestMtime(join(ROOT, 'web'), ['dist'])) return;
  say('building the portal (first start only) …');
  const started = Date.now();
  const vite = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  await new Promise<void>((res, rej) => {
    const p = spawn(
      process.execPath,
      [vite, 'build', '--config', join(ROOT, 'web', 'vite.config.ts'), '--logLevel', 'warn'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    p.on('exit', (code) =>
      code === 0 ? res() : rej(new MeridianError('MER_INTERNAL', `portal build failed (exit ${code})`)),
    );
  });
  say(`portal built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function newestMtime(dir: string, skip: string[]): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (skip.includes(entry.name)) continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path, []) : statSync(path).mtimeMs);
  }
  return newest;
}

function printBanner(o: {
  hubUrl: string;
  layout: HomeLayout;
  nodes: { name: string; displayName: string; url: string }[];
  ledger: { validators: number; height: number | null };
}): void {
  const lines = [
    '',
    'Meridian demo consortium is up.',
    `  Portal:   ${o.hubUrl}   (API docs: ${o.hubUrl}/docs)`,
    ...o.nodes.map((n) => `  Node:     ${n.name.padEnd(11)} ${n.url}   ${n.displayName}`),
    `  Ledger:   ${DEMO_CHAIN_ID}, ${o.ledger.validators} validators, height ${o.ledger.height ?? 'unknown'}   (logs: ledger-*.log)`,
    `  Status:   npx meridian status${o.layout.root === resolve('data') ? '' : ` --home ${o.layout.root}`}`,
    `  Logs:     ${o.layout.logsDir}`,
    '',
    `  Demo accounts (password for all: ${DEMO_PASSWORD}):`,
    ...DEMO_ACCOUNTS.map((a) => `    ${a.username.padEnd(12)} ${a.role.padEnd(11)} ${a.hospital ?? ''}`),
    '',
    'Press Ctrl-C to stop everything.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function say(line: string): void {
  process.stdout.write(`[meridian] ${line}\n`);
}
