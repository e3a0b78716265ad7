/**
 * What the admin page and the hub's admin routes share as plain data (no schema library, no node:crypto): the
 * consortium settings' shape and bounds, and which roles act for one hospital.
 */
import type { Role } from '../auth/role-names.ts';

/** Roles whose accounts the administrators must bind to a hospital the hub knows (they act for one hospital). */
export const ADMIN_HOSPITAL_ROLES: ReadonlySet<Role> = new Set<Role>(['steward', 'clinician']);

/** The consortium's disclosure and privacy-budget settings, as the API returns them. */
export interface ConsortiumSettings {
  /** Counts below this are suppressed at every node; a node's own larger setting still wins. */
  minCell: number;
  /** ε a new data-use request gets when it names none. */
  epsilonDefault: number;
  /** Largest total ε one data-use request may ask for. */
  epsilonMax: number;
}

/** A stored settings value with who changed it and when (null before anyone changed the defaults). */
export interface ConsortiumSettingsView extends ConsortiumSettings {
  updatedAt: string | null;
  updatedBy: string | null;
}

/** Smallest consortium minimum cell size. */
export const MIN_CELL_SETTING_MIN = 1;
/** Largest consortium minimum cell size (the same bound the nodes' disclosure control accepts). */
export const MIN_CELL_SETTING_MAX = 1_000;
/** Largest ε the consortium may allow one request (far above any meaningful privacy guarantee already). */
export const EPSILON_SETTING_MAX = 100;
/** Finest ε step the settings keep (the ledger counts ε in micro-ε). */
export const EPSILON_SETTING_STEP = 0.000001;

/** What a hub starts with before an administrator changes anything. */
export const CONSORTIUM_SETTINGS_DEFAULT: ConsortiumSettings = { minCell: 5, epsilonDefault: 1, epsilonMax: 10 };
