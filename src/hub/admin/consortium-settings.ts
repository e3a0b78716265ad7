/**
 * The consortium settings the hub keeps in its database (hub_settings): the minimum cell size every federated
 * task carries as its floor, and the default and maximum ε of a data-use request. Read on every task, so the
 * current value is held in memory and written through on change (this hub is the only writer).
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { MeridianError } from '../../errors/registry.ts';
import type { HubDatabase } from '../schema.ts';
import {
  CONSORTIUM_SETTINGS_DEFAULT,
  type ConsortiumSettings,
  type ConsortiumSettingsView,
  EPSILON_SETTING_MAX,
  MIN_CELL_SETTING_MAX,
  MIN_CELL_SETTING_MIN,
} from './admin-shared.ts';

const SETTINGS_KEY = 'consortium';

/** Zod schema of the consortium settings (body of the admin's change, and what is stored). */
export const ConsortiumSettingsSchema = z
  .strictObject({
    minCell: z.number().int().min(MIN_CELL_SETTING_MIN).max(MIN_CELL_SETTING_MAX),
    epsilonDefault: z.number().positive().max(EPSILON_SETTING_MAX),
    epsilonMax: z.number().positive().max(EPSILON_SETTING_MAX),
  })
  .refine((s) => s.epsilonDefault <= s.epsilonMax, {
    message: 'the default ε must not exceed the maximum ε',
    path: ['epsilonDefault'],
  });

/** Checks a settings value; MER_SETTINGS_INVALID names the field and the rule. */
export function parseConsortiumSettings(input: unknown): ConsortiumSettings {
  const parsed = ConsortiumSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || 'settings';
    throw new MeridianError('MER_SETTINGS_INVALID', `${field}: ${issue?.message ?? 'invalid'}`, { field });
  }
  return parsed.data;
}

/** The hub's consortium settings: loaded once, changed by administrators, read by every task. */
export class ConsortiumSettingsStore {
  readonly #db: Kysely<HubDatabase>;
  readonly #now: () => Date;
  #current: ConsortiumSettingsView = { ...CONSORTIUM_SETTINGS_DEFAULT, updatedAt: null, updatedBy: null };

  constructor(opts: { db: Kysely<HubDatabase>; now: () => Date }) {
    this.#db = opts.db;
    this.#now = opts.now;
  }

  /** Reads the stored settings (the defaults when none were stored). */
  async load(): Promise<ConsortiumSettingsView> {
    const row = await this.#db
      .selectFrom('hub_settings')
      .selectAll()
      .where('key', '=', SETTINGS_KEY)
      .executeTakeFirst();
    if (row) {
      this.#current = {
        ...parseConsortiumSettings(row.value),
        updatedAt: new Date(row.updated_at).toISOString(),
        updatedBy: row.updated_by,
      };
    }
    return this.current();
  }

  /** The settings in force. */
  current(): ConsortiumSettingsView {
    return { ...this.#current };
  }

  /** Validates and stores new settings on behalf of `by`; returns them as now in force. */
  async update(input: unknown, by: string): Promise<ConsortiumSettingsView> {
    const settings = parseConsortiumSettings(input);
    const at = this.#now();
    const value = JSON.stringify(settings);
    await this.#db
      .insertInto('hub_settings')
      .values({ key: SETTINGS_KEY, value, updated_at: at, updated_by: by })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: at, updated_by: by }))
      .execute();
    this.#current = { ...settings, updatedAt: at.toISOString(), updatedBy: by };
    return this.current();
  }
}
