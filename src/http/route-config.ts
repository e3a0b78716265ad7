/** Route-level access declarations shared by the hub and node servers (read by the guards). */
import type { Role } from '../hub/auth/roles.ts';

/** Roles of institutions in the consortium, as written in their certificates. */
export type PeerRole = 'node' | 'hub';

/** The verified institution at the other end of a mutual-TLS connection. */
export interface PeerPrincipal {
  name: string;
  role: PeerRole;
  fingerprint256: string;
}

/** The signed-in portal user behind a request. */
export interface UserPrincipal {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  hospital: string | null;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Open to anyone (login, health); exclusive with roles and peer. */
    public?: boolean;
    /** Portal roles allowed on this route. */
    roles?: readonly Role[];
    /** Institution roles (from the client certificate) allowed on this route. */
    peer?: readonly PeerRole[];
  }
  interface FastifyRequest {
    user: UserPrincipal | null;
    peer: PeerPrincipal | null;
  }
}

/** One route's declared access, as listed for the role tests and docs. */
export interface RouteAccess {
  method: string;
  url: string;
  access: 'public' | { roles: readonly Role[] } | { peer: readonly PeerRole[] };
}
