/**
 * The hub's panorama table (owned by src/hub/panorama): one row per access record the hub wrote on the ledger
 * for a clinician's view, so auditors can search views by user, hospital, patient token and time without
 * scanning the chain. It holds tokens and ids only: never an ID number, a name or clinical content.
 */
import type { Kysely } from 'kysely';
import type { Migration } from '../../store/index.ts';

/** Row of hub_panorama_access: one `access.record` transaction the hub committed for a clinician. */
export interface HubPanoramaAccessTable {
  /** The transaction's content hash (the access record's key on the ledger). */
  content_hash: string;
  tx_hash: string;
  height: number;
  at: Date;
  username: string;
  user_role: string;
  /** The clinician's own hospital. */
  user_hospital: string;
  /** The hospital whose records were viewed. */
  hospital: string;
  patient_token: string;
  global_id: string | null;
  break_glass: boolean;
  reason_code: string | null;
  /** The clinician's stated reason for a break-glass view (free text, kept on the hub, not on the ledger). */
  reason: string | null;
}

/** Kysely view of the panorama table. */
export interface PanoramaHubDatabase {
  hub_panorama_access: HubPanoramaAccessTable;
}

/** Panorama migrations, appended to the hub's. */
export const PANORAMA_HUB_MIGRATIONS: Migration[] = [
  {
    id: 'hub-0007-panorama-access',
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('hub_panorama_access')
        .addColumn('content_hash', 'text', (c) => c.primaryKey())
        .addColumn('tx_hash', 'text', (c) => c.notNull())
        .addColumn('height', 'integer', (c) => c.notNull())
        .addColumn('at', 'timestamptz', (c) => c.notNull())
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('user_role', 'text', (c) => c.notNull())
        .addColumn('user_hospital', 'text', (c) => c.notNull())
        .addColumn('hospital', 'text', (c) => c.notNull())
        .addColumn('patient_token', 'text', (c) => c.notNull())
        .addColumn('global_id', 'text')
        .addColumn('break_glass', 'boolean', (c) => c.notNull())
        .addColumn('reason_code', 'text')
        .addColumn('reason', 'text')
        .execute();
      await db.schema.createIndex('hub_panorama_access_at').on('hub_panorama_access').column('at').execute();
      await db.schema
        .createIndex('hub_panorama_access_token')
        .on('hub_panorama_access')
        .column('patient_token')
        .execute();
    },
  },
];
