/**
 * The validator's client API over HTTPS with mutual TLS (consortium certificates): submit signed transactions
 * (clients submit to every validator, so a censoring primary is replaced), read a transaction's status, its
 * receipt or one entry's receipt, a block, and the validator's status. Errors answer the registry's body.
 *
 *   POST /v1/txs                      { txs: SignedTransaction[] } → { results: Admission[] }
 *   GET  /v1/txs/<hash>               status
 *   GET  /v1/txs/<hash>/receipt       receipt (404 until certified; ?waitMs=N waits up to N ms for it)
 *   POST /v1/receipts                 { txHashes, waitMs } → { receipts: { <hash>: { receipt, outcome } } }: those
 *                                     certified here, once at least one is (or after waitMs, none)
 *   POST /v1/txs/<hash>/entry-receipt { entries, index } → receipt of one entry
 *   GET  /v1/blocks/<height>          { header, certificate, txs }
 *   GET  /v1/blocks/<height>/hashes   { header, certified, txHashes }
 *   GET  /v1/status                   height, view, lag, peers, counters
 *   GET  /v1/query/<view…>?params     { height, value }: a contract read view (requests/<id>, tasks/<id>, …)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import { serverTlsOptions, type TlsMaterial } from '../../ca/index.ts';
import { isMeridianError, MeridianError } from '../../errors/registry.ts';
import type { Validator } from './validator.ts';

/** Largest request body, in bytes. */
export const API_BODY_BYTES_MAX = 16 * 1024 * 1024;
/** Most transactions in one submission. */
export const API_TXS_PER_REQUEST_MAX = 4_096;
/** Longest a receipt request may wait for its block's certificate (`?waitMs=`). */
export const RECEIPT_WAIT_MS_MAX = 10_000;

const HASH = /^[0-9a-f]{64}$/;

function send(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > API_BODY_BYTES_MAX) {
        reject(new MeridianError('MER_LEDGER_TX_TOO_LARGE', `request body above ${API_BODY_BYTES_MAX} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new MeridianError('MER_LEDGER_MALFORMED_TX', 'the request body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

async function route(v: Validator, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://x');
  const parts = url.pathname.split('/').filter(Boolean);
  if (parts[0] !== 'v1') throw new MeridianError('MER_LEDGER_NOT_FOUND', `no route ${url.pathname}`);
  if (req.method === 'GET' && parts[1] === 'status' && parts.length === 2) return send(res, 200, v.status());
  if (parts[1] === 'txs' && parts.length === 2 && req.method === 'POST') {
    const body = (await readBody(req)) as { txs?: unknown };
    if (!Array.isArray(body?.txs) || body.txs.length > API_TXS_PER_REQUEST_MAX) {
      throw new MeridianError(
        'MER_LEDGER_MALFORMED_TX',
        `body must be { txs: [...] } with at most ${API_TXS_PER_REQUEST_MAX}`,
      );
    }
    return send(res, 200, { results: await v.submit(body.txs) });
  }
  if (parts[1] === 'txs' && parts.length >= 3) {
    const hash = parts[2] as string;
    if (!HASH.test(hash)) throw new MeridianError('MER_LEDGER_NOT_FOUND', 'a transaction hash is 64 lowercase hex');
    if (parts.length === 3 && req.method === 'GET') {
      const s = v.txStatus(hash);
      if (!s) throw new MeridianError('MER_LEDGER_NOT_FOUND', `transaction ${hash} is unknown here`);
      return send(res, 200, s);
    }
    if (parts[3] === 'receipt' && req.method === 'GET') {
      // `?waitMs=` holds the request until the transaction's block is certified here (at most RECEIPT_WAIT_MS_MAX).
      const waitMs = Math.min(Math.max(Number(url.searchParams.get('waitMs')) || 0, 0), RECEIPT_WAIT_MS_MAX);
      const deadline = Date.now() + waitMs;
      for (;;) {
        try {
          return send(res, 200, v.blocks.receipt({ txHash: hash, validatorSet: v.validatorSet }));
        } catch (e) {
          if (!isMeridianError(e, 'MER_LEDGER_NOT_FOUND') || Date.now() >= deadline) throw e;
        }
        await v.blocks.nextCertificate(deadline - Date.now());
      }
    }
    if (parts[3] === 'entry-receipt' && req.method === 'POST') {
      const body = (await readBody(req)) as { entries?: unknown; index?: unknown };
      if (!Array.isArray(body?.entries) || typeof body.index !== 'number') {
        throw new MeridianError('MER_LEDGER_MALFORMED_RECEIPT', 'body must be { entries: [...], index }');
      }
      return send(
        res,
        200,
        v.blocks.receipt({ txHash: hash, validatorSet: v.validatorSet, entries: body.entries, index: body.index }),
      );
    }
  }
  if (parts[1] === 'receipts' && parts.length === 2 && req.method === 'POST') {
    const body = (await readBody(req)) as { txHashes?: unknown; waitMs?: unknown };
    const hashes = body?.txHashes;
    if (
      !Array.isArray(hashes) ||
      hashes.length > API_TXS_PER_REQUEST_MAX ||
      !hashes.every((h) => typeof h === 'string' && HASH.test(h))
    ) {
      throw new MeridianError(
        'MER_LEDGER_MALFORMED_RECEIPT',
        `body must be { txHashes: [...], waitMs } with at most ${API_TXS_PER_REQUEST_MAX} hashes of 64 lowercase hex`,
      );
    }
    const waitMs = Math.min(Math.max(Number(body.waitMs) || 0, 0), RECEIPT_WAIT_MS_MAX);
    const deadline = Date.now() + waitMs;
    for (;;) {
      const found = certifiedReceipts(v, hashes as string[]);
      if (Object.keys(found).length > 0 || Date.now() >= deadline) return send(res, 200, { receipts: found });
      await v.blocks.nextCertificate(deadline - Date.now());
    }
  }
  if (parts[1] === 'blocks' && parts.length === 4 && parts[3] === 'hashes' && req.method === 'GET') {
    const b = v.blocks.block(Number(parts[2]));
    if (!b) throw new MeridianError('MER_LEDGER_NOT_FOUND', `no block ${parts[2]} here`);
    return send(res, 200, { header: b.header, certified: b.certificate !== undefined, txHashes: b.txHashes });
  }
  if (parts[1] === 'blocks' && parts.length === 3 && req.method === 'GET') {
    const height = Number(parts[2]);
    const b = Number.isSafeInteger(height) ? v.blocks.block(height) : undefined;
    if (!b) throw new MeridianError('MER_LEDGER_NOT_FOUND', `no block ${parts[2]} here`);
    return send(res, 200, {
      header: b.header,
      certificate: b.certificate ?? null,
      txs: b.txs.map((t) => JSON.parse(t)),
    });
  }
  if (parts[1] === 'query' && parts.length >= 3 && req.method === 'GET') {
    const path = parts.slice(2).map(decodeURIComponent).join('/');
    return send(res, 200, v.query(path, Object.fromEntries(url.searchParams)));
  }
  throw new MeridianError('MER_LEDGER_NOT_FOUND', `no route ${req.method} ${url.pathname}`);
}

/** The receipt and the contract outcome of each of `hashes` whose block is certified here. */
function certifiedReceipts(
  v: Validator,
  hashes: readonly string[],
): Record<string, { receipt: unknown; outcome: unknown }> {
  const found: Record<string, { receipt: unknown; outcome: unknown }> = {};
  for (const txHash of hashes) {
    const at = v.blocks.locate(txHash);
    if (at === undefined || v.blocks.certificate(at.height) === undefined) continue;
    const receipt = v.blocks.receipt({ txHash, validatorSet: v.validatorSet });
    found[txHash] = { receipt, outcome: v.txStatus(txHash)?.outcome ?? null };
  }
  return found;
}

/** Builds (does not start) the validator's HTTPS API server. */
export function buildValidatorApi(v: Validator, tls: TlsMaterial): https.Server {
  const server = https.createServer({ ...serverTlsOptions(tls), keepAliveTimeout: 30_000 }, (req, res) => {
    route(v, req, res).catch((e: unknown) => {
      if (isMeridianError(e)) send(res, e.status, e.toBody());
      else send(res, 500, { error: { code: 'MER_INTERNAL', message: 'internal error' } });
    });
  });
  return server;
}
