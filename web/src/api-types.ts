/**
 * Shapes of the hub API bodies the portal reads (the contract in docs; the hub validates with Zod). Kept as
 * plain types so the browser bundle carries no schema library.
 */

/** The roles a portal user can have. */
export const ROLES = ['admin', 'researcher', 'clinician', 'steward', 'ethics', 'auditor', 'manager'] as const;

/** One of the portal roles. */
export type Role = (typeof ROLES)[number];

/** The signed-in user as the hub describes them; `hospital` is a node name, or null for hub-level users. */
export interface User {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  hospital: string | null;
}

/** Body of `POST /api/auth/login` on success. */
export interface LoginResponse {
  token: string;
  expiresAt: string;
  user: User;
}

/** Body of `GET /api/auth/me`. */
export interface MeResponse {
  user: User;
}

/** Size of one lake table, when the hub reports tables one by one. */
export interface TableVolume {
  rows: number;
  bytes: number;
  files?: number;
}

/** Software versions a node runs; `schema` may be absent or null before the first load. */
export interface NodeVersions {
  meridian: string;
  node: string;
  schema?: string | null;
}

/**
 * One hospital node as the hub sees it. The portal accepts `tables` as a count (the documented contract) or
 * as a per-table map (what the node heartbeat carries), and `versions: null` for a node never heard from.
 */
export interface NodeInfo {
  name: string;
  displayName: string;
  state: 'up' | 'down';
  lastSeen: string | null;
  since: string | null;
  versions: NodeVersions | null;
  dataVolume: { rows: number; bytes: number; tables: number | Record<string, TableVolume> };
  address: string | null;
}

/** Body of `GET /api/nodes`. */
export interface NodesResponse {
  generatedAt: string;
  nodes: NodeInfo[];
}
