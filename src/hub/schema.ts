/** The hub's tables (owned by src/hub) and their versioned migrations. */

import { type Generated, type Kysely, type Selectable, sql } from 'kysely';
import { IDENTITY_MIGRATIONS, type IdentityDatabase } from '../identity/schema.ts';
import type { Migration } from '../store/index.ts';
import { ADMIN_HUB_MIGRATIONS, type AdminHubDatabase } from './admin/schema.ts';
import { FEDERATION_HUB_MIGRATIONS, type FederationHubDatabase } from './federation/schema.ts';
import { PANORAMA_HUB_MIGRATIONS, type PanoramaHubDatabase } from './panorama/schema.ts';
import { PROJECTS_HUB_MIGRATIONS, type ProjectsHubDatabase } from './projects/schema.ts';

/** Row of hub_users: a local account (password) or one linked to an OIDC subject. */
export interface HubUserTable {
  id: string;
  username: string;
  display_name: string;
  role: string;
  hospital: string | null;
  password_hash: string | null;
  oidc_issuer: string | null;
  oidc_subject: string | null;
  disabled: Generated<boolean>;
  created_at: Generated<Date>;
}

/** A user row as read from the database. */
export type HubUser = Selectable<HubUserTable>;

/** Row of hub_nodes: the last thing each hospital node told the hub about itself. */
export interface HubNodeTable {
  name: string;
  display_name: string;
  address: string | null;
  versions: unknown;
  data_volume: unknown;
  first_seen: Date;
  last_seen: Date;
  signed_off_at: Date | null;
}

/** Row of hub_audit: who did what, to what, with which outcome (success and failure alike). */
export interface HubAuditTable {
  id: string;
  at: Date;
  actor: string;
  actor_role: string | null;
  action: string;
  target: string | null;
  outcome: 'ok' | 'refused' | 'failed';
  detail: unknown;
}

/** Kysely view of the hub's database (its own tables, the master patient index and the federation's partial counts). */
export interface HubDatabase
  extends IdentityDatabase,
    FederationHubDatabase,
    AdminHubDatabase,
    ProjectsHubDatabase,
    PanoramaHubDatabase {
  hub_users: HubUserTable;
  hub_nodes: HubNodeTable;
  hub_audit: HubAuditTable;
}

/** Hub migrations, applied in order by the store: its own, then the master patient index's. */
export const HUB_MIGRATIONS: Migration[] = [
  {
    id: 'hub-0001-users',
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('hub_users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('hospital', 'text')
        .addColumn('password_hash', 'text')
        .addColumn('oidc_issuer', 'text')
        .addColumn('oidc_subject', 'text')
        .addColumn('disabled', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addUniqueConstraint('hub_users_oidc_unique', ['oidc_issuer', 'oidc_subject'])
        .execute();
    },
  },
  {
    id: 'hub-0002-nodes',
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('hub_nodes')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('address', 'text')
        .addColumn('versions', 'jsonb', (c) => c.notNull())
        .addColumn('data_volume', 'jsonb', (c) => c.notNull())
        .addColumn('first_seen', 'timestamptz', (c) => c.notNull())
        .addColumn('last_seen', 'timestamptz', (c) => c.notNull())
        .addColumn('signed_off_at', 'timestamptz')
        .execute();
    },
  },
  {
    id: 'hub-0003-audit',
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('hub_audit')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('at', 'timestamptz', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('actor_role', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('detail', 'jsonb', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('hub_audit_at').on('hub_audit').column('at').execute();
    },
  },
  ...IDENTITY_MIGRATIONS,
  ...FEDERATION_HUB_MIGRATIONS,
  ...ADMIN_HUB_MIGRATIONS,
  ...PROJECTS_HUB_MIGRATIONS,
  ...PANORAMA_HUB_MIGRATIONS,
];
