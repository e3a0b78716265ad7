/**
 * The dashboard's read of the consortium ledger: the newest blocks' activity, kept in memory and extended
 * incrementally (each refresh reads only blocks it has not seen, newest first, a bounded number at a time),
 * so the dashboard never walks the whole chain on a read.
 */
import { isMeridianError } from '../../errors/registry.ts';
import { type LedgerReader, readBounded } from '../ledger/reader.ts';
import { type ActivityDay, activityByDay, type BlockActivity, blockActivity } from './activity.ts';

/** Newest blocks the dashboard keeps. */
export const ACTIVITY_BLOCKS_MAX = 2_000;
/** Blocks read in one refresh at most (the rest follow in the next ones). */
export const ACTIVITY_READS_PER_REFRESH_MAX = 200;

/** The ledger activity as the dashboard shows it. */
export interface LedgerActivityView {
  available: boolean;
  height: number | null;
  /** Blocks summarized (the newest {@link ACTIVITY_BLOCKS_MAX} at most). */
  blocksRead: number;
  takenAt: string | null;
  error: { code: string; message: string } | null;
  days: ActivityDay[];
}

/** Keeps the newest blocks' activity; one per hub. */
export class LedgerActivity {
  readonly #reader: LedgerReader | null;
  readonly #now: () => Date;
  readonly #blocks = new Map<number, BlockActivity>();
  #height: number | null = null;
  #takenAt: string | null = null;
  #error: LedgerActivityView['error'] = null;
  #version = 0;

  constructor(opts: { reader: LedgerReader | null; now: () => Date }) {
    this.#reader = opts.reader;
    this.#now = opts.now;
  }

  /** Bumped whenever the view changes (new blocks, a new height, an error or its end). */
  get version(): number {
    return this.#version;
  }

  /** Reads the blocks not seen yet (bounded); a failure is kept as the view's error, never thrown. */
  async refresh(): Promise<void> {
    if (!this.#reader) return;
    const reader = this.#reader;
    try {
      const { name, height } = await reader.source();
      const lowest = Math.max(0, height - ACTIVITY_BLOCKS_MAX + 1);
      const missing: number[] = [];
      for (let h = height; h >= lowest && missing.length < ACTIVITY_READS_PER_REFRESH_MAX; h--) {
        if (!this.#blocks.has(h)) missing.push(h);
      }
      const read = await readBounded(missing, async (h) => {
        try {
          const b = await reader.blockFrom(name, h);
          return blockActivity(h, b.header.proposerTime, b.txs);
        } catch (e) {
          if (isMeridianError(e, 'MER_LEDGER_NOT_FOUND')) return null;
          throw e;
        }
      });
      for (const b of read) if (b) this.#blocks.set(b.height, b);
      for (const h of this.#blocks.keys()) if (h < lowest) this.#blocks.delete(h);
      if (height !== this.#height || read.length > 0 || this.#error !== null) this.#version += 1;
      this.#height = height;
      this.#takenAt = this.#now().toISOString();
      this.#error = null;
    } catch (e) {
      if (this.#error === null) this.#version += 1;
      this.#error = isMeridianError(e)
        ? { code: e.code, message: e.message }
        : { code: 'MER_LEDGER_UNAVAILABLE', message: 'the ledger could not be read' };
    }
  }

  /** The activity by day as last read. */
  view(): LedgerActivityView {
    return {
      available: this.#reader !== null,
      height: this.#height,
      blocksRead: this.#blocks.size,
      takenAt: this.#takenAt,
      error: this.#error,
      days: activityByDay(this.#blocks.values()),
    };
  }
}
