/** Short-lived session tokens (JWT, HS256) signed with a key kept in the hub's data directory. */
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errors, jwtVerify, SignJWT } from 'jose';
import { MeridianError } from '../../errors/registry.ts';
import { writeFileAtomic } from '../../store/index.ts';
import type { Role } from './roles.ts';
import type { PublicUser } from './users.ts';

/** Claims the hub puts in a session token. */
export interface SessionClaims {
  sub: string;
  username: string;
  role: Role;
  hospital: string | null;
  jti: string;
  exp: number;
}

const ISSUER = 'meridian-hub';
const AUDIENCE = 'meridian-portal';

/** Loads the session signing key from `<dataDir>/session.key`, creating it (0600) on first start. */
export function loadOrCreateSessionKey(dataDir: string): Uint8Array {
  const file = join(dataDir, 'session.key');
  if (!existsSync(file)) writeFileAtomic(file, randomBytes(32).toString('base64'), { mode: 0o600 });
  chmodSync(file, 0o600);
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length < 32) throw new MeridianError('MER_CONFIG_INVALID', `session key ${file} is shorter than 32 bytes`);
  return key;
}

/** Issues and verifies session tokens; time comes from `now` so tests can move it. */
export class SessionIssuer {
  readonly #key: Uint8Array;
  readonly #ttlSec: number;
  readonly #now: () => Date;

  constructor(opts: { key: Uint8Array; ttlSec: number; now: () => Date }) {
    this.#key = opts.key;
    this.#ttlSec = opts.ttlSec;
    this.#now = opts.now;
  }

  /** Signs a token for the user; returns it with its expiry. */
  async issue(user: PublicUser): Promise<{ token: string; expiresAt: Date }> {
    const iat = Math.floor(this.#now().getTime() / 1000);
    const exp = iat + this.#ttlSec;
    const token = await new SignJWT({ username: user.username, role: user.role, hospital: user.hospital })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(this.#key);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** Verifies a token: MER_AUTH_TOKEN_EXPIRED when expired, MER_AUTH_TOKEN_INVALID for anything else wrong. */
  async verify(token: string): Promise<SessionClaims> {
    try {
      const { payload } = await jwtVerify(token, this.#key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        currentDate: this.#now(),
        clockTolerance: 5,
      });
      return payload as unknown as SessionClaims;
    } catch (e) {
      if (e instanceof errors.JWTExpired) {
        throw new MeridianError('MER_AUTH_TOKEN_EXPIRED', 'the session token has expired; log in again');
      }
      throw new MeridianError(
        'MER_AUTH_TOKEN_INVALID',
        'the session token is malformed or its signature does not verify',
      );
    }
  }
}
