/**
 * OpenID Connect login against a real identity provider process-local server over HTTP: discovery, JWKS,
 * authorization code with PKCE, ID-token verification, and the refusals (unlinked subject, replayed state,
 * wrong nonce, forged token).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { HubApps } from '../../src/hub/app.ts';
import { startTestHub } from './test-hub.ts';

let idp: FastifyInstance;
let issuer: string;
let hub: HubApps;
let dispose: () => Promise<void>;
const tamper = { nonce: false, forge: false, subject: 'u-123' };

before(async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const rogue = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const codes = new Map<string, { nonce: string; challenge: string; clientId: string }>();
  idp = Fastify();
  idp.get('/.well-known/openid-configuration', async () => ({
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
  }));
  idp.get('/jwks', async () => ({ keys: [jwk] }));
  idp.get('/authorize', async (req, reply) => {
    const q = req.query as Record<string, string>;
    assert.equal(q.code_challenge_method, 'S256');
    const code = `code-${codes.size}`;
    codes.set(code, { nonce: q.nonce ?? '', challenge: q.code_challenge ?? '', clientId: q.client_id ?? '' });
    return reply.redirect(`${q.redirect_uri}?${new URLSearchParams({ code, state: q.state ?? '' })}`, 302);
  });
  idp.post('/token', async (req, reply) => {
    const form = req.body as Record<string, string>;
    const entry = codes.get(form.code ?? '');
    const verifier = createHash('sha256')
      .update(form.code_verifier ?? '')
      .digest('base64url');
    if (!entry || verifier !== entry.challenge) return reply.code(400).send({ error: 'invalid_grant' });
    codes.delete(form.code ?? '');
    const idToken = await new SignJWT({ nonce: tamper.nonce ? 'other' : entry.nonce })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(issuer)
      .setAudience(entry.clientId)
      .setSubject(tamper.subject)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(tamper.forge ? rogue.privateKey : privateKey);
    return { id_token: idToken, token_type: 'Bearer' };
  });
  idp.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  issuer = await idp.listen({ host: '127.0.0.1', port: 0 });

  ({ hub, dispose } = await startTestHub({
    hub: {
      publicUrl: 'http://portal.test',
      oidc: [{ id: 'hospital-sso', displayName: '医院统一认证', issuer, clientId: 'meridian' }],
    },
  }));
  await hub.users.create({
    username: 'dr-wang',
    displayName: '王医生',
    role: 'clinician',
    hospital: 'hospital-a',
    oidc: { issuer, subject: 'u-123' },
  });
});

after(async () => {
  await dispose();
  await idp.close();
});

/** Runs the browser's part: start at the hub, follow the IdP, come back to the hub's callback. */
async function loginFlow(): Promise<{ fragment: URLSearchParams; callbackPath: string }> {
  const start = await hub.userApp.inject({ url: '/api/auth/oidc/hospital-sso/start?returnTo=/panorama' });
  assert.equal(start.statusCode, 302);
  const authorize = new URL(start.headers.location as string);
  assert.equal(authorize.origin, new URL(issuer).origin);
  assert.equal(authorize.searchParams.get('redirect_uri'), 'http://portal.test/api/auth/oidc/hospital-sso/callback');
  const back = await fetch(authorize, { redirect: 'manual' });
  const callback = new URL(back.headers.get('location') as string);
  const callbackPath = `${callback.pathname}${callback.search}`;
  const done = await hub.userApp.inject({ url: callbackPath });
  assert.equal(done.statusCode, 302);
  const location = done.headers.location as string;
  assert.ok(location.startsWith('/login#'), location);
  return { fragment: new URLSearchParams(location.slice('/login#'.length)), callbackPath };
}

test('a linked identity logs in through the provider and gets a hub session with its Meridian role', async () => {
  const providers = (await hub.userApp.inject({ url: '/api/auth/providers' })).json().providers;
  assert.deepEqual(providers[1], { id: 'hospital-sso', kind: 'redirect', displayName: '医院统一认证' });
  const { fragment, callbackPath } = await loginFlow();
  assert.equal(fragment.get('returnTo'), '/panorama');
  const me = await hub.userApp.inject({
    url: '/api/auth/me',
    headers: { authorization: `Bearer ${fragment.get('token')}` },
  });
  assert.equal(me.json().user.username, 'dr-wang');
  assert.equal(me.json().user.role, 'clinician');
  const replay = await hub.userApp.inject({ url: callbackPath });
  assert.equal(
    new URLSearchParams((replay.headers.location as string).split('#')[1]).get('error'),
    'MER_AUTH_STATE_INVALID',
  );
});

test('an unlinked subject, a wrong nonce and a token signed by another key get no session', async () => {
  for (const [what, expected] of [
    ['subject', 'MER_AUTH_BAD_CREDENTIALS'],
    ['nonce', 'MER_AUTH_TOKEN_INVALID'],
    ['forge', 'MER_AUTH_TOKEN_INVALID'],
  ] as const) {
    tamper.subject = what === 'subject' ? 'someone-else' : 'u-123';
    tamper.nonce = what === 'nonce';
    tamper.forge = what === 'forge';
    const { fragment } = await loginFlow();
    assert.equal(fragment.get('token'), null, what);
    assert.equal(fragment.get('error'), expected, what);
  }
  tamper.subject = 'u-123';
  tamper.nonce = false;
  tamper.forge = false;
  const audit = await hub.audit.recent(20);
  assert.ok(audit.filter((a) => a.action === 'login' && a.outcome === 'refused').length >= 3);
});

test('an unknown provider and an off-site returnTo are refused', async () => {
  const unknown = await hub.userApp.inject({ url: '/api/auth/oidc/nope/start' });
  assert.equal(unknown.statusCode, 501);
  assert.equal(unknown.json().error.code, 'MER_AUTH_PROVIDER_UNAVAILABLE');
  const offsite = await hub.userApp.inject({ url: '/api/auth/oidc/hospital-sso/start?returnTo=//evil.example/x' });
  assert.equal(offsite.statusCode, 400);
});
