/**
 * The dashboard's ledger activity as pure functions: one summary per block (time, transactions, how many of
 * each kind) and, from those, blocks, transactions, data-use requests, decisions, authorized tasks, execution
 * receipts, releases and notarizations per UTC day.
 */
import type { SignedTransaction } from '../../ledger/transaction.ts';

/** What the dashboard keeps of one block: its time and how many transactions of each kind it holds. */
export interface BlockActivity {
  height: number;
  /** Proposer time, ms since the epoch. */
  timeMs: number;
  txs: number;
  kinds: Readonly<Record<string, number>>;
}

/** One UTC day of ledger activity. */
export interface ActivityDay {
  day: string;
  blocks: number;
  txs: number;
  /** Data-use requests submitted (`request.submit`). */
  requests: number;
  /** Approvals and refusals of requests (`request.decide`). */
  decisions: number;
  /** Federated tasks authorized (`task.authorize`). */
  tasks: number;
  /** Execution receipts from hospitals (`task.receipt`). */
  receipts: number;
  /** Results released (`result.release`). */
  releases: number;
  /** Notarized ODS batches (`notarize.batch`). */
  notarizations: number;
}

/** Counted kinds, by the day field they add to. */
const KIND_FIELDS = {
  'request.submit': 'requests',
  'request.decide': 'decisions',
  'task.authorize': 'tasks',
  'task.receipt': 'receipts',
  'result.release': 'releases',
  'notarize.batch': 'notarizations',
} as const satisfies Record<string, keyof ActivityDay>;

/** A block's activity from its header fields and transactions (payloads are not looked at). */
export function blockActivity(height: number, timeMs: number, txs: readonly SignedTransaction[]): BlockActivity {
  const kinds: Record<string, number> = {};
  for (const tx of txs) kinds[tx.body.kind] = (kinds[tx.body.kind] ?? 0) + 1;
  return { height, timeMs, txs: txs.length, kinds };
}

/** Blocks summed per UTC day, oldest day first. */
export function activityByDay(blocks: Iterable<BlockActivity>): ActivityDay[] {
  const days = new Map<string, ActivityDay>();
  for (const b of blocks) {
    const day = new Date(b.timeMs).toISOString().slice(0, 10);
    const line = days.get(day) ?? {
      day,
      blocks: 0,
      txs: 0,
      requests: 0,
      decisions: 0,
      tasks: 0,
      receipts: 0,
      releases: 0,
      notarizations: 0,
    };
    line.blocks += 1;
    line.txs += b.txs;
    for (const [kind, field] of Object.entries(KIND_FIELDS)) line[field] += b.kinds[kind] ?? 0;
    days.set(day, line);
  }
  return [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
}
