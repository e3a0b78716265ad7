/**
 * Group commit for append-only rows (audit trails). Every commit of PGlite flushes its WAL with a synchronous
 * fsync(2) that holds the event loop; rows written at the same moment therefore share one INSERT (one
 * transaction, one fsync) instead of paying one each. A caller's promise settles only once its row is committed,
 * so "acknowledged means durable" still holds; a failed insert rejects every row of its group.
 *
 *   add(a) add(b) add(c) ──(same tick)──► INSERT a,b,c ──commit──► a,b,c resolve
 *   add(d) while that runs ─────────────► next INSERT, right after
 */

/** Most rows in one INSERT. */
export const GROUP_ROWS_MAX = 500;

interface Waiting<Row> {
  readonly row: Row;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/** Batches rows written together into one insert; see the module comment. */
export class GroupInsert<Row> {
  readonly #insert: (rows: readonly Row[]) => Promise<void>;
  #waiting: Waiting<Row>[] = [];
  #running = false;

  /** `insert` writes its rows in one statement (one transaction). */
  constructor(insert: (rows: readonly Row[]) => Promise<void>) {
    this.#insert = insert;
  }

  /** Queues `row` for the next group; resolves once the group holding it is committed. */
  add(row: Row): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ row, resolve, reject });
      if (!this.#running) {
        this.#running = true;
        setImmediate(() => void this.#drain());
      }
    });
  }

  async #drain(): Promise<void> {
    while (this.#waiting.length > 0) {
      const group = this.#waiting.splice(0, GROUP_ROWS_MAX);
      try {
        await this.#insert(group.map((w) => w.row));
        for (const w of group) w.resolve();
      } catch (e) {
        for (const w of group) w.reject(e);
      }
    }
    this.#running = false;
  }
}
