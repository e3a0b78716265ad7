/** Shared fixtures for the CA tests: throwaway directories and real HTTPS servers on 127.0.0.1. */
import { mkdtemp, rm } from 'node:fs/promises';
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { type PeerIdentity, peerIdentity, serverTlsOptions, type TlsMaterial } from '../../src/ca/index.ts';

/** Anything that runs cleanups at its end: a TestContext, or `{ after }` from node:test for a whole file. */
export interface Cleanup {
  after(fn: () => unknown): void;
}

/** A fresh temporary directory removed when the test (or file) ends. */
export async function tempDir(t: Cleanup, prefix = 'meridian-ca-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** What the test server answers: the peer it saw and the negotiated protocol. */
export interface EchoBody {
  peer: PeerIdentity | null;
  protocol: string | null;
}

/** A running mutual-TLS server that echoes the peer identity; `hits` counts requests that reached the handler. */
export interface TestServer {
  server: https.Server;
  url: string;
  hits: number;
}

/** Answers with the {@link EchoBody} of the request's connection. */
export function echoHandler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const body: EchoBody = { peer: peerIdentity(req.socket), protocol: (req.socket as TLSSocket).getProtocol() };
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

/** Starts an HTTPS server (default {@link serverTlsOptions}, {@link echoHandler}) on an ephemeral port; closed when the test ends. */
export async function startServer(
  t: TestContext,
  material: TlsMaterial,
  opts: { handler?: http.RequestListener; tls?: https.ServerOptions } = {},
): Promise<TestServer> {
  const state: TestServer = { server: https.createServer(opts.tls ?? serverTlsOptions(material)), url: '', hits: 0 };
  const handler = opts.handler ?? echoHandler;
  state.server.on('request', (req, res) => {
    state.hits += 1;
    handler(req, res);
  });
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  state.url = `https://127.0.0.1:${(state.server.address() as AddressInfo).port}/`;
  t.after(
    () =>
      new Promise<void>((resolve) => {
        state.server.closeAllConnections();
        state.server.close(() => resolve());
      }),
  );
  return state;
}

/** Polls `predicate` every 10 ms until it holds; fails after `timeoutMs` (the timer also keeps the event loop alive). */
export async function waitFor(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
