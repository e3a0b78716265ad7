/** The hub's user roles; every route declares which of them it allows (the lists live in role-names.ts). */
import { z } from 'zod';
import { ROLES } from './role-names.ts';

export { HOSPITAL_BOUND_ROLES, LEDGER_ROLES, ROLES, type Role } from './role-names.ts';

/** Zod schema of a role, for request bodies. */
export const RoleSchema = z.enum(ROLES);
