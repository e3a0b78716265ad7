/**
 * What the hub knows about each hospital node: the last heartbeat's status, persisted in hub_nodes so a
 * restarted hub still lists every node (as down until it is heard from). A node is `up` while it was heard
 * from within `downAfterMs`, has not said goodbye, and its task poll did not break off more than
 * {@link CHANNEL_LOST_GRACE_MS} ago without it being heard from since (a killed process closes its socket,
 * so the hub notices within seconds instead of waiting for heartbeats to stop).
 */
import type { Kysely } from 'kysely';
import type { DataVolume, Heartbeat } from '../../federation/channel-protocol.ts';
import type { HubDatabase, HubNodeTable } from '../schema.ts';

/** A node as the portal, the API and `meridian status` show it. */
export interface NodeView {
  name: string;
  displayName: string;
  state: 'up' | 'down';
  /** When the current state began (best known). */
  since: string | null;
  lastSeen: string | null;
  firstSeen: string | null;
  startedAt: string | null;
  address: string | null;
  versions: Heartbeat['versions'] | null;
  dataVolume: DataVolume;
}

interface Entry {
  row: HubNodeTable;
  startedAt: string | null;
  upSince: Date | null;
  /** When the node's task poll connection broke without an answer (the process likely died). */
  lostAt: Date | null;
}

/** How long after a broken poll connection a node counts as down unless it is heard from again. */
export const CHANNEL_LOST_GRACE_MS = 3_000;

const EMPTY_VOLUME: DataVolume = { rows: 0, bytes: 0, tables: {} };

/** Tracks nodes; all time comes from the injected clock. */
export class NodeTracker {
  readonly #db: Kysely<HubDatabase>;
  readonly #downAfterMs: number;
  readonly #now: () => Date;
  readonly #nodes = new Map<string, Entry>();

  constructor(opts: { db: Kysely<HubDatabase>; downAfterMs: number; now: () => Date }) {
    this.#db = opts.db;
    this.#downAfterMs = opts.downAfterMs;
    this.#now = opts.now;
  }

  /** Loads the nodes the hub has seen before (all down until heard from again). */
  async load(): Promise<void> {
    for (const row of await this.#db.selectFrom('hub_nodes').selectAll().execute()) {
      this.#nodes.set(row.name, { row, startedAt: null, upSince: null, lostAt: null });
    }
  }

  /** Records a heartbeat from an authenticated node. */
  async heartbeat(hb: Heartbeat): Promise<void> {
    const now = this.#now();
    const prev = this.#nodes.get(hb.name);
    const wasUp = prev ? this.#isUp(prev, now) : false;
    const row: HubNodeTable = {
      name: hb.name,
      display_name: hb.displayName,
      address: hb.address,
      versions: hb.versions,
      data_volume: hb.dataVolume,
      first_seen: prev?.row.first_seen ?? now,
      last_seen: now,
      signed_off_at: null,
    };
    const restarted = prev?.startedAt !== hb.startedAt;
    this.#nodes.set(hb.name, {
      row,
      startedAt: hb.startedAt,
      upSince: wasUp && !restarted ? (prev?.upSince ?? now) : now,
      lostAt: null,
    });
    const values = { ...row, versions: JSON.stringify(hb.versions), data_volume: JSON.stringify(hb.dataVolume) };
    await this.#db
      .insertInto('hub_nodes')
      .values(values)
      .onConflict((oc) =>
        oc.column('name').doUpdateSet({
          display_name: values.display_name,
          address: values.address,
          versions: values.versions,
          data_volume: values.data_volume,
          last_seen: values.last_seen,
          signed_off_at: null,
        }),
      )
      .execute();
  }

  /** Marks a node down at once (it announced a graceful shutdown). */
  async goodbye(name: string): Promise<void> {
    const entry = this.#nodes.get(name);
    if (!entry) return;
    const now = this.#now();
    entry.row = { ...entry.row, signed_off_at: now };
    entry.upSince = null;
    await this.#db.updateTable('hub_nodes').set({ signed_off_at: now }).where('name', '=', name).execute();
  }

  /** Notes that a node was heard from (e.g. it polled) without a full status report. */
  touch(name: string): void {
    const entry = this.#nodes.get(name);
    if (entry && entry.row.signed_off_at === null) {
      entry.row = { ...entry.row, last_seen: this.#now() };
      entry.lostAt = null;
    }
  }

  /** Notes that a node's task poll connection closed before the hub answered it. */
  channelLost(name: string): void {
    const entry = this.#nodes.get(name);
    if (entry) entry.lostAt = this.#now();
  }

  /** True when the node is known and currently up. */
  isUp(name: string): boolean {
    const entry = this.#nodes.get(name);
    return entry ? this.#isUp(entry, this.#now()) : false;
  }

  /** Every known node, by name. */
  list(): NodeView[] {
    const now = this.#now();
    return [...this.#nodes.values()]
      .sort((a, b) => a.row.name.localeCompare(b.row.name))
      .map((e) => this.#view(e, now));
  }

  #isUp(e: Entry, now: Date): boolean {
    if (e.row.signed_off_at !== null || e.upSince === null) return false;
    if (e.lostAt !== null && now.getTime() - e.lostAt.getTime() >= CHANNEL_LOST_GRACE_MS) return false;
    return now.getTime() - e.row.last_seen.getTime() <= this.#downAfterMs;
  }

  #view(e: Entry, now: Date): NodeView {
    const up = this.#isUp(e, now);
    const lostSince = e.lostAt ? new Date(e.lostAt.getTime() + CHANNEL_LOST_GRACE_MS) : null;
    const silentSince = new Date(e.row.last_seen.getTime() + this.#downAfterMs);
    const downSince = e.row.signed_off_at ?? (lostSince && lostSince < silentSince ? lostSince : silentSince);
    return {
      name: e.row.name,
      displayName: e.row.display_name,
      state: up ? 'up' : 'down',
      since: (up ? e.upSince : downSince)?.toISOString() ?? null,
      lastSeen: e.row.last_seen.toISOString(),
      firstSeen: e.row.first_seen.toISOString(),
      startedAt: e.startedAt,
      address: e.row.address,
      versions: (e.row.versions as Heartbeat['versions'] | null) ?? null,
      dataVolume: (e.row.data_volume as DataVolume | null) ?? EMPTY_VOLUME,
    };
  }
}
