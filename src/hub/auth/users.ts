/** Hub accounts: create, find and list users; passwords stored only as scrypt hashes. */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { MeridianError } from '../../errors/registry.ts';
import type { HubDatabase, HubUser } from '../schema.ts';
import { hashPassword, PASSWORD_LENGTH_MAX, PASSWORD_LENGTH_MIN } from './passwords.ts';
import { HOSPITAL_BOUND_ROLES, type Role, RoleSchema } from './roles.ts';

/** What a session and the portal know about a user (never the hash). */
export interface PublicUser {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  hospital: string | null;
}

/** A password the hub accepts (the rules of passwords.ts). */
export const PasswordSchema = z
  .string()
  .min(PASSWORD_LENGTH_MIN, `at least ${PASSWORD_LENGTH_MIN} characters`)
  .max(PASSWORD_LENGTH_MAX, `at most ${PASSWORD_LENGTH_MAX} characters`);

/** Body of a new local account. */
export const NewUserSchema = z
  .strictObject({
    username: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{1,63}$/, 'lowercase letters, digits, dot, dash, underscore; 2–64 characters'),
    displayName: z.string().trim().min(1).max(100),
    role: RoleSchema,
    hospital: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'a node name')
      .nullable()
      .default(null),
    password: PasswordSchema.optional(),
    /** Links the account to an identity at an OIDC provider (issuer URL + subject). */
    oidc: z.strictObject({ issuer: z.url(), subject: z.string().min(1).max(255) }).optional(),
  })
  .refine((u) => u.password !== undefined || u.oidc !== undefined, {
    message: 'give a password, an OIDC identity (oidc.issuer + oidc.subject), or both',
    path: ['password'],
  })
  .refine((u) => !HOSPITAL_BOUND_ROLES.has(u.role) || u.hospital !== null, {
    message: 'this role is bound to one hospital: give its node name',
    path: ['hospital'],
  });

/** A new local account as accepted by {@link UserStore.create}. */
export type NewUser = z.input<typeof NewUserSchema>;

/** An account as the administrators' list shows it: the public view, its state and its last login. */
export interface AccountView extends PublicUser {
  disabled: boolean;
  createdAt: string;
  /** The last successful login in the audit trail, or null when none is recorded. */
  lastLoginAt: string | null;
  /** How the account signs in. */
  login: { password: boolean; oidc: boolean };
}

/** What an administrator may change on an account (any subset). */
export interface AccountChange {
  displayName?: string;
  role?: Role;
  hospital?: string | null;
}

/** Converts a stored row to the public view. */
export function toPublicUser(row: HubUser): PublicUser {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: RoleSchema.parse(row.role),
    hospital: row.hospital,
  };
}

/** Most user rows {@link UserStore} keeps in memory. */
const USERS_CACHED_MAX = 10_000;

/** The hub_users table behind a small API. */
export class UserStore {
  readonly #db: Kysely<HubDatabase>;
  /**
   * Rows by id, read once: every signed-in request looks its user up, and the hub's one embedded database would
   * otherwise queue each lookup behind the writes. This store is the table's only writer, and each of its writes
   * drops the row it changed once committed, so a disabled account is refused at its next request as before.
   */
  readonly #byId = new Map<string, HubUser>();

  constructor(db: Kysely<HubDatabase>) {
    this.#db = db;
  }

  /** Creates a local account; MER_USER_EXISTS when the username is taken, MER_USER_INVALID on bad fields. */
  async create(input: NewUser): Promise<PublicUser> {
    const parsed = NewUserSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || 'user';
      throw new MeridianError('MER_USER_INVALID', `${field}: ${issue?.message ?? 'invalid'}`, { field });
    }
    const u = parsed.data;
    if (await this.findByUsername(u.username)) {
      throw new MeridianError('MER_USER_EXISTS', `user "${u.username}" already exists`, { username: u.username });
    }
    const row = {
      id: randomUUID(),
      username: u.username,
      display_name: u.displayName,
      role: u.role,
      hospital: u.hospital,
      password_hash: u.password === undefined ? null : await hashPassword(u.password),
      oidc_issuer: u.oidc?.issuer.replace(/\/$/, '') ?? null,
      oidc_subject: u.oidc?.subject ?? null,
      disabled: false,
    };
    const inserted = await this.#db
      .insertInto('hub_users')
      .values(row)
      .onConflict((oc) => oc.column('username').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!inserted)
      throw new MeridianError('MER_USER_EXISTS', `user "${u.username}" already exists`, { username: u.username });
    return toPublicUser(inserted);
  }

  /** The stored row for a username, or undefined. */
  async findByUsername(username: string): Promise<HubUser | undefined> {
    return this.#db.selectFrom('hub_users').selectAll().where('username', '=', username).executeTakeFirst();
  }

  /** The stored row for an id, or undefined. */
  async findById(id: string): Promise<HubUser | undefined> {
    const cached = this.#byId.get(id);
    if (cached !== undefined) return cached;
    const row = await this.#db.selectFrom('hub_users').selectAll().where('id', '=', id).executeTakeFirst();
    if (row !== undefined) {
      if (this.#byId.size >= USERS_CACHED_MAX) this.#byId.clear();
      this.#byId.set(id, row);
    }
    return row;
  }

  /** The stored row linked to an OIDC issuer + subject, or undefined. */
  async findByOidc(issuer: string, subject: string): Promise<HubUser | undefined> {
    return this.#db
      .selectFrom('hub_users')
      .selectAll()
      .where('oidc_issuer', '=', issuer)
      .where('oidc_subject', '=', subject)
      .executeTakeFirst();
  }

  /** All users in username order, at most `limit` (bounded to 1000). */
  async list(limit = 200): Promise<PublicUser[]> {
    const rows = await this.#db
      .selectFrom('hub_users')
      .selectAll()
      .orderBy('username')
      .limit(Math.min(Math.max(1, limit), 1000))
      .execute();
    return rows.map(toPublicUser);
  }

  /** Accounts with their state and last login (from the audit trail), in username order, at most `limit` (≤ 1000). */
  async listAccounts(limit = 200): Promise<AccountView[]> {
    const logins = this.#db
      .selectFrom('hub_audit')
      .select(['actor', (eb) => eb.fn.max('at').as('last_login')])
      .where('action', '=', 'login')
      .where('outcome', '=', 'ok')
      .groupBy('actor')
      .as('logins');
    const rows = await this.#db
      .selectFrom('hub_users')
      .leftJoin(logins, 'logins.actor', 'hub_users.username')
      .selectAll('hub_users')
      .select('logins.last_login')
      .orderBy('hub_users.username')
      .limit(Math.min(Math.max(1, limit), 1000))
      .execute();
    return rows.map((row) => ({
      ...toPublicUser(row),
      disabled: row.disabled,
      createdAt: new Date(row.created_at).toISOString(),
      lastLoginAt: row.last_login ? new Date(row.last_login).toISOString() : null,
      login: { password: row.password_hash !== null, oidc: row.oidc_subject !== null },
    }));
  }

  /**
   * Changes an account's display name, role or hospital; MER_USER_NOT_FOUND for an unknown id, MER_USER_INVALID
   * when a hospital-bound role would be left without a hospital.
   */
  async update(id: string, change: AccountChange): Promise<PublicUser> {
    const row = await this.findById(id);
    if (!row) throw new MeridianError('MER_USER_NOT_FOUND', `no user with id ${id}`, { id });
    const role = change.role ?? RoleSchema.parse(row.role);
    const hospital = change.hospital === undefined ? row.hospital : change.hospital;
    if (HOSPITAL_BOUND_ROLES.has(role) && hospital === null) {
      throw new MeridianError(
        'MER_USER_INVALID',
        `hospital: role ${role} is bound to one hospital: give its node name`,
        {
          field: 'hospital',
        },
      );
    }
    const updated = await this.#db
      .updateTable('hub_users')
      .set({ role, hospital, ...(change.displayName === undefined ? {} : { display_name: change.displayName }) })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    this.#byId.delete(id);
    return toPublicUser(updated);
  }

  /** Sets a new password (checked against the password rules); MER_USER_NOT_FOUND for an unknown id. */
  async setPassword(id: string, password: string): Promise<void> {
    const parsed = PasswordSchema.safeParse(password);
    if (!parsed.success) {
      throw new MeridianError('MER_USER_INVALID', `password: ${parsed.error.issues[0]?.message ?? 'invalid'}`, {
        field: 'password',
      });
    }
    const res = await this.#db
      .updateTable('hub_users')
      .set({ password_hash: await hashPassword(parsed.data) })
      .where('id', '=', id)
      .executeTakeFirst();
    this.#byId.delete(id);
    if (res.numUpdatedRows === 0n) throw new MeridianError('MER_USER_NOT_FOUND', `no user with id ${id}`, { id });
  }

  /** Enables or disables an account; a disabled user's sessions stop working at their next request. */
  async setDisabled(id: string, disabled: boolean): Promise<boolean> {
    const res = await this.#db.updateTable('hub_users').set({ disabled }).where('id', '=', id).executeTakeFirst();
    this.#byId.delete(id);
    return res.numUpdatedRows > 0n;
  }
}
