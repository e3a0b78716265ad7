/**
 * A minimal deterministic LedgerApplication for the host's tests and benchmark (the contracts live elsewhere):
 * it refuses a repeated transaction (txDedupKey), counts notarized entries, and chains its state root as
 * H(previous root ‖ height ‖ each accepted transaction's dedup key).
 */
import { createHash } from 'node:crypto';
import type {
  FinalizeBlockRequest,
  FinalizeBlockResponse,
  LedgerApplication,
  TxOutcome,
} from '../../../src/ledger/abci.ts';
import type { JsonValue } from '../../../src/ledger/canonical-json.ts';
import { type SignedTransaction, txDedupKey } from '../../../src/ledger/transaction.ts';

const GENESIS_ROOT = createHash('sha256').update('meridian/test-app/genesis').digest('hex');

/** The test application (see the module comment). */
export class TestApplication implements LedgerApplication {
  #height = 0;
  #root = GENESIS_ROOT;
  #seen = new Set<string>();
  #entries = 0;
  #staged: { height: number; root: string; keys: string[]; entries: number } | undefined;

  info(): { height: number; appHash: string } {
    return { height: this.#height, appHash: this.#root };
  }

  checkTx(tx: SignedTransaction): TxOutcome {
    if (this.#seen.has(txDedupKey(tx)))
      return { ok: false, code: 'MER_LEDGER_TX_REFUSED', message: 'replayed transaction' };
    return { ok: true };
  }

  finalizeBlock(block: FinalizeBlockRequest): FinalizeBlockResponse {
    const h = createHash('sha256').update(this.#root).update(`\n${block.height}\n${block.proposerTime}\n`);
    const keys: string[] = [];
    const inBlock = new Set<string>();
    let entries = this.#entries;
    const results: TxOutcome[] = block.txs.map((tx) => {
      const key = txDedupKey(tx);
      if (this.#seen.has(key) || inBlock.has(key))
        return { ok: false, code: 'MER_LEDGER_TX_REFUSED', message: 'replayed' };
      inBlock.add(key);
      keys.push(key);
      h.update(`${key}\n`);
      const size = (tx.body.payload.batch as { size?: unknown } | undefined)?.size;
      if (typeof size === 'number') entries += size;
      return { ok: true };
    });
    const root = h.digest('hex');
    this.#staged = { height: block.height, root, keys, entries };
    return { results, appHash: root, validatorUpdate: undefined };
  }

  commit(): { height: number; appHash: string } {
    const s = this.#staged;
    if (s) {
      this.#height = s.height;
      this.#root = s.root;
      this.#entries = s.entries;
      for (const k of s.keys) this.#seen.add(k);
      this.#staged = undefined;
    }
    return this.info();
  }

  query(path: string): JsonValue {
    if (path === 'entries') return this.#entries;
    return { height: this.#height, appHash: this.#root };
  }

  exportState(): JsonValue {
    return { height: this.#height, root: this.#root, seen: [...this.#seen].sort(), entries: this.#entries };
  }

  restore(state: JsonValue): void {
    const s = state as { height: number; root: string; seen: string[]; entries: number };
    this.#height = s.height;
    this.#root = s.root;
    this.#seen = new Set(s.seen);
    this.#entries = s.entries;
  }
}

/** The factory the validator process loads with `--app test/ledger/host/test-app.ts`. */
export function createApplication(): LedgerApplication {
  return new TestApplication();
}
