/**
 * Mutual TLS between institutions: TLS 1.3 only, both sides present a certificate from the consortium CA and
 * check the other's against the CA and its CRL. A running server picks up a re-signed CRL without a restart
 * (see {@link watchServerCrl}); docs/ca.md explains how revocation propagates.
 *
 *   client ──ClientHello──► server          server: requestCert + rejectUnauthorized, ca + crl
 *   client ◄──cert, verify── server          client: ca + crl (+ optional role/name pinning)
 *   client ──cert, verify──► server          either side refuses: another CA, expired, revoked
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import https from 'node:https';
import type { Socket } from 'node:net';
import {
  type ConnectionOptions,
  checkServerIdentity,
  createSecureContext,
  type PeerCertificate,
  type Server,
  TLSSocket,
} from 'node:tls';
import { MeridianError } from '../errors/registry.ts';
import { caPaths, crlRevokedSerials, identityPaths } from './ca.ts';
import { assertIdentityName, identityFromFields, type NamedIdentity, type Role } from './identity-name.ts';

/** Largest response body {@link httpsRequestJson} accepts unless told otherwise: 8 MiB. */
export const RESPONSE_BYTES_MAX_DEFAULT = 8 * 1024 * 1024;
/** How often {@link watchCrl} looks at crl.pem unless told otherwise. */
export const CRL_POLL_INTERVAL_MS_DEFAULT = 2_000;

/** One institution's TLS material, PEM strings: CA certificate, its own certificate and key, the current CRL. */
export interface TlsMaterial {
  ca: string;
  cert: string;
  key: string;
  crl: string;
}

/** Reads institution `name`'s TLS material from a CA directory (identities/<name>/ and crl.pem). */
export function loadTlsMaterial(opts: { dir: string; name: string }): TlsMaterial {
  assertIdentityName(opts.name);
  const paths = identityPaths(opts.dir, opts.name);
  const crl = readCrl(opts.dir);
  const identityFile = (path: string): string =>
    readOr(
      path,
      () =>
        new MeridianError(
          'MER_CA_IDENTITY_UNKNOWN',
          `identity "${opts.name}" is missing ${path}; run \`meridian ca issue ${opts.name}\``,
          { name: opts.name, path },
        ),
    );
  return { ca: identityFile(paths.caCert), cert: identityFile(paths.tlsCert), key: identityFile(paths.tlsKey), crl };
}

/** Options for `https.createServer` / Fastify's `https`: TLS 1.3 only, a client certificate from the CA required. */
export function serverTlsOptions(material: TlsMaterial): https.ServerOptions {
  return {
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
    requestCert: true,
    rejectUnauthorized: true,
    ca: material.ca,
    crl: material.crl,
    cert: material.cert,
    key: material.key,
  };
}

/** What a client may additionally require of the server's certificate beyond "issued by the CA, not revoked". */
export interface PeerExpectation {
  role?: Role;
  name?: string;
}

/** Options for `https.request` / `https.Agent`: TLS 1.3, our certificate, the server checked against CA and CRL. */
export function clientTlsOptions(material: TlsMaterial, expect: PeerExpectation = {}): ConnectionOptions {
  return {
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
    rejectUnauthorized: true,
    ca: material.ca,
    crl: material.crl,
    cert: material.cert,
    key: material.key,
    checkServerIdentity: (host: string, cert: PeerCertificate): Error | undefined => {
      const hostError = checkServerIdentity(host, cert);
      if (hostError) return hostError;
      const identity = identityOfCertificate(cert);
      if (!identity) return new Error(`the server certificate for ${host} names no Meridian institution`);
      if (expect.role !== undefined && identity.role !== expect.role) {
        return new Error(`the server at ${host} is ${identity.role} "${identity.name}", expected role ${expect.role}`);
      }
      if (expect.name !== undefined && identity.name !== expect.name) {
        return new Error(`the server at ${host} is "${identity.name}", expected "${expect.name}"`);
      }
      return undefined;
    },
  };
}

/**
 * A keep-alive agent for mutual-TLS requests to one peer (or one kind of peer): the secure context is built once
 * from the material (parsing the key is most of a handshake's cost) and connections are reused, at most
 * `maxSockets` at a time. Destroy it to close its connections.
 */
export function mutualTlsAgent(material: TlsMaterial, expect: PeerExpectation, maxSockets: number): https.Agent {
  const options = clientTlsOptions(material, expect);
  return new https.Agent({ keepAlive: true, maxSockets, ...options, secureContext: createSecureContext(options) });
}

/** The institution on the other end of a TLS connection, as its CA-verified certificate names it. */
export interface PeerIdentity extends NamedIdentity {
  fingerprint256: string;
  /** Serial of the peer's TLS certificate, lowercase hex as in index.json. */
  serial: string;
}

/** Names the verified peer of a TLS socket; null when the socket is not TLS, not authorized or has no certificate. */
export function peerIdentity(socket: Socket): PeerIdentity | null {
  if (!(socket instanceof TLSSocket) || !socket.authorized) return null;
  const known = identities.get(socket);
  if (known !== undefined) return known;
  const cert = socket.getPeerCertificate();
  if (!cert?.raw) return null;
  const identity = identityOfCertificate(cert);
  if (!identity) return null;
  const peer = { ...identity, fingerprint256: cert.fingerprint256, serial: cert.serialNumber.toLowerCase() };
  identities.set(socket, peer);
  return peer;
}

/** The peer of each authorized connection, read once: a keep-alive connection carries many requests. */
const identities = new WeakMap<TLSSocket, PeerIdentity>();

/**
 * Calls `onChange` with the new crl.pem whenever its content differs from the last seen (polling with
 * fs.watchFile; the baseline is `initial` or the file at start). Errors, thrown ones from `onChange` included,
 * go to `onError` (default: a process warning) and the previous CRL stays in force. Returns a stop function.
 */
export function watchCrl(opts: {
  dir: string;
  onChange: (crl: string) => void;
  onError?: (error: unknown) => void;
  initial?: string;
  intervalMs?: number;
}): () => void {
  const path = caPaths(opts.dir).crl;
  const onError =
    opts.onError ?? ((e: unknown) => process.emitWarning(`reloading ${path} failed: ${String(e)}`, 'MeridianCrl'));
  let last = opts.initial ?? readCrl(opts.dir);
  const listener = (): void => {
    try {
      // Read synchronously: a CRL is a few KB, and a listener that never overlaps itself cannot miss a change.
      const crl = readFileSync(path, 'utf8');
      if (crl === last) return;
      last = crl;
      opts.onChange(crl);
    } catch (e) {
      onError(e);
    }
  };
  watchFile(path, { interval: opts.intervalMs ?? CRL_POLL_INTERVAL_MS_DEFAULT, persistent: false }, listener);
  return () => unwatchFile(path, listener);
}

/**
 * Keeps a running server's CRL current: on every change of crl.pem it swaps the secure context (new
 * handshakes are checked against the new CRL) and ends open connections of peers the new CRL revokes.
 * Start it before `listen` so every connection is tracked; returns a stop function.
 */
export function watchServerCrl(opts: {
  server: Server;
  material: TlsMaterial;
  dir: string;
  onReload?: (crl: string) => void;
  onError?: (error: unknown) => void;
  intervalMs?: number;
}): () => void {
  const sockets = new Set<TLSSocket>();
  const onSecureConnection = (socket: TLSSocket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  opts.server.on('secureConnection', onSecureConnection);
  const stopWatching = watchCrl({
    dir: opts.dir,
    initial: opts.material.crl,
    intervalMs: opts.intervalMs,
    onError: opts.onError,
    onChange: (crl) => {
      opts.server.setSecureContext(serverTlsOptions({ ...opts.material, crl }));
      const revoked = new Set(crlRevokedSerials(crl));
      for (const socket of sockets) {
        const serial = socket.getPeerCertificate()?.serialNumber?.toLowerCase();
        if (serial !== undefined && revoked.has(serial)) socket.destroy();
      }
      opts.onReload?.(crl);
    },
  });
  return () => {
    stopWatching();
    opts.server.off('secureConnection', onSecureConnection);
  };
}

/** Options of {@link httpsRequestJson}. */
export interface HttpsRequestJsonOptions {
  url: string | URL;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Sent as JSON when present. */
  body?: unknown;
  headers?: Record<string, string>;
  /** This institution's material, from {@link loadTlsMaterial}. */
  tls: TlsMaterial;
  /** What the server's certificate must additionally name (e.g. role hub). */
  expect?: PeerExpectation;
  /** Deadline for the whole exchange: connect, handshake, request and response. */
  timeoutMs: number;
  maxResponseBytes?: number;
  /** Aborts the exchange (e.g. a long poll on shutdown); the promise rejects with an AbortError. */
  signal?: AbortSignal;
  /** A keep-alive agent to reuse connections; by default every request handshakes afresh, so a CRL change applies at once. */
  agent?: https.Agent;
}

/** The answer of {@link httpsRequestJson}: status and parsed body (JSON value, text for non-JSON, null when empty). */
export interface HttpsJsonResponse {
  status: number;
  body: unknown;
}

/** One JSON request over mutual TLS with a deadline and a response size limit; network errors reject with Node's error. */
export function httpsRequestJson(opts: HttpsRequestJsonOptions): Promise<HttpsJsonResponse> {
  const maxBytes = opts.maxResponseBytes ?? RESPONSE_BYTES_MAX_DEFAULT;
  const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body), 'utf8');
  const target = String(opts.url);
  return new Promise<HttpsJsonResponse>((resolvePromise, rejectPromise) => {
    let settled = false;
    const finish = (error: unknown, response?: HttpsJsonResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (response) resolvePromise(response);
      else rejectPromise(error);
    };
    const tooLarge = (): MeridianError =>
      new MeridianError('MER_HTTP_BODY_TOO_LARGE', `the response from ${target} exceeds ${maxBytes} bytes`, {
        url: target,
        maxBytes,
      });
    const request = https.request(
      opts.url,
      {
        ...clientTlsOptions(opts.tls, opts.expect),
        method: opts.method,
        agent: opts.agent ?? false,
        ...(opts.signal ? { signal: opts.signal } : {}),
        headers: {
          accept: 'application/json',
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
          ...opts.headers,
        },
      },
      (response) => {
        const declared = Number(response.headers['content-length'] ?? 0);
        if (declared > maxBytes) {
          finish(tooLarge());
          request.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            finish(tooLarge());
            request.destroy();
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', (e) => finish(e));
        response.on('close', () =>
          finish(Object.assign(new Error(`${target} closed the connection mid-response`), { code: 'ECONNRESET' })),
        );
        response.on('end', () => {
          try {
            const text = Buffer.concat(chunks).toString('utf8');
            finish(undefined, { status: response.statusCode ?? 0, body: parseBody(text, response.headers, target) });
          } catch (e) {
            finish(e);
          }
        });
      },
    );
    const timer = setTimeout(() => {
      const error = Object.assign(new Error(`${opts.method} ${target} timed out after ${opts.timeoutMs} ms`), {
        code: 'ETIMEDOUT',
      });
      finish(error);
      request.destroy(error);
    }, opts.timeoutMs);
    request.on('error', (e) => finish(e));
    request.end(payload);
  });
}

/** Reads a file, turning "does not exist" into the MeridianError `missing` makes. */
function readOr(path: string, missing: () => MeridianError): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw missing();
    throw e;
  }
}

function readCrl(dir: string): string {
  const path = caPaths(dir).crl;
  return readOr(
    path,
    () =>
      new MeridianError('MER_CA_MISSING', `no CRL at ${path}; run \`meridian ca init\` or copy the CA's crl.pem`, {
        dir,
      }),
  );
}

function parseBody(text: string, headers: Record<string, string | string[] | undefined>, url: string): unknown {
  if (text.length === 0) return null;
  if (!String(headers['content-type'] ?? '').includes('json')) return text;
  try {
    return JSON.parse(text);
  } catch {
    throw new MeridianError('MER_HTTP_BAD_JSON', `the response from ${url} says JSON but is not valid JSON`, { url });
  }
}

function identityOfCertificate(cert: PeerCertificate): NamedIdentity | null {
  const subject = cert.subject as unknown as Record<string, string | string[] | undefined> | undefined;
  return identityFromFields({
    subjectAltName: cert.subjectaltname,
    commonName: subject?.CN,
    organizationalUnit: subject?.OU,
  });
}
