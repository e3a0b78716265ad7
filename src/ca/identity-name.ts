/**
 * How an institution's name and role are written into its certificates and read back: subject CN = name,
 * OU = role, and exactly one SAN URI `meridian://<role>/<name>`. Readers accept a certificate only when all
 * three agree, so a peer's role never depends on parsing free text.
 */
import { MeridianError } from '../errors/registry.ts';

/** The roles an institution can hold in the consortium. */
export const ROLES = ['node', 'hub'] as const;

/** A consortium role: a hospital `node` or the regional `hub`. */
export type Role = (typeof ROLES)[number];

/** Allowed identity names: 2–63 lowercase letters, digits or dashes, not starting with a dash. */
export const IDENTITY_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;

/** The organization written into every certificate this CA issues. */
export const CONSORTIUM_ORGANIZATION = 'Meridian consortium';

const URI_PATTERN = /^meridian:\/\/(node|hub)\/([a-z0-9][a-z0-9-]{1,62})$/;

/** An institution as named by its certificate. */
export interface NamedIdentity {
  name: string;
  role: Role;
}

/** Throws MER_CA_INVALID_NAME unless `name` is an allowed identity name. */
export function assertIdentityName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !IDENTITY_NAME_PATTERN.test(name)) {
    throw new MeridianError(
      'MER_CA_INVALID_NAME',
      `identity name ${JSON.stringify(name)} is not allowed: use 2–63 lowercase letters, digits or dashes, starting with a letter or digit`,
      { name: String(name) },
    );
  }
}

/** Throws MER_CA_INVALID_OPTION unless `role` is `node` or `hub`. */
export function assertRole(role: unknown): asserts role is Role {
  if (!ROLES.includes(role as Role)) {
    throw new MeridianError('MER_CA_INVALID_OPTION', `role ${JSON.stringify(role)} is not allowed: use node or hub`, {
      role: String(role),
    });
  }
}

/** The SAN URI that binds a certificate to an institution and its role. */
export function identityUri({ name, role }: NamedIdentity): string {
  return `meridian://${role}/${name}`;
}

/** The certificate fields {@link identityFromFields} reads, in Node's own string forms. */
export interface IdentityFields {
  /** Node's `subjectaltname` / `subjectAltName` string, e.g. `DNS:localhost, URI:meridian://node/a`. */
  subjectAltName: string | undefined;
  commonName: string | string[] | undefined;
  organizationalUnit: string | string[] | undefined;
}

/** Reads name and role from a certificate's fields; null unless SAN URI, CN and OU all agree. */
export function identityFromFields(fields: IdentityFields): NamedIdentity | null {
  const uris = (fields.subjectAltName ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith('URI:'))
    .map((entry) => entry.slice('URI:'.length))
    .filter((uri) => uri.startsWith('meridian:'));
  if (uris.length !== 1) return null;
  const match = URI_PATTERN.exec(uris[0] ?? '');
  if (!match) return null;
  const role = match[1] as Role;
  const name = match[2] as string;
  if (fields.commonName !== name || fields.organizationalUnit !== role) return null;
  return { name, role };
}

/** Splits Node's `X509Certificate.subject` (one `KEY=value` per line) into its CN and OU. */
export function subjectFields(subject: string): Pick<IdentityFields, 'commonName' | 'organizationalUnit'> {
  const values = (key: string): string | string[] | undefined => {
    const found = subject
      .split('\n')
      .filter((line) => line.startsWith(`${key}=`))
      .map((line) => line.slice(key.length + 1));
    return found.length > 1 ? found : found[0];
  };
  return { commonName: values('CN'), organizationalUnit: values('OU') };
}
