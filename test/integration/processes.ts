/** Helpers for tests that run real Meridian processes on loopback. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DEMO_LEDGER_PORT_OFFSET } from '../../src/demo/ledger.ts';
import { demoPortUses, portIsFree } from '../../src/demo/ports.ts';

/** The `meridian` launcher in this checkout. */
export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'meridian.js');

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** A spawned `meridian` process with its combined output kept for failure messages. */
export interface Proc {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `meridian <args>` as a separate process (`nodeArgs` go to Node itself, e.g. --cpu-prof). */
export function startMeridian(args: string[], env: NodeJS.ProcessEnv = {}, nodeArgs: readonly string[] = []): Proc {
  const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  });
  child.stderr?.on('data', (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on('exit', (code, signal) => res({ code, signal })),
  );
  return { child, output: () => out, exited };
}

/** Runs `meridian <args>` to completion. */
export function runMeridian(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Polls `check` every 100 ms until it returns a value, or fails after `timeoutMs` with `what`. */
export async function waitUntil<T>(
  what: string | (() => string),
  timeoutMs: number,
  check: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch((e: unknown) => {
      if (e instanceof AbortWait) throw e;
      return undefined;
    });
    if (v !== undefined) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Ports for one demo consortium: hub, hub peer and the first node port (the others and the ledger's follow). */
export interface DemoPorts {
  readonly hubPort: number;
  readonly hubPeerPort: number;
  readonly nodeBasePort: number;
}

/**
 * Ports for a demo of `hospitals` hospitals, every one the demo will bind free a moment ago (node ports and the
 * ledger validators' ports at DEMO_LEDGER_PORT_OFFSET included), picked at random BELOW the kernel's ephemeral
 * range: a port in that range may be handed to any outgoing connection between this check and the bind.
 */
export async function demoPorts(hospitals: number): Promise<DemoPorts> {
  const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  const ceiling = Math.min(Number.isFinite(ephemeralLow) ? ephemeralLow : 32_768, 65_000);
  const span = DEMO_LEDGER_PORT_OFFSET + 2 * (hospitals + 1) + 2;
  for (let attempt = 0; attempt < 200; attempt++) {
    const hubPort = 20_000 + Math.floor(Math.random() * (ceiling - 20_000 - span));
    const ports = { hubPort, hubPeerPort: hubPort + 1, nodeBasePort: hubPort + 2 };
    const uses = demoPortUses({
      host: '127.0.0.1',
      ...ports,
      nodes: Array.from({ length: hospitals }, (_, i) => ({ name: `n${i}`, port: ports.nodeBasePort + i })),
      validators: Array.from({ length: hospitals + 1 }, (_, i) => ({
        name: `v${i}`,
        host: '127.0.0.1',
        p2pPort: ports.nodeBasePort + DEMO_LEDGER_PORT_OFFSET + 2 * i,
        apiPort: ports.nodeBasePort + DEMO_LEDGER_PORT_OFFSET + 2 * i + 1,
      })),
    });
    const free = await Promise.all(uses.map((u) => portIsFree(u.host, u.port)));
    if (free.every(Boolean)) return ports;
  }
  throw new Error('no free set of demo ports found below the ephemeral range');
}

/** The demo's port flags for `demo` (see {@link demoPorts}). */
export function demoPortArgs(p: DemoPorts): string[] {
  return [
    '--hub-port',
    String(p.hubPort),
    '--hub-peer-port',
    String(p.hubPeerPort),
    '--node-base-port',
    String(p.nodeBasePort),
  ];
}

/** Waits until `proc` prints `text`; fails at once (with its output) if it exits first, or after `timeoutMs`. */
export async function waitForOutput(proc: Proc, text: string, timeoutMs: number): Promise<void> {
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void proc.exited.then((e) => {
    exited = e;
  });
  await waitUntil(
    () => `"${text}"\n${proc.output()}`,
    timeoutMs,
    async () => {
      if (proc.output().includes(text)) return true;
      if (exited) {
        throw new AbortWait(
          `the process exited (${exited.signal ?? `code ${exited.code}`}) before printing "${text}":\n${proc.output()}`,
        );
      }
      return undefined;
    },
  );
}

/** Thrown by a `waitUntil` check to stop waiting at once (the condition can no longer come true). */
export class AbortWait extends Error {}
