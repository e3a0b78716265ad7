/**
 * Login providers. The hub asks a provider to turn credentials into a known user; the local provider checks
 * scrypt passwords, and an OIDC provider (a hospital's identity system) plugs in behind the same interface:
 * it redirects the browser, then maps the verified ID-token subject to a hub user (hub_users.oidc_*).
 */
import { MeridianError } from '../../errors/registry.ts';
import { DUMMY_HASH, verifyPassword } from './passwords.ts';
import { type PublicUser, toPublicUser, type UserStore } from './users.ts';

/** A provider that takes a username and password in the login form. */
export interface PasswordLoginProvider {
  readonly id: string;
  readonly kind: 'password';
  /** The user for these credentials; MER_AUTH_BAD_CREDENTIALS otherwise. */
  authenticate(input: { username: string; password: string }): Promise<PublicUser>;
}

/** A provider that sends the browser to an external identity provider (OpenID Connect authorization code flow). */
export interface RedirectLoginProvider {
  readonly id: string;
  readonly kind: 'redirect';
  /** Name shown on the login button. */
  readonly displayName: string;
  /** The authorization URL to send the browser to, bound to `state`, `nonce` and the PKCE challenge. */
  authorizationUrl(input: { state: string; nonce: string; redirectUri: string; codeChallenge: string }): Promise<URL>;
  /** Exchanges the callback's code, verifies the ID token (issuer, audience, nonce, signature) and finds the user. */
  callback(input: { code: string; nonce: string; redirectUri: string; codeVerifier: string }): Promise<PublicUser>;
}

/** Any login provider. */
export type LoginProvider = PasswordLoginProvider | RedirectLoginProvider;

/** Username + password against hub_users, in constant time whether or not the user exists. */
export class LocalPasswordProvider implements PasswordLoginProvider {
  readonly id = 'local';
  readonly kind = 'password';
  readonly #users: UserStore;

  constructor(users: UserStore) {
    this.#users = users;
  }

  /** Checks the password; unknown user and wrong password give the same error after the same work. */
  async authenticate(input: { username: string; password: string }): Promise<PublicUser> {
    const row = await this.#users.findByUsername(input.username);
    const ok = await verifyPassword(input.password, row?.password_hash ?? DUMMY_HASH);
    if (!row?.password_hash || !ok) {
      throw new MeridianError('MER_AUTH_BAD_CREDENTIALS', 'unknown user or wrong password');
    }
    if (row.disabled) throw new MeridianError('MER_AUTH_USER_DISABLED', `account "${row.username}" is disabled`);
    return toPublicUser(row);
  }
}
