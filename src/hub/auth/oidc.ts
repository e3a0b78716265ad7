/**
 * OpenID Connect login (a hospital's or the region's identity system): authorization code flow with PKCE
 * (S256), state and nonce; the ID token is verified against the issuer's published keys (issuer, audience,
 * expiry, nonce, signature), and its subject must be linked to a hub account (hub_users.oidc_issuer +
 * oidc_subject) — an identity the hub does not know gets no session. Roles stay in Meridian, not in the IdP.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { z } from 'zod';
import type { OidcProviderConfig } from '../../config/schema.ts';
import { MeridianError } from '../../errors/registry.ts';
import type { RedirectLoginProvider } from './providers.ts';
import { type PublicUser, toPublicUser, type UserStore } from './users.ts';

const DiscoverySchema = z.object({
  issuer: z.string(),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
  jwks_uri: z.url(),
});
const TokenResponseSchema = z.object({ id_token: z.string().min(10).max(20_000) });

/** Deadline of every call to the identity provider. */
const IDP_TIMEOUT_MS = 10_000;

/** A new PKCE verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** An OIDC identity provider behind the hub's redirect-login interface. */
export class OidcLoginProvider implements RedirectLoginProvider {
  readonly kind = 'redirect';
  readonly id: string;
  readonly displayName: string;
  readonly #config: OidcProviderConfig;
  readonly #users: UserStore;
  readonly #now: () => Date;
  #discovery: Promise<{ meta: z.infer<typeof DiscoverySchema>; keys: JWTVerifyGetKey }> | undefined;

  constructor(opts: { config: OidcProviderConfig; users: UserStore; now: () => Date }) {
    this.#config = opts.config;
    this.id = opts.config.id;
    this.displayName = opts.config.displayName;
    this.#users = opts.users;
    this.#now = opts.now;
  }

  /** The IdP's authorization endpoint with this login attempt's parameters. */
  async authorizationUrl(input: {
    state: string;
    nonce: string;
    redirectUri: string;
    codeChallenge: string;
  }): Promise<URL> {
    const { meta } = await this.#discover();
    const url = new URL(meta.authorization_endpoint);
    const params = {
      response_type: 'code',
      client_id: this.#config.clientId,
      redirect_uri: input.redirectUri,
      scope: this.#config.scopes.join(' '),
      state: input.state,
      nonce: input.nonce,
      code_challenge: input.codeChallenge,
      code_challenge_method: 'S256',
    };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return url;
  }

  /** Exchanges the code, verifies the ID token and returns the linked hub user. */
  async callback(input: {
    code: string;
    nonce: string;
    redirectUri: string;
    codeVerifier: string;
  }): Promise<PublicUser> {
    const { meta, keys } = await this.#discover();
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code: input.code,
      redirect_uri: input.redirectUri,
      client_id: this.#config.clientId,
      code_verifier: input.codeVerifier,
      ...(this.#config.clientSecret ? { client_secret: this.#config.clientSecret } : {}),
    });
    const res = await this.#fetch(meta.token_endpoint, {
      method: 'POST',
      body: form,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const token = TokenResponseSchema.safeParse(await res.json().catch(() => null));
    if (!res.ok || !token.success) {
      throw new MeridianError(
        'MER_AUTH_BAD_CREDENTIALS',
        `the identity provider "${this.id}" refused the login code (HTTP ${res.status})`,
      );
    }
    let claims: { sub?: string; nonce?: unknown };
    try {
      ({ payload: claims } = await jwtVerify(token.data.id_token, keys, {
        issuer: meta.issuer,
        audience: this.#config.clientId,
        currentDate: this.#now(),
        clockTolerance: 30,
      }));
    } catch (e) {
      throw new MeridianError(
        'MER_AUTH_TOKEN_INVALID',
        `the ID token from "${this.id}" does not verify: ${(e as Error).message}`,
      );
    }
    if (claims.nonce !== input.nonce)
      throw new MeridianError('MER_AUTH_TOKEN_INVALID', `the ID token from "${this.id}" answers another login attempt`);
    if (!claims.sub)
      throw new MeridianError('MER_AUTH_TOKEN_INVALID', `the ID token from "${this.id}" names no subject`);
    const row = await this.#users.findByOidc(meta.issuer.replace(/\/$/, ''), claims.sub);
    if (!row) {
      throw new MeridianError(
        'MER_AUTH_BAD_CREDENTIALS',
        `no Meridian account is linked to this ${this.displayName} identity; ask an administrator to link it`,
        {
          issuer: meta.issuer,
          subject: claims.sub,
        },
      );
    }
    if (row.disabled) throw new MeridianError('MER_AUTH_USER_DISABLED', `account "${row.username}" is disabled`);
    return toPublicUser(row);
  }

  #discover() {
    this.#discovery ??= (async () => {
      const url = new URL(
        '.well-known/openid-configuration',
        this.#config.issuer.endsWith('/') ? this.#config.issuer : `${this.#config.issuer}/`,
      );
      const res = await this.#fetch(url.toString(), {});
      const meta = DiscoverySchema.safeParse(await res.json().catch(() => null));
      if (!res.ok || !meta.success || meta.data.issuer.replace(/\/$/, '') !== this.#config.issuer.replace(/\/$/, '')) {
        throw new MeridianError(
          'MER_AUTH_PROVIDER_UNAVAILABLE',
          `the identity provider "${this.id}" has no valid discovery document at ${url}`,
        );
      }
      return {
        meta: meta.data,
        keys: createRemoteJWKSet(new URL(meta.data.jwks_uri), { timeoutDuration: IDP_TIMEOUT_MS }),
      };
    })();
    this.#discovery.catch(() => {
      this.#discovery = undefined;
    });
    return this.#discovery;
  }

  async #fetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(IDP_TIMEOUT_MS), redirect: 'error' });
    } catch (e) {
      throw new MeridianError(
        'MER_AUTH_PROVIDER_UNAVAILABLE',
        `the identity provider "${this.id}" cannot be reached: ${(e as Error).message}`,
      );
    }
  }
}

/** Pending login attempts (state → nonce, PKCE verifier, where to return), bounded and expiring. */
export class OidcStateStore {
  static readonly TTL_MS = 10 * 60_000;
  static readonly SIZE_MAX = 10_000;
  readonly #pending = new Map<
    string,
    { provider: string; nonce: string; verifier: string; returnTo: string; expiresAt: number }
  >();
  readonly #now: () => Date;

  constructor(opts: { now: () => Date }) {
    this.#now = opts.now;
  }

  /** Starts an attempt and returns its state, nonce and PKCE pair. */
  begin(provider: string, returnTo: string): { state: string; nonce: string; challenge: string } {
    const now = this.#now().getTime();
    for (const [k, v] of this.#pending)
      if (v.expiresAt < now || this.#pending.size >= OidcStateStore.SIZE_MAX) this.#pending.delete(k);
    const state = randomBytes(24).toString('base64url');
    const nonce = randomBytes(24).toString('base64url');
    const { verifier, challenge } = pkcePair();
    this.#pending.set(state, { provider, nonce, verifier, returnTo, expiresAt: now + OidcStateStore.TTL_MS });
    return { state, nonce, challenge };
  }

  /** Ends an attempt: its data once, or undefined for an unknown, expired, reused or foreign state. */
  take(provider: string, state: string): { nonce: string; verifier: string; returnTo: string } | undefined {
    const entry = this.#pending.get(state);
    this.#pending.delete(state);
    if (!entry || entry.provider !== provider || entry.expiresAt < this.#now().getTime()) return undefined;
    return entry;
  }
}
