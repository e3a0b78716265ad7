/**
 * The hub's read side of the consortium ledger: asks the validators over mutual TLS (LedgerClient) and believes
 * none of them on its word. Status comes from every validator (each row is what that validator said); a block is
 * read from the first validator whose block checks out (transactions against the header, certificate against the
 * configured validator set); a receipt is handed out only once it verifies offline against that set.
 *
 *   route ──► LedgerReader ──► validator A (preferred: the hub's own, if it runs one) ─╮ first that checks out
 *                                       ├──► validator B ───────────────────────────────┤
 *                                       ╰──► …                                          ╯
 */
import type { TlsMaterial } from '../../ca/index.ts';
import type { HubConfig } from '../../config/schema.ts';
import { isMeridianError, MeridianError } from '../../errors/registry.ts';
import type { BlockHeader, CommitCertificate } from '../../ledger/block.ts';
import {
  LedgerClient,
  type LedgerConfig,
  readLedgerConfig,
  validatorSetOf,
  validatorUrls,
} from '../../ledger/host/index.ts';
import type { ValidatorStatus } from '../../ledger/host/validator.ts';
import { type Receipt, verifyReceipt } from '../../ledger/receipt.ts';
import type { SignedTransaction } from '../../ledger/transaction.ts';
import { type ValidatorSet, validatorSetHash } from '../../ledger/validator-set.ts';
import { type BlockCheck, blockTrusted, checkBlock, type StatusAnswer, validatorRows } from './explorer.ts';
import type { ValidatorStatusList } from './schemas.ts';

/** How long one call to one validator may take. */
export const VALIDATOR_CALL_TIMEOUT_MS = 3_000;
/** Most block reads in flight at once during a list or a search. */
export const BLOCK_READS_IN_FLIGHT_MAX = 6;

/** A block as one validator answered it, with the hub's check. */
export interface CheckedBlock {
  source: string;
  header: BlockHeader;
  certificate: CommitCertificate | null;
  txs: SignedTransaction[];
  check: BlockCheck;
}

/** A block header with its transaction hashes and certified flag (the light form, for lists). */
export interface BlockHead {
  header: BlockHeader;
  certified: boolean;
}

/** Reads the ledger for the explorer; one per hub, closed with it. */
export class LedgerReader {
  readonly #config: LedgerConfig;
  readonly #client: LedgerClient;
  readonly #order: string[];
  readonly #set: ValidatorSet;
  readonly #setHash: string;
  readonly #now: () => Date;
  readonly #lastSeen = new Map<string, Date>();

  constructor(opts: { config: LedgerConfig; tls: TlsMaterial; self: string; now: () => Date }) {
    this.#config = opts.config;
    this.#client = new LedgerClient({ config: opts.config, tls: opts.tls });
    const names = opts.config.validators.map((v) => v.name);
    this.#order = names.includes(opts.self) ? [opts.self, ...names.filter((n) => n !== opts.self)] : names;
    this.#set = validatorSetOf(opts.config);
    this.#setHash = validatorSetHash(this.#set);
    this.#now = opts.now;
  }

  /** The chain id of the configured ledger. */
  get chainId(): string {
    return this.#config.chainId;
  }

  /** The validator set the hub trusts (the ledger configuration's), with its hash. */
  trustedSet(): { chainId: string; validatorSetHash: string; validatorSet: ValidatorSet } {
    return { chainId: this.#config.chainId, validatorSetHash: this.#setHash, validatorSet: this.#set };
  }

  async #get(name: string, path: string): Promise<{ status: number; body: unknown }> {
    const res = await this.#client.get(name, path, VALIDATOR_CALL_TIMEOUT_MS);
    this.#lastSeen.set(name, this.#now());
    return res;
  }

  /** Every validator's status, asked at once; each row is what that validator itself reported. */
  async status(): Promise<ValidatorStatusList> {
    const endpoints = new Map(validatorUrls(this.#config).map((v) => [v.name, v.url]));
    const answers = await Promise.all(
      this.#config.validators.map(async (v): Promise<StatusAnswer> => {
        const endpoint = endpoints.get(v.name) ?? '';
        try {
          const res = await this.#get(v.name, '/v1/status');
          const s = res.body as ValidatorStatus;
          if (res.status !== 200 || s?.chainId !== this.#config.chainId || typeof s.height !== 'number') {
            return {
              name: v.name,
              endpoint,
              ok: false,
              code: 'MER_LEDGER_UNAVAILABLE',
              message: `answered ${res.status} without a status of chain ${this.#config.chainId}`,
            };
          }
          return { name: v.name, endpoint, ok: true, status: s };
        } catch (e) {
          return { name: v.name, endpoint, ok: false, ...failureOf(e) };
        }
      }),
    );
    const { highest, rows } = validatorRows(answers, this.#lastSeen);
    return { chainId: this.#config.chainId, checkedAt: this.#now().toISOString(), highest, validators: rows };
  }

  /** The first validator (in preference order) that answers its status: the source of lists and searches. */
  async source(): Promise<{ name: string; height: number }> {
    const reasons: string[] = [];
    for (const name of this.#order) {
      try {
        const res = await this.#get(name, '/v1/status');
        const s = res.body as ValidatorStatus;
        if (res.status === 200 && s?.chainId === this.#config.chainId && Number.isSafeInteger(s.height)) {
          return { name, height: s.height };
        }
        reasons.push(`${name}: answered ${res.status}`);
      } catch (e) {
        reasons.push(`${name}: ${failureOf(e).message}`);
      }
    }
    throw unavailable(reasons);
  }

  /** A block's header and certified flag from `source` (no transactions: for lists). */
  async head(source: string, height: number): Promise<BlockHead> {
    const res = await this.#get(source, `/v1/blocks/${height}/hashes`);
    if (res.status !== 200) throw answerError(source, res);
    const body = res.body as { header: BlockHeader; certified: boolean };
    return { header: body.header, certified: body.certified === true };
  }

  /** A full block from `source`, checked by the hub (see {@link checkBlock}). */
  async blockFrom(source: string, height: number): Promise<CheckedBlock> {
    const res = await this.#get(source, `/v1/blocks/${height}`);
    if (res.status !== 200) throw answerError(source, res);
    const body = res.body as { header: BlockHeader; certificate: CommitCertificate | null; txs: SignedTransaction[] };
    if (body?.header?.height !== height || !Array.isArray(body.txs)) {
      throw new MeridianError('MER_LEDGER_UNAVAILABLE', `validator ${source} answered block ${height} malformed`);
    }
    const check = checkBlock({
      header: body.header,
      txs: body.txs,
      certificate: body.certificate ?? null,
      validatorSet: this.#set,
    });
    return { source, header: body.header, certificate: body.certificate ?? null, txs: body.txs, check };
  }

  /**
   * Block `height` from the first validator whose answer checks out completely; if none does, the best answer
   * seen (transactions matching, certificate absent) with its check, so the explorer shows what is wrong.
   * MER_LEDGER_NOT_FOUND when every validator that answered lacks it; MER_LEDGER_UNAVAILABLE when none answered.
   */
  async block(height: number): Promise<CheckedBlock> {
    const reasons: string[] = [];
    let best: CheckedBlock | undefined;
    let notFound = 0;
    for (const name of this.#order) {
      try {
        const b = await this.blockFrom(name, height);
        if (blockTrusted(b.check)) return b;
        if (best === undefined || (b.check.txRootMatches && !best.check.txRootMatches)) best = b;
      } catch (e) {
        if (isMeridianError(e, 'MER_LEDGER_NOT_FOUND')) notFound += 1;
        reasons.push(`${name}: ${failureOf(e).message}`);
      }
    }
    if (best) return best;
    if (notFound > 0) throw new MeridianError('MER_LEDGER_NOT_FOUND', `no validator holds block ${height}`);
    throw unavailable(reasons);
  }

  /**
   * The receipt of a transaction, from the first validator whose receipt verifies offline against the trusted set.
   * MER_LEDGER_NOT_FOUND when the validators that answered have none (unknown, or not yet certified).
   */
  async receipt(hash: string): Promise<{ source: string; receipt: Receipt; height: number }> {
    const reasons: string[] = [];
    let answered = 0;
    for (const name of this.#order) {
      try {
        const res = await this.#get(name, `/v1/txs/${hash}/receipt`);
        answered += 1;
        if (res.status !== 200) {
          reasons.push(`${name}: ${res.status}`);
          continue;
        }
        const check = verifyReceipt(res.body, [this.#set]);
        if (check.ok && check.txHash === hash)
          return { source: name, receipt: res.body as Receipt, height: check.height };
        reasons.push(`${name}: its receipt does not verify (${check.ok ? 'another transaction' : check.code})`);
      } catch (e) {
        reasons.push(`${name}: ${failureOf(e).message}`);
      }
    }
    if (answered > 0) {
      throw new MeridianError(
        'MER_LEDGER_NOT_FOUND',
        `no validator has a verifiable receipt for transaction ${hash} (unknown, or not certified yet)`,
        { validators: reasons },
      );
    }
    throw unavailable(reasons);
  }

  /**
   * The consortium's members (the contracts' `members` view) from the first validator that answers it, with the
   * height it answered at; MER_LEDGER_UNAVAILABLE when none does.
   */
  async members(): Promise<{ source: string; height: number; members: unknown[] }> {
    const reasons: string[] = [];
    for (const name of this.#order) {
      try {
        const res = await this.#get(name, '/v1/query/members');
        const body = res.body as { height?: unknown; value?: unknown } | null;
        if (res.status === 200 && Array.isArray(body?.value) && Number.isSafeInteger(body?.height)) {
          return { source: name, height: body.height as number, members: body.value };
        }
        reasons.push(`${name}: answered ${res.status} without a member list`);
      } catch (e) {
        reasons.push(`${name}: ${failureOf(e).message}`);
      }
    }
    throw unavailable(reasons);
  }

  /** Closes the connections to the validators. */
  close(): void {
    this.#client.close();
  }
}

/** Runs `read` over `items` with at most {@link BLOCK_READS_IN_FLIGHT_MAX} in flight; results in input order. */
export async function readBounded<T, R>(items: readonly T[], read: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next;
      next += 1;
      out[i] = await read(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(BLOCK_READS_IN_FLIGHT_MAX, items.length) }, worker));
  return out;
}

function failureOf(e: unknown): { code: string; message: string } {
  if (isMeridianError(e)) return { code: e.code, message: e.message };
  return { code: 'MER_LEDGER_UNAVAILABLE', message: e instanceof Error ? e.message : String(e) };
}

function answerError(source: string, res: { status: number; body: unknown }): MeridianError {
  const err = (res.body as { error?: { code?: string; message?: string } } | null)?.error;
  if (res.status === 404) {
    return new MeridianError('MER_LEDGER_NOT_FOUND', err?.message ?? `validator ${source} answered 404`);
  }
  return new MeridianError(
    'MER_LEDGER_UNAVAILABLE',
    `validator ${source} answered ${res.status} ${err?.code ?? ''}`.trim(),
  );
}

function unavailable(reasons: readonly string[]): MeridianError {
  return new MeridianError('MER_LEDGER_UNAVAILABLE', `no validator answered: ${reasons.join('; ')}`, {
    validators: [...reasons],
  });
}

/** The hub's ledger reader from its configuration (`hub.ledger`), or undefined when it has no ledger. */
export function hubLedgerReader(opts: {
  config: HubConfig;
  tls: TlsMaterial;
  now: () => Date;
}): LedgerReader | undefined {
  const ledger = opts.config.hub.ledger;
  if (ledger === undefined) return undefined;
  return new LedgerReader({
    config: readLedgerConfig(ledger.configFile),
    tls: opts.tls,
    self: opts.config.pki.identity,
    now: opts.now,
  });
}
