/** The hub's administration tables (owned by src/hub/admin) and their migrations. */
import { type Kysely, sql } from 'kysely';
import type { Migration } from '../../store/index.ts';

/** Row of hub_settings: one named consortium setting (a JSON value) with who changed it last and when. */
export interface HubSettingTable {
  key: string;
  value: unknown;
  updated_at: Date;
  updated_by: string;
}

/** Kysely view of the administration tables. */
export interface AdminHubDatabase {
  hub_settings: HubSettingTable;
}

/** Administration migrations, appended to the hub's. */
export const ADMIN_HUB_MIGRATIONS: Migration[] = [
  {
    id: 'hub-0005-consortium-settings',
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('hub_settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'jsonb', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .execute();
    },
  },
];
