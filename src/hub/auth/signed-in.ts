/** The signed-in user of a request on a route the role guard let through. */
import type { FastifyRequest } from 'fastify';
import { MeridianError } from '../../errors/registry.ts';
import type { UserPrincipal } from '../../http/route-config.ts';

/** The request's user; MER_AUTH_TOKEN_MISSING if the route was reached without one (a public route). */
export function signedIn(request: FastifyRequest): UserPrincipal {
  if (!request.user) throw new MeridianError('MER_AUTH_TOKEN_MISSING', 'this route needs a signed-in user');
  return request.user;
}
