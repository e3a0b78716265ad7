/**
 * The hub's user roles as plain data (no schema library), so the portal's bundle can share them: every route
 * declares which of them it allows.
 */

/** All roles, in the order the portal lists them. */
export const ROLES = ['admin', 'researcher', 'clinician', 'steward', 'ethics', 'auditor', 'manager'] as const;

/** A user role. */
export type Role = (typeof ROLES)[number];

/** Roles whose users act for one hospital and so must name it. */
export const HOSPITAL_BOUND_ROLES: ReadonlySet<Role> = new Set<Role>(['steward']);

/**
 * Roles that may read the consortium ledger through the hub (explorer, receipts, validator status): auditors
 * verify history and administrators run the validators. The ledger holds no clinical content, but its index
 * data (who asked for what, patient tokens in receipts) is for oversight, not for everyday users.
 */
export const LEDGER_ROLES = ['auditor', 'admin'] as const satisfies readonly Role[];

/** Roles that read research projects: researchers (the projects they belong to) and oversight roles (all). */
export const PROJECT_READ_ROLES = [
  'researcher',
  'ethics',
  'auditor',
  'manager',
  'admin',
] as const satisfies readonly Role[];

/** Roles that read data-use requests: researchers (their projects'), stewards (their hospital's), the rest all. */
export const REQUEST_READ_ROLES = [...PROJECT_READ_ROLES, 'steward'] as const satisfies readonly Role[];
