/**
 * Role guard for the hub's user API. Every /api route must declare `config.public` or `config.roles`
 * (start-up fails otherwise); a request with no, expired or invalid token gets 401, a wrong role 403 —
 * before the handler runs, so no data is touched — and each refusal is audited.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MeridianError } from '../../errors/registry.ts';
import type { RouteAccess } from '../../http/route-config.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { SessionIssuer } from './sessions.ts';
import { toPublicUser, type UserStore } from './users.ts';

/** Installs the guard; `routes` collects every declared route for tests and docs. */
export function installRoleGuard(
  app: FastifyInstance,
  deps: { sessions: SessionIssuer; users: UserStore; audit: AuditLog; routes: RouteAccess[] },
): void {
  app.decorateRequest('user', null);
  app.addHook('onRoute', (route) => {
    const cfg = route.config;
    const method = Array.isArray(route.method) ? route.method.join(',') : route.method;
    if (method === 'HEAD') return;
    if (!route.url.startsWith('/api')) return;
    if (cfg?.public) deps.routes.push({ method, url: route.url, access: 'public' });
    else if (cfg?.roles && cfg.roles.length > 0)
      deps.routes.push({ method, url: route.url, access: { roles: cfg.roles } });
    else throw new Error(`route ${method} ${route.url} must declare config.roles or config.public`);
  });
  app.addHook('onRequest', async (request) => {
    const cfg = request.routeOptions.config;
    if (request.is404 || cfg?.public || !cfg?.roles) return;
    const claims = await deps.sessions.verify(bearerToken(request));
    const row = await deps.users.findById(claims.sub);
    if (!row) throw new MeridianError('MER_AUTH_TOKEN_INVALID', 'the session belongs to a user that no longer exists');
    if (row.disabled) throw new MeridianError('MER_AUTH_USER_DISABLED', `account "${row.username}" is disabled`);
    const user = toPublicUser(row);
    if (!cfg.roles.includes(user.role)) {
      await deps.audit.record({
        actor: user.username,
        actorRole: user.role,
        action: `${request.method} ${request.routeOptions.url}`,
        outcome: 'refused',
        detail: { reason: 'role', allowed: cfg.roles },
      });
      throw new MeridianError(
        'MER_AUTH_FORBIDDEN',
        `role "${user.role}" may not use this; allowed: ${cfg.roles.join(', ')}`,
        {
          role: user.role,
          allowed: cfg.roles,
        },
      );
    }
    request.user = user;
  });
}

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (!header)
    throw new MeridianError('MER_AUTH_TOKEN_MISSING', 'this route needs a session: send Authorization: Bearer <token>');
  const match = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/.exec(header);
  if (!match?.[1])
    throw new MeridianError('MER_AUTH_TOKEN_INVALID', 'the Authorization header must be "Bearer <token>"');
  return match[1];
}
