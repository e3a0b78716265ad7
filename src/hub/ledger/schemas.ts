/**
 * Request and answer schemas of the hub's ledger explorer (/api/ledger/…): block summaries, a block's
 * transactions without their payloads, a bounded transaction search, and each validator's status as the hub saw
 * it. The portal imports the types; receipts are answered in the ledger's own ReceiptSchema.
 */
import { z } from 'zod';
import { BlockHeaderSchema } from '../../ledger/block.ts';
import { HASH_HEX_PATTERN } from '../../ledger/hash.ts';
import { TX_KIND_PATTERN, TxUserSchema } from '../../ledger/transaction.ts';
import { InstitutionNameSchema, ValidatorSetSchema } from '../../ledger/validator-set.ts';

/** Most blocks one page of the block list holds. */
export const BLOCK_PAGE_SIZE_MAX = 50;
/** Blocks per page when `limit` is not given. */
export const BLOCK_PAGE_SIZE_DEFAULT = 20;
/** Most transactions one page of a block's transactions holds. */
export const BLOCK_TX_PAGE_SIZE_MAX = 500;
/** Most blocks one transaction search reads (it continues from `nextBefore`). */
export const TX_SEARCH_BLOCKS_MAX = 100;
/** Most transactions one search answers. */
export const TX_SEARCH_RESULTS_MAX = 200;

const HashSchema = z.string().regex(HASH_HEX_PATTERN, 'a hash is 64 lowercase hex characters');
const HeightSchema = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** Query of the block list: newest first, below `before` (exclusive), at most `limit`. */
export const BlockListQuerySchema = z.strictObject({
  before: HeightSchema.optional(),
  limit: z.coerce.number().int().min(1).max(BLOCK_PAGE_SIZE_MAX).default(BLOCK_PAGE_SIZE_DEFAULT),
});

/** Path of one block. */
export const BlockParamsSchema = z.strictObject({ height: HeightSchema });

/** Query of one block: a page of its transactions. */
export const BlockQuerySchema = z.strictObject({
  offset: z.coerce.number().int().min(0).max(65_535).default(0),
  limit: z.coerce.number().int().min(1).max(BLOCK_TX_PAGE_SIZE_MAX).default(BLOCK_TX_PAGE_SIZE_MAX),
});

/** Path of one transaction. */
export const TxParamsSchema = z.strictObject({ hash: HashSchema });

/** Query of the transaction search: kind, institution, proposer-time range, newest first below `before`. */
export const TxSearchQuerySchema = z
  .strictObject({
    kind: z.string().max(64).regex(TX_KIND_PATTERN, 'a kind is like notarize.batch').optional(),
    institution: InstitutionNameSchema.optional(),
    from: z.iso.datetime({ offset: true, message: 'from is an ISO 8601 time' }).optional(),
    to: z.iso.datetime({ offset: true, message: 'to is an ISO 8601 time' }).optional(),
    before: HeightSchema.optional(),
    limit: z.coerce.number().int().min(1).max(TX_SEARCH_RESULTS_MAX).default(50),
  })
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) <= Date.parse(q.to), {
    message: 'from must not be after to',
    path: ['from'],
  });

/** One block as listed: its header fields, header hash and whether a commit certificate is attached. */
export const BlockSummarySchema = z.strictObject({
  height: z.number().int(),
  time: z.string(),
  proposer: z.string(),
  txCount: z.number().int(),
  headerHash: HashSchema,
  prevHash: HashSchema,
  txRoot: HashSchema,
  stateRoot: HashSchema,
  validatorSetHash: HashSchema,
  certified: z.boolean(),
});

/** A block summary. */
export type BlockSummary = z.infer<typeof BlockSummarySchema>;

/** Answer of the block list. */
export const BlockListSchema = z.strictObject({
  chainId: z.string(),
  /** The validator the blocks were read from. */
  source: z.string(),
  tip: z.number().int(),
  blocks: z.array(BlockSummarySchema),
  /** Pass as `before` for the next (older) page; null at genesis. */
  nextBefore: z.number().int().nullable(),
});

/** Answer of the block list. */
export type BlockList = z.infer<typeof BlockListSchema>;

/**
 * One transaction as the explorer shows it: never its payload (which may hold patient tokens or storage
 * locations), only who did what and a reference to the contract record it touched.
 */
export const TxSummarySchema = z.strictObject({
  index: z.number().int(),
  txHash: HashSchema,
  /** Hash of the signed body alone (what was asked, independent of the signature). */
  contentHash: HashSchema,
  kind: z.string(),
  institution: z.string(),
  user: TxUserSchema.nullable(),
  /** The request, task, proposal or notarized batch the transaction refers to, when it names one. */
  subject: z.string().nullable(),
});

/** A transaction summary. */
export type TxSummary = z.infer<typeof TxSummarySchema>;

/** How the hub checked a block it read: its transactions against the header, its certificate against the set. */
export const BlockCheckSchema = z.strictObject({
  txRootMatches: z.boolean(),
  certificate: z.enum(['verified', 'absent', 'failed']),
  /** The validators whose commit signatures verified. */
  signers: z.array(z.string()),
  /** Why the certificate failed, when it did. */
  failure: z.string().nullable(),
});

/** Answer of one block. */
export const BlockDetailSchema = z.strictObject({
  chainId: z.string(),
  source: z.string(),
  block: BlockSummarySchema,
  header: BlockHeaderSchema,
  view: z.number().int().nullable(),
  check: BlockCheckSchema,
  offset: z.number().int(),
  txs: z.array(TxSummarySchema),
});

/** Answer of one block. */
export type BlockDetail = z.infer<typeof BlockDetailSchema>;

/** One search hit: a transaction with its block's height and time. */
export const TxHitSchema = TxSummarySchema.extend({ height: z.number().int(), time: z.string() });

/** A search hit. */
export type TxHit = z.infer<typeof TxHitSchema>;

/** Answer of the transaction search. */
export const TxSearchSchema = z.strictObject({
  chainId: z.string(),
  source: z.string(),
  /** The heights read, newest first (inclusive); null when nothing was read. */
  scanned: z.strictObject({ fromHeight: z.number().int(), toHeight: z.number().int() }).nullable(),
  txs: z.array(TxHitSchema),
  /** True when one block alone held more matches than `limit` and only its first ones are listed (open the block). */
  truncated: z.boolean(),
  /** Pass as `before` to continue the search below what was read; null at genesis. */
  nextBefore: z.number().int().nullable(),
});

/** Answer of the transaction search. */
export type TxSearch = z.infer<typeof TxSearchSchema>;

/** One validator's status as the hub saw it; the fields it reported are null when it did not answer. */
export const ValidatorRowSchema = z.strictObject({
  name: z.string(),
  endpoint: z.string(),
  reachable: z.boolean(),
  height: z.number().int().nullable(),
  certifiedHeight: z.number().int().nullable(),
  view: z.number().int().nullable(),
  mode: z.string().nullable(),
  primary: z.string().nullable(),
  /** Blocks behind the highest height any reachable validator reported (computed by the hub). */
  lag: z.number().int().nullable(),
  pending: z.number().int().nullable(),
  peersConnected: z.number().int().nullable(),
  /** When the hub last had an answer from it (ISO), null if never since the hub started. */
  lastSeen: z.string().nullable(),
  error: z.strictObject({ code: z.string(), message: z.string() }).nullable(),
});

/** One validator's status row. */
export type ValidatorRow = z.infer<typeof ValidatorRowSchema>;

/** Answer of the validator status. */
export const ValidatorStatusListSchema = z.strictObject({
  chainId: z.string(),
  checkedAt: z.string(),
  highest: z.number().int().nullable(),
  validators: z.array(ValidatorRowSchema),
});

/** Answer of the validator status. */
export type ValidatorStatusList = z.infer<typeof ValidatorStatusListSchema>;

/** Answer of the trusted validator set: what the portal verifies receipts against. */
export const TrustedSetSchema = z.strictObject({
  chainId: z.string(),
  validatorSetHash: HashSchema,
  validatorSet: ValidatorSetSchema,
});

/** Answer of the trusted validator set. */
export type TrustedSet = z.infer<typeof TrustedSetSchema>;
