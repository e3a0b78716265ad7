/** The hub's login, session and account routes (/api/auth/*, /api/admin/users). */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { MeridianError } from '../../errors/registry.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { LoginProvider } from './providers.ts';
import { ROLES } from './roles.ts';
import type { SessionIssuer } from './sessions.ts';
import { NewUserSchema, type UserStore } from './users.ts';

const LoginBody = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
  provider: z.string().max(64).optional(),
});

const UserView = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  role: z.enum(ROLES),
  hospital: z.string().nullable(),
});

/** Registers the auth and account routes. */
export function registerAuthRoutes(
  app: FastifyInstance,
  deps: {
    providers: LoginProvider[];
    sessions: SessionIssuer;
    users: UserStore;
    audit: AuditLog;
    throttle: LoginThrottle;
  },
): void {
  app.get(
    '/api/auth/providers',
    { config: { public: true }, schema: { tags: ['auth'], summary: 'Login providers the portal can offer' } },
    async () => ({ providers: deps.providers.map((p) => ({ id: p.id, kind: p.kind })) }),
  );

  app.post(
    '/api/auth/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Log in with a username and password; returns a short-lived session token',
        body: LoginBody,
      },
    },
    async (request) => {
      const body = request.body as z.infer<typeof LoginBody>;
      const providerId = body.provider ?? 'local';
      const provider = deps.providers.find((p) => p.id === providerId);
      if (provider?.kind !== 'password') {
        throw new MeridianError(
          'MER_AUTH_PROVIDER_UNAVAILABLE',
          `login provider "${providerId}" is not configured for passwords`,
        );
      }
      const lockedMs = deps.throttle.lockedForMs(body.username);
      if (lockedMs > 0) {
        await deps.audit.record({
          actor: body.username,
          action: 'login',
          outcome: 'refused',
          detail: { provider: providerId, code: 'MER_AUTH_LOCKED' },
        });
        throw new MeridianError(
          'MER_AUTH_LOCKED',
          `too many failed logins for "${body.username}"; try again in ${Math.ceil(lockedMs / 60_000)} min`,
          {
            retryAfterSec: Math.ceil(lockedMs / 1000),
          },
        );
      }
      try {
        const user = await provider.authenticate({ username: body.username, password: body.password });
        deps.throttle.succeed(body.username);
        const { token, expiresAt } = await deps.sessions.issue(user);
        await deps.audit.record({
          actor: user.username,
          actorRole: user.role,
          action: 'login',
          outcome: 'ok',
          detail: { provider: providerId },
        });
        return { token, expiresAt: expiresAt.toISOString(), user };
      } catch (e) {
        const locked =
          e instanceof MeridianError && e.code === 'MER_AUTH_BAD_CREDENTIALS' && deps.throttle.fail(body.username);
        await deps.audit.record({
          actor: body.username,
          action: 'login',
          outcome: 'refused',
          detail: { provider: providerId, code: e instanceof MeridianError ? e.code : 'MER_INTERNAL', locked },
        });
        throw e;
      }
    },
  );

  app.get(
    '/api/auth/me',
    { config: { roles: ROLES }, schema: { tags: ['auth'], summary: 'The signed-in user', security: [{ bearer: [] }] } },
    async (request) => ({ user: request.user }),
  );

  app.get(
    '/api/admin/users',
    { config: { roles: ['admin'] }, schema: { tags: ['admin'], summary: 'List accounts', security: [{ bearer: [] }] } },
    async () => ({ users: await deps.users.list() }),
  );

  app.post(
    '/api/admin/users',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['admin'],
        summary: 'Create a local account',
        security: [{ bearer: [] }],
        body: NewUserSchema,
        response: { 201: z.object({ user: UserView }) },
      },
    },
    async (request, reply) => {
      const created = await deps.users.create(request.body as z.input<typeof NewUserSchema>);
      await deps.audit.record({
        actor: request.user?.username ?? 'unknown',
        actorRole: request.user?.role ?? null,
        action: 'user.create',
        target: created.username,
        outcome: 'ok',
        detail: { role: created.role, hospital: created.hospital },
      });
      return reply.code(201).send({ user: created });
    },
  );
}
