/**
 * Secondary indexes for queries (notarizations by institution and type, access records by patient token, requests
 * by project, tasks by request). They are derived from the committed records, kept in memory only, not part of
 * the state root, and rebuilt after a restore. Every indexed field is fixed when its record is created, so a
 * record is indexed once, on its first write; lists keep ledger order (height, then transaction index).
 */
import type { JsonValue } from '../canonical-json.ts';
import type { AccessRecord, NotaryRecord, ProposalRecord, RequestRecord, Stamp, TaskRecord } from './state.ts';
import { tableOf } from './state.ts';

/** The indexes the views read. */
export const INDEX_NAMES = [
  'notary.all',
  'notary.institution',
  'notary.type',
  'access.patientToken',
  'request.all',
  'request.project',
  'task.request',
  'proposal.all',
] as const;

/** One of {@link INDEX_NAMES}. */
export type IndexName = (typeof INDEX_NAMES)[number];

interface Indexed {
  readonly stamp: Stamp;
  readonly entries: readonly (readonly [IndexName, string])[];
}

function indexedOf(key: string, record: JsonValue): Indexed | undefined {
  switch (tableOf(key)) {
    case 'notary': {
      const r = record as NotaryRecord;
      return {
        stamp: r.recorded,
        entries: [
          ['notary.all', ''],
          ['notary.institution', r.institution],
          ['notary.type', r.type],
        ],
      };
    }
    case 'access': {
      const r = record as AccessRecord;
      return { stamp: r.recorded, entries: [['access.patientToken', r.patientToken]] };
    }
    case 'request': {
      const r = record as RequestRecord;
      return {
        stamp: r.submitted,
        entries: [
          ['request.all', ''],
          ['request.project', r.projectId],
        ],
      };
    }
    case 'task': {
      const r = record as TaskRecord;
      return { stamp: r.authorized, entries: [['task.request', r.requestId]] };
    }
    case 'proposal': {
      const r = record as ProposalRecord;
      return { stamp: r.proposed, entries: [['proposal.all', '']] };
    }
    default:
      return undefined;
  }
}

/** Lists of record keys per (index, value), in ledger order. */
export class Indexes {
  readonly #lists = new Map<string, string[]>();

  /** Indexes a record written for the first time. */
  observeNew(key: string, record: JsonValue): void {
    const indexed = indexedOf(key, record);
    if (indexed !== undefined) this.#add(key, indexed);
  }

  #add(key: string, indexed: Indexed): void {
    for (const [name, value] of indexed.entries) {
      const id = `${name}\u0000${value}`;
      const list = this.#lists.get(id);
      if (list === undefined) this.#lists.set(id, [key]);
      else list.push(key);
    }
  }

  /** The record keys under `value` of index `name`, oldest first. */
  list(name: IndexName, value: string): readonly string[] {
    return this.#lists.get(`${name}\u0000${value}`) ?? [];
  }

  /** Rebuilds every index from a whole state (after a restore). */
  rebuild(records: ReadonlyMap<string, JsonValue>): void {
    this.#lists.clear();
    const all: { key: string; indexed: Indexed }[] = [];
    for (const [key, record] of records) {
      const indexed = indexedOf(key, record);
      if (indexed !== undefined) all.push({ key, indexed });
    }
    all.sort(
      (a, b) =>
        a.indexed.stamp.height - b.indexed.stamp.height ||
        a.indexed.stamp.tx - b.indexed.stamp.tx ||
        (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    );
    for (const { key, indexed } of all) this.#add(key, indexed);
  }
}
