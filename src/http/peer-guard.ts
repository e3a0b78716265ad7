/**
 * Mutual-TLS guard for institution routes. The TLS listener asks for a client certificate but lets the
 * handshake finish without a valid one, so that a missing, foreign, expired or revoked certificate gets an
 * HTTP 401 with a JSON body naming the problem instead of an opaque handshake failure.
 */
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { peerIdentity } from '../ca/index.ts';
import { MeridianError } from '../errors/registry.ts';
import type { PeerPrincipal, RouteAccess } from './route-config.ts';

const TLS_REASONS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'the client certificate has expired',
  CERT_NOT_YET_VALID: 'the client certificate is not yet valid',
  CERT_REVOKED: 'the client certificate has been revoked by the consortium CA',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the client certificate was not issued by this consortium CA',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the client certificate was not issued by this consortium CA',
  UNABLE_TO_GET_ISSUER_CERT: 'the client certificate was not issued by this consortium CA',
  UNABLE_TO_GET_CRL: 'the client certificate was not issued by this consortium CA (no revocation list for its issuer)',
  CRL_HAS_EXPIRED: "this server's certificate revocation list has expired; the consortium CA must renew it",
  SELF_SIGNED_CERT_IN_CHAIN: 'the client certificate chains to a CA this consortium does not trust',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the client certificate is self-signed, not issued by the consortium CA',
  CERT_SIGNATURE_FAILURE: 'the client certificate signature does not verify',
};

/** Requires a verified consortium certificate with an allowed role on routes that declare `peer`. */
export function installPeerGuard(app: FastifyInstance, routes: RouteAccess[]): void {
  app.decorateRequest('peer', null);
  app.addHook('onRoute', (route) => {
    const cfg = route.config;
    const method = Array.isArray(route.method) ? route.method.join(',') : route.method;
    if (method === 'HEAD') return;
    if (cfg?.peer) routes.push({ method, url: route.url, access: { peer: cfg.peer } });
    else if (route.url.startsWith('/peer/')) {
      throw new Error(`route ${method} ${route.url} must declare config.peer (the institution roles allowed)`);
    }
  });
  app.addHook('onRequest', async (request) => {
    const allowed = request.routeOptions.config?.peer;
    if (!allowed) return;
    const socket = request.raw.socket as TLSSocket;
    if (!socket.encrypted) {
      throw new MeridianError(
        'MER_TLS_CLIENT_CERT_REQUIRED',
        'institution routes need HTTPS with a client certificate',
      );
    }
    if (!socket.authorized) {
      const reason = String(socket.authorizationError ?? 'NO_CERTIFICATE');
      const cert = socket.getPeerCertificate();
      const presented = cert && Object.keys(cert).length > 0;
      throw new MeridianError(
        'MER_TLS_CLIENT_CERT_REQUIRED',
        presented
          ? `client certificate refused: ${TLS_REASONS[reason] ?? reason} (${reason})`
          : 'no client certificate presented; institution routes need a certificate from the consortium CA',
        { reason: presented ? reason : 'NO_CERTIFICATE' },
      );
    }
    const id = peerIdentity(socket);
    if (!id)
      throw new MeridianError('MER_TLS_CLIENT_CERT_REQUIRED', 'the client certificate carries no Meridian identity');
    if (!allowed.includes(id.role)) {
      throw new MeridianError(
        'MER_TLS_PEER_FORBIDDEN',
        `${id.role} "${id.name}" may not call this route; allowed: ${allowed.join(', ')}`,
        {
          peer: id.name,
          role: id.role,
        },
      );
    }
    request.peer = { name: id.name, role: id.role, fingerprint256: id.fingerprint256 } satisfies PeerPrincipal;
  });
}
