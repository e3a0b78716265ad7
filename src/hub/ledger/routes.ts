/**
 * The ledger explorer's routes on the hub's user app (auditors and administrators, LEDGER_ROLES):
 *
 *   GET /api/ledger/validator-set          the trusted set (from the ledger config) receipts are verified against
 *   GET /api/ledger/validators             every validator's status as it reported it, with lag and last seen
 *   GET /api/ledger/blocks?before&limit    recent blocks, newest first (paged by height)
 *   GET /api/ledger/blocks/:height         one block, checked by the hub, with its transactions (no payloads)
 *   GET /api/ledger/txs?kind&institution&from&to&before&limit
 *                                          transactions by kind / institution / time, reading ≤ 100 blocks a call
 *   GET /api/ledger/txs/:hash/receipt      a receipt that verified against the trusted set (a JSON download)
 *
 * Reads of ledger content (blocks, searches, receipts) are audited, ok or not. The validator status and the
 * trusted set are operational facts polled by the portal, like the node list, and are not. A hub without
 * `hub.ledger` answers 503 MER_LEDGER_UNAVAILABLE.
 */
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { MeridianError } from '../../errors/registry.ts';
import { ReceiptSchema } from '../../ledger/receipt.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { audited } from '../audit/audited.ts';
import { LEDGER_ROLES } from '../auth/roles.ts';
import { signedIn } from '../auth/signed-in.ts';
import { blockInRange, blockSummary, type TxFilter, txMatches, txSummary } from './explorer.ts';
import { BLOCK_READS_IN_FLIGHT_MAX, type LedgerReader, readBounded } from './reader.ts';
import {
  BlockDetailSchema,
  BlockListQuerySchema,
  BlockListSchema,
  BlockParamsSchema,
  BlockQuerySchema,
  TrustedSetSchema,
  TX_SEARCH_BLOCKS_MAX,
  type TxHit,
  TxParamsSchema,
  TxSearchQuerySchema,
  TxSearchSchema,
  ValidatorStatusListSchema,
} from './schemas.ts';

const security = [{ bearer: [] }];
const config = { roles: LEDGER_ROLES };

/** What the ledger routes need; `reader` is undefined when the hub has no ledger configured. */
export interface LedgerRouteDeps {
  reader: LedgerReader | undefined;
  audit: AuditLog;
}

/** Heights `top`, `top - 1`, … down to 1, at most `count` of them. */
export function heightsBelow(top: number, count: number): number[] {
  const out: number[] = [];
  for (let h = top; h >= 1 && out.length < count; h -= 1) out.push(h);
  return out;
}

/** Registers the ledger explorer's routes on the hub's user app. */
export function registerLedgerRoutes(app: FastifyInstance, deps: LedgerRouteDeps): void {
  const need = (): LedgerReader => {
    if (deps.reader === undefined) {
      throw new MeridianError('MER_LEDGER_UNAVAILABLE', 'this hub has no consortium ledger configured (hub.ledger)');
    }
    return deps.reader;
  };

  app.get(
    '/api/ledger/validator-set',
    {
      config,
      schema: {
        tags: ['ledger'],
        summary: 'The validator set the hub trusts (its ledger configuration), for verifying receipts',
        security,
        response: { 200: TrustedSetSchema },
      },
    },
    async () => need().trustedSet(),
  );

  app.get(
    '/api/ledger/validators',
    {
      config,
      schema: {
        tags: ['ledger'],
        summary:
          "Every validator's height, view, lag behind the highest, last seen and reachability, each asked itself",
        security,
        response: { 200: ValidatorStatusListSchema },
      },
    },
    async () => need().status(),
  );

  app.get(
    '/api/ledger/blocks',
    {
      config,
      schema: {
        tags: ['ledger'],
        summary: 'Recent blocks, newest first: height, time, proposer, transaction count, hashes',
        security,
        querystring: BlockListQuerySchema,
        response: { 200: BlockListSchema },
      },
    },
    async (request) => {
      const user = signedIn(request);
      const q = request.query as z.infer<typeof BlockListQuerySchema>;
      const asked = { before: q.before ?? null, limit: q.limit };
      return audited(deps.audit, user, { action: 'ledger.blocks', target: null, detail: asked }, async () => {
        const reader = need();
        const src = await reader.source();
        const top = q.before === undefined ? src.height : Math.min(q.before - 1, src.height);
        const heights = heightsBelow(top, q.limit);
        const heads = await readBounded(heights, (h) => reader.head(src.name, h));
        const lowest = heights.at(-1);
        const answer = {
          chainId: reader.chainId,
          source: src.name,
          tip: src.height,
          blocks: heads.map((b) => blockSummary(b.header, b.certified)),
          nextBefore: lowest !== undefined && lowest > 1 ? lowest : null,
        };
        return { answer, detail: { source: src.name, returned: answer.blocks.length } };
      });
    },
  );

  app.get(
    '/api/ledger/blocks/:height',
    {
      config,
      schema: {
        tags: ['ledger'],
        summary: "One block, its transactions (kind, institution, user, hashes; never payloads) and the hub's check",
        security,
        params: BlockParamsSchema,
        querystring: BlockQuerySchema,
        response: { 200: BlockDetailSchema },
      },
    },
    async (request) => {
      const user = signedIn(request);
      const { height } = request.params as z.infer<typeof BlockParamsSchema>;
      const q = request.query as z.infer<typeof BlockQuerySchema>;
      return audited(deps.audit, user, { action: 'ledger.block', target: String(height) }, async () => {
        const reader = need();
        const b = await reader.block(height);
        const answer = {
          chainId: reader.chainId,
          source: b.source,
          block: blockSummary(b.header, b.certificate !== null),
          header: b.header,
          view: b.certificate?.view ?? null,
          check: b.check,
          offset: q.offset,
          txs: b.txs.slice(q.offset, q.offset + q.limit).map((tx, i) => txSummary(tx, q.offset + i)),
        };
        return { answer, detail: { source: b.source, certificate: b.check.certificate, txs: answer.txs.length } };
      });
    },
  );

  app.get(
    '/api/ledger/txs',
    {
      config,
      schema: {
        tags: ['ledger'],
        summary: `Transactions by kind, institution and time, newest first; reads at most ${TX_SEARCH_BLOCKS_MAX} blocks per call`,
        security,
        querystring: TxSearchQuerySchema,
        response: { 200: TxSearchSchema },
      },
    },
    async (request) => {
      const user = signedIn(request);
      const q = request.query as z.infer<typeof TxSearchQuerySchema>;
      const filter: TxFilter = {
        kind: q.kind,
        institution: q.institution,
        fromMs: q.from === undefined ? undefined : Date.parse(q.from),
        toMs: q.to === undefined ? undefined : Date.parse(q.to),
      };
      const asked = {
        kind: q.kind ?? null,
        institution: q.institution ?? null,
        from: q.from ?? null,
        to: q.to ?? null,
        before: q.before ?? null,
      };
      return audited(deps.audit, user, { action: 'ledger.search', target: null, detail: asked }, async () => {
        const reader = need();
        const src = await reader.source();
        const top = q.before === undefined ? src.height : Math.min(q.before - 1, src.height);
        const heights = heightsBelow(top, TX_SEARCH_BLOCKS_MAX);
        const hits: TxHit[] = [];
        let truncated = false;
        let done = false;
        let lowestRead: number | undefined;
        // Newest first, a few blocks at a time; whole blocks only, so `nextBefore` continues exactly.
        for (let i = 0; i < heights.length && !done; i += BLOCK_READS_IN_FLIGHT_MAX) {
          const chunk = heights.slice(i, i + BLOCK_READS_IN_FLIGHT_MAX);
          // A block whose transactions do not match its header is read again from the other validators.
          const blocks = await readBounded(chunk, async (h) => {
            const b = await reader.blockFrom(src.name, h);
            return b.check.txRootMatches ? b : reader.block(h);
          });
          for (const b of blocks) {
            const time = new Date(b.header.proposerTime).toISOString();
            const found =
              b.check.txRootMatches && blockInRange(b.header, filter)
                ? b.txs.flatMap((tx, index) =>
                    txMatches(tx, filter) ? [{ ...txSummary(tx, index), height: b.header.height, time }] : [],
                  )
                : [];
            if (hits.length >= q.limit || (hits.length > 0 && hits.length + found.length > q.limit)) {
              done = true;
              break;
            }
            if (found.length > q.limit) truncated = true;
            hits.push(...found.slice(0, q.limit));
            lowestRead = b.header.height;
          }
        }
        const scanned = lowestRead === undefined ? null : { fromHeight: top, toHeight: lowestRead };
        const answer = {
          chainId: reader.chainId,
          source: src.name,
          scanned,
          txs: hits,
          truncated,
          nextBefore: lowestRead !== undefined && lowestRead > 1 ? lowestRead : null,
        };
        return { answer, detail: { source: src.name, found: hits.length, scanned } };
      });
    },
  );

  app.get(
    '/api/ledger/txs/:hash/receipt',
    {
      config,
      schema: {
        tags: ['ledger'],
        summary: 'The receipt of a transaction, verified by the hub against the trusted set (`meridian ledger verify`)',
        security,
        params: TxParamsSchema,
        response: { 200: ReceiptSchema },
      },
    },
    async (request, reply) => {
      const user = signedIn(request);
      const { hash } = request.params as z.infer<typeof TxParamsSchema>;
      return audited(deps.audit, user, { action: 'ledger.receipt', target: hash }, async () => {
        const { receipt, source, height } = await need().receipt(hash);
        reply.header('content-disposition', `attachment; filename="receipt-${hash.slice(0, 16)}.json"`);
        return { answer: receipt, detail: { source, height } };
      });
    },
  );
}
