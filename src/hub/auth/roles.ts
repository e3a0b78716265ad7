/** The hub's user roles; every route declares which of them it allows. */
import { z } from 'zod';

/** All roles, in the order the portal lists them. */
export const ROLES = ['admin', 'researcher', 'clinician', 'steward', 'ethics', 'auditor', 'manager'] as const;

/** A user role. */
export type Role = (typeof ROLES)[number];

/** Zod schema of a role, for request bodies. */
export const RoleSchema = z.enum(ROLES);

/** Roles whose users act for one hospital and so must name it. */
export const HOSPITAL_BOUND_ROLES: ReadonlySet<Role> = new Set<Role>(['steward']);
