/** The hub's login and session routes (/api/auth/*); accounts are administered in ../admin/routes.ts. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { MeridianError } from '../../errors/registry.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { OidcStateStore } from './oidc.ts';
import type { LoginProvider, RedirectLoginProvider } from './providers.ts';
import { ROLES } from './roles.ts';
import type { SessionIssuer } from './sessions.ts';
import type { UserStore } from './users.ts';

const LoginBody = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
  provider: z.string().max(64).optional(),
});

const ProviderParams = z.strictObject({ provider: z.string().max(32) });
const StartQuery = z.strictObject({
  returnTo: z
    .string()
    .regex(/^\/[^/\\]/, 'a path inside the portal')
    .max(500)
    .optional(),
});
const CallbackQuery = z.object({
  state: z.string().max(200),
  code: z.string().max(4000).optional(),
  error: z.string().max(200).optional(),
});

function redirectProvider(providers: LoginProvider[], id: string): RedirectLoginProvider {
  const p = providers.find((x) => x.id === id);
  if (p?.kind !== 'redirect')
    throw new MeridianError('MER_AUTH_PROVIDER_UNAVAILABLE', `login provider "${id}" is not configured`);
  return p;
}

function callbackUri(request: FastifyRequest, publicUrl: string | undefined, provider: string): string {
  const base = publicUrl ?? `${request.protocol}://${request.host}`;
  return new URL(`/api/auth/oidc/${provider}/callback`, base).toString();
}

/** Registers the auth and account routes. */
export function registerAuthRoutes(
  app: FastifyInstance,
  deps: {
    providers: LoginProvider[];
    sessions: SessionIssuer;
    users: UserStore;
    audit: AuditLog;
    throttle: LoginThrottle;
    oidcStates: OidcStateStore;
    publicUrl: string | undefined;
  },
): void {
  app.get(
    '/api/auth/providers',
    { config: { public: true }, schema: { tags: ['auth'], summary: 'Login providers the portal can offer' } },
    async () => ({
      providers: deps.providers.map((p) => ({
        id: p.id,
        kind: p.kind,
        ...(p.kind === 'redirect' ? { displayName: p.displayName } : {}),
      })),
    }),
  );

  app.get(
    '/api/auth/oidc/:provider/start',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Start an OpenID Connect login: redirects to the identity provider',
        params: ProviderParams,
        querystring: StartQuery,
      },
    },
    async (request, reply) => {
      const provider = redirectProvider(deps.providers, (request.params as z.infer<typeof ProviderParams>).provider);
      const { returnTo } = request.query as z.infer<typeof StartQuery>;
      const { state, nonce, challenge } = deps.oidcStates.begin(provider.id, returnTo ?? '/');
      try {
        const redirectUri = callbackUri(request, deps.publicUrl, provider.id);
        const url = await provider.authorizationUrl({ state, nonce, codeChallenge: challenge, redirectUri });
        return reply.redirect(url.toString(), 302);
      } catch (e) {
        if (!(e instanceof MeridianError)) throw e;
        request.log.warn({ provider: provider.id, code: e.code }, e.message);
        return reply.redirect(`/login#${new URLSearchParams({ error: e.code, message: e.message })}`, 302);
      }
    },
  );

  app.get(
    '/api/auth/oidc/:provider/callback',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Where the identity provider returns; ends at the portal with a session',
        params: ProviderParams,
        querystring: CallbackQuery,
      },
    },
    async (request, reply) => {
      const provider = redirectProvider(deps.providers, (request.params as z.infer<typeof ProviderParams>).provider);
      const query = request.query as z.infer<typeof CallbackQuery>;
      const fail = async (code: string, message: string) => {
        await deps.audit.record({
          actor: `oidc:${provider.id}`,
          action: 'login',
          outcome: 'refused',
          detail: { provider: provider.id, code },
        });
        return reply.redirect(`/login#${new URLSearchParams({ error: code, message })}`, 302);
      };
      const attempt = deps.oidcStates.take(provider.id, query.state);
      if (!attempt)
        return fail('MER_AUTH_STATE_INVALID', 'the login attempt is unknown, expired or was already used; start again');
      if (query.error || !query.code)
        return fail('MER_AUTH_BAD_CREDENTIALS', `the identity provider refused: ${query.error ?? 'no code'}`);
      try {
        const user = await provider.callback({
          code: query.code,
          nonce: attempt.nonce,
          codeVerifier: attempt.verifier,
          redirectUri: callbackUri(request, deps.publicUrl, provider.id),
        });
        const { token, expiresAt } = await deps.sessions.issue(user);
        await deps.audit.record({
          actor: user.username,
          actorRole: user.role,
          action: 'login',
          outcome: 'ok',
          detail: { provider: provider.id },
        });
        return reply.redirect(
          `/login#${new URLSearchParams({ token, expiresAt: expiresAt.toISOString(), returnTo: attempt.returnTo })}`,
          302,
        );
      } catch (e) {
        if (!(e instanceof MeridianError)) throw e;
        return fail(e.code, e.message);
      }
    },
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
}
