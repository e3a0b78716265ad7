/** Who may open the dashboard, as plain data so the portal's bundle shares it with the hub. */
import type { Role } from '../auth/role-names.ts';

/** Managers and oversight: administrators, auditors and the ethics committee. */
export const DASHBOARD_ROLES = ['manager', 'admin', 'auditor', 'ethics'] as const satisfies readonly Role[];
