/**
 * The hub's aggregate views (dashboard and catalog), put together: the aggregates cache (nodes), the ledger
 * activity (refreshed with each round of the cache), the coalesced read audit, and the answers serialized once
 * per change of the cache, so that a read is a lookup and a write of a ready string.
 */
import type { Logger } from 'pino';
import { CATALOG } from '../../catalog/definitions.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { AggregatesCache, type AggregatesTiming } from '../catalog/aggregates-cache.ts';
import { catalogListView, catalogTableView } from '../catalog/views.ts';
import type { LedgerReader } from '../ledger/reader.ts';
import type { NodeTracker } from '../nodes/node-tracker.ts';
import type { TaskQueues } from '../nodes/task-queue.ts';
import { LedgerActivity } from './ledger-activity.ts';
import { ReadAudit } from './read-audit.ts';
import { dashboardView } from './views.ts';

/** The serialized answers of one cache and ledger version. */
interface Rendered {
  version: string;
  dashboard: string;
  catalog: string;
  tables: Map<string, string>;
}

/** The aggregate views of one hub; closed with it. */
export class HubInsights {
  /** Every node's aggregates and quality line, refreshed in the background. */
  readonly aggregates: AggregatesCache;
  /** The ledger's activity by day. */
  readonly ledger: LedgerActivity;
  /** The coalesced audit of aggregate reads. */
  readonly reads: ReadAudit;
  readonly #now: () => Date;
  #rendered: Rendered | null = null;

  constructor(opts: {
    tracker: NodeTracker;
    queues: TaskQueues;
    audit: AuditLog;
    ledgerReader: LedgerReader | null;
    now: () => Date;
    timing?: Partial<AggregatesTiming> | undefined;
    /** The consortium's minimum cell in force (hub settings), sent with every ask. */
    minCellFloor?: () => number;
    log?: Logger | undefined;
  }) {
    this.#now = opts.now;
    this.ledger = new LedgerActivity({ reader: opts.ledgerReader, now: opts.now });
    this.aggregates = new AggregatesCache({
      tracker: opts.tracker,
      queues: opts.queues,
      now: opts.now,
      timing: opts.timing,
      onRefresh: () => this.ledger.refresh(),
      ...(opts.minCellFloor ? { minCellFloor: opts.minCellFloor } : {}),
    });
    this.reads = new ReadAudit({
      audit: opts.audit,
      now: opts.now,
      onError: (err) => opts.log?.error({ err }, 'the audit record of aggregate reads could not be written'),
    });
  }

  #render(): Rendered {
    const version = `${this.aggregates.version}:${this.ledger.version}`;
    if (this.#rendered?.version === version) return this.#rendered;
    const nodes = this.aggregates.snapshot();
    this.#rendered = {
      version,
      dashboard: JSON.stringify(dashboardView(nodes, this.ledger.view(), this.#now())),
      catalog: JSON.stringify(catalogListView(nodes)),
      tables: new Map(CATALOG.map((t) => [t.name, JSON.stringify(catalogTableView(t, nodes))])),
    };
    return this.#rendered;
  }

  /** The dashboard as JSON text. */
  async dashboard(): Promise<string> {
    await this.aggregates.ready();
    return this.#render().dashboard;
  }

  /** The catalog's table list as JSON text. */
  async catalog(): Promise<string> {
    await this.aggregates.ready();
    return this.#render().catalog;
  }

  /** One table of the catalog as JSON text, or null when the model has no such table. */
  async table(name: string): Promise<string | null> {
    await this.aggregates.ready();
    return this.#render().tables.get(name) ?? null;
  }

  /** Stops the refresh and writes the reads gathered so far. */
  async close(): Promise<void> {
    this.aggregates.close();
    await this.reads.flush();
  }
}
