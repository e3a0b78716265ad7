/** Who may build cohorts and count them: the hub's federation roles (researchers), as plain data for the portal. */
import type { Role } from '../api-types.ts';

/** Roles that may open the cohort builder (the hub refuses the concept, count and save routes to the rest). */
export const COHORT_ROLES = ['researcher'] as const satisfies readonly Role[];
