/**
 * The consortium CA: a directory of PEM files that issues every institution an ECDSA P-256 TLS certificate
 * (mutual TLS between node and hub) and an Ed25519 signing certificate (ledger transactions), keeps an index
 * of what it issued and a CRL that is re-signed on every revocation. Layout and operations: docs/ca.md.
 */
import 'reflect-metadata';
import {
  createPrivateKey,
  KeyObject,
  X509Certificate as NodeX509Certificate,
  randomBytes,
  webcrypto,
} from 'node:crypto';
import { access, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import * as x509 from '@peculiar/x509';
import { z } from 'zod';
import { isMeridianError, MeridianError } from '../errors/registry.ts';
import { fsyncPath, writeFileAtomic } from '../store/index.ts';
import { withDirLock } from './dir-lock.ts';
import {
  assertIdentityName,
  assertRole,
  CONSORTIUM_ORGANIZATION,
  identityFromFields,
  identityUri,
  type NamedIdentity,
  ROLES,
  type Role,
  subjectFields,
} from './identity-name.ts';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const DAY_MS = 86_400_000;
/** Validity of the CA certificate unless `validDays` says otherwise. */
const CA_VALID_DAYS_DEFAULT = 3650;
/** Validity of an institution's certificates unless `validDays` says otherwise. */
const IDENTITY_VALID_DAYS_DEFAULT = 825;
const VALID_DAYS_MAX = 36_500;
/** A CRL is good for this long; TLS stacks refuse every peer once its nextUpdate has passed. */
const CRL_VALID_DAYS = 30;
/** notBefore and a CRL's thisUpdate are backdated by this much so a peer whose clock runs a little behind accepts them. */
const CLOCK_SKEW_MS = 5 * 60_000;
const HOSTS_MAX = 32;
const COMMON_NAME_LENGTH_MAX = 64;
const CA_COMMON_NAME_DEFAULT = 'Meridian Consortium CA';
/** Host names and addresses a certificate covers unless `hosts` says otherwise. */
export const DEFAULT_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
const EC_KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const CRL_NUMBER_OID = '2.5.29.20';
const DNS_NAME_PATTERN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Where the CA keeps its files inside its directory. */
export function caPaths(dir: string): { cert: string; key: string; crl: string; index: string; identities: string } {
  return {
    cert: join(dir, 'ca.cert.pem'),
    key: join(dir, 'ca.key.pem'),
    crl: join(dir, 'crl.pem'),
    index: join(dir, 'index.json'),
    identities: join(dir, 'identities'),
  };
}

/** File names inside an identity folder. */
const IDENTITY_FILES = {
  tlsCert: 'tls.cert.pem',
  tlsKey: 'tls.key.pem',
  signingCert: 'signing.cert.pem',
  signingKey: 'signing.key.pem',
  signingPub: 'signing.pub.pem',
  caCert: 'ca.cert.pem',
} as const;

/** Where one institution's files live; the folder is self-contained to hand over to that institution. */
export function identityPaths(
  dir: string,
  name: string,
): { dir: string } & Record<keyof typeof IDENTITY_FILES, string> {
  const home = join(caPaths(dir).identities, name);
  return {
    dir: home,
    tlsCert: join(home, IDENTITY_FILES.tlsCert),
    tlsKey: join(home, IDENTITY_FILES.tlsKey),
    signingCert: join(home, IDENTITY_FILES.signingCert),
    signingKey: join(home, IDENTITY_FILES.signingKey),
    signingPub: join(home, IDENTITY_FILES.signingPub),
    caCert: join(home, IDENTITY_FILES.caCert),
  };
}

/** One issued institution as recorded in index.json. */
export interface IdentityRecord {
  name: string;
  role: Role;
  hosts: string[];
  /** Serial of the TLS certificate (lowercase hex). */
  serial: string;
  /** Serial of the Ed25519 signing certificate (lowercase hex). */
  signingSerial: string;
  issuedAt: string;
  notBefore: string;
  notAfter: string;
  /** SHA-256 fingerprints in Node's `AB:CD:…` form, as `peerIdentity` reports them. */
  fingerprints: { tls: string; signing: string };
  revokedAt: string | null;
}

/** An issued institution with the folder holding its files. */
export interface IdentityInfo extends IdentityRecord {
  path: string;
}

/** What the CA directory holds: its certificate and the state of its CRL. */
export interface CaInfo {
  dir: string;
  commonName: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  fingerprint256: string;
  crl: { number: number; thisUpdate: string; nextUpdate: string; revokedSerials: string[] };
}

const IdentityRecordSchema = z.object({
  name: z.string(),
  role: z.enum(ROLES),
  hosts: z.array(z.string()),
  serial: z.string(),
  signingSerial: z.string(),
  issuedAt: z.string(),
  notBefore: z.string(),
  notAfter: z.string(),
  fingerprints: z.object({ tls: z.string(), signing: z.string() }),
  revokedAt: z.string().nullable(),
});

const CaIndexSchema = z.object({
  version: z.literal(1),
  crlNumber: z.number().int().nonnegative(),
  identities: z.array(IdentityRecordSchema),
});

type CaIndex = z.infer<typeof CaIndexSchema>;

/** Options of {@link initCa} and {@link ensureCa}. */
export interface InitCaOptions {
  dir: string;
  commonName?: string;
  validDays?: number;
  now?: Date;
}

/** Creates a new CA (key, self-signed certificate, empty CRL, empty index) in `dir`; MER_CA_EXISTS if one is there. */
export async function initCa(opts: InitCaOptions): Promise<CaInfo> {
  const dir = resolve(opts.dir);
  const commonName = opts.commonName ?? CA_COMMON_NAME_DEFAULT;
  assertCommonName(commonName);
  const validDays = opts.validDays ?? CA_VALID_DAYS_DEFAULT;
  assertValidDays(validDays);
  const now = opts.now ?? new Date();
  const paths = caPaths(dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await withDirLock(dir, async () => {
    if (await exists(paths.cert)) {
      throw new MeridianError('MER_CA_EXISTS', `a consortium CA already exists in ${dir}`, { dir });
    }
    const keys = await generateEcKeys();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: [{ CN: [commonName] }, { O: [CONSORTIUM_ORGANIZATION] }],
      notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
      notAfter: new Date(now.getTime() + validDays * DAY_MS),
      keys,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const index: CaIndex = { version: 1, crlNumber: 1, identities: [] };
    await mkdir(paths.identities, { recursive: true, mode: 0o700 });
    writeFileAtomic(paths.key, privateKeyPem(keys.privateKey), { mode: 0o600 });
    writeFileAtomic(paths.crl, await signCrl({ ca: { cert, key: keys.privateKey }, index, now }));
    writeFileAtomic(paths.index, indexJson(index));
    // The certificate is written last: its presence is what makes the CA exist.
    writeFileAtomic(paths.cert, cert.toString('pem'));
  });
  return readCa({ dir });
}

/** Returns the CA in `dir`, creating it first if absent; renews its CRL when less than half its lifetime is left. */
export async function ensureCa(opts: InitCaOptions): Promise<CaInfo & { created: boolean }> {
  const dir = resolve(opts.dir);
  if (!(await exists(caPaths(dir).cert))) {
    try {
      return { ...(await initCa(opts)), created: true };
    } catch (e) {
      if (!isMeridianError(e, 'MER_CA_EXISTS')) throw e;
    }
  }
  const now = opts.now ?? new Date();
  const info = await readCa({ dir });
  const renewAt = (Date.parse(info.crl.thisUpdate) + Date.parse(info.crl.nextUpdate)) / 2;
  if (now.getTime() >= renewAt) return { ...(await renewCrl({ dir, now })), created: false };
  return { ...info, created: false };
}

/** Reads the CA certificate and CRL state; MER_CA_MISSING if `dir` holds no CA. */
export async function readCa(opts: { dir: string }): Promise<CaInfo> {
  const dir = resolve(opts.dir);
  const paths = caPaths(dir);
  await assertCaExists(dir);
  const certPem = await readFile(paths.cert, 'utf8');
  const cert = new x509.X509Certificate(certPem);
  const crl = new x509.X509Crl(await readFile(paths.crl, 'utf8'));
  const index = await readIndex(dir);
  return {
    dir,
    commonName: cert.subjectName.getField('CN')[0] ?? '',
    serial: cert.serialNumber.toLowerCase(),
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    fingerprint256: new NodeX509Certificate(certPem).fingerprint256,
    crl: {
      number: index.crlNumber,
      thisUpdate: crl.thisUpdate.toISOString(),
      nextUpdate: (crl.nextUpdate ?? crl.thisUpdate).toISOString(),
      revokedSerials: crlRevokedSerials(crl),
    },
  };
}

/** Options of {@link issueIdentity} and {@link ensureIdentity}. */
export interface IssueIdentityOptions {
  dir: string;
  name: string;
  role: Role;
  /** DNS names and IP addresses the TLS certificate covers; default localhost, 127.0.0.1, ::1. */
  hosts?: readonly string[];
  validDays?: number;
  now?: Date;
}

/** Issues an institution its TLS and Ed25519 signing certificates and keys under identities/<name>. */
export async function issueIdentity(opts: IssueIdentityOptions): Promise<IdentityInfo> {
  const dir = resolve(opts.dir);
  const { name, role } = opts;
  assertIdentityName(name);
  assertRole(role);
  const hosts = [...(opts.hosts ?? DEFAULT_HOSTS)];
  assertHosts(hosts);
  const validDays = opts.validDays ?? IDENTITY_VALID_DAYS_DEFAULT;
  assertValidDays(validDays);
  const now = opts.now ?? new Date();
  await assertCaExists(dir);
  return withDirLock(dir, async () => {
    const index = await readIndex(dir);
    if (index.identities.some((record) => record.name === name)) {
      throw new MeridianError('MER_CA_IDENTITY_EXISTS', `an identity named "${name}" was already issued by ${dir}`, {
        name,
      });
    }
    const ca = await loadCaKeys(dir);
    const notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
    const notAfter = new Date(Math.min(now.getTime() + validDays * DAY_MS, ca.cert.notAfter.getTime()));
    if (notAfter <= now) {
      const message = `the CA certificate in ${dir} expired at ${ca.cert.notAfter.toISOString()}`;
      throw new MeridianError('MER_CA_CERT_INVALID', message, { dir });
    }
    const subject = { name, role };
    const tlsKeys = await generateEcKeys();
    const tlsCert = await issueCertificate({
      ca,
      subject,
      publicKey: tlsKeys.publicKey,
      notBefore,
      notAfter,
      keyUsage: x509.KeyUsageFlags.digitalSignature,
      extendedKeyUsage: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
      altNames: [...hosts.map(hostAltName), { type: 'url', value: identityUri(subject) }],
    });
    const signingKeys = (await webcrypto.subtle.generateKey({ name: 'Ed25519' }, true, [
      'sign',
      'verify',
    ])) as unknown as CryptoKeyPair;
    const signingCert = await issueCertificate({
      ca,
      subject,
      publicKey: signingKeys.publicKey,
      notBefore,
      notAfter,
      keyUsage: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation,
      extendedKeyUsage: [],
      altNames: [{ type: 'url', value: identityUri(subject) }],
    });
    const tlsPem = tlsCert.toString('pem');
    const signingPem = signingCert.toString('pem');
    const paths = identityPaths(dir, name);
    const staging = join(caPaths(dir).identities, `.staging-${name}-${randomBytes(8).toString('hex')}`);
    await mkdir(staging, { recursive: true, mode: 0o700 });
    try {
      const files: [string, string, number][] = [
        [IDENTITY_FILES.tlsCert, tlsPem, 0o644],
        [IDENTITY_FILES.tlsKey, privateKeyPem(tlsKeys.privateKey), 0o600],
        [IDENTITY_FILES.signingCert, signingPem, 0o644],
        [IDENTITY_FILES.signingKey, privateKeyPem(signingKeys.privateKey), 0o600],
        [IDENTITY_FILES.signingPub, publicKeyPem(signingKeys.publicKey), 0o644],
        [IDENTITY_FILES.caCert, ca.cert.toString('pem'), 0o644],
      ];
      for (const [file, content, mode] of files) writeFileAtomic(join(staging, file), content, { mode });
      // A folder without an index entry is left over from a crash before the index was written: replace it.
      await rm(paths.dir, { recursive: true, force: true });
      await rename(staging, paths.dir);
    } catch (e) {
      await rm(staging, { recursive: true, force: true });
      throw e;
    }
    fsyncPath(caPaths(dir).identities);
    const record: IdentityRecord = {
      name,
      role,
      hosts,
      serial: tlsCert.serialNumber.toLowerCase(),
      signingSerial: signingCert.serialNumber.toLowerCase(),
      issuedAt: now.toISOString(),
      notBefore: notBefore.toISOString(),
      notAfter: notAfter.toISOString(),
      fingerprints: {
        tls: new NodeX509Certificate(tlsPem).fingerprint256,
        signing: new NodeX509Certificate(signingPem).fingerprint256,
      },
      revokedAt: null,
    };
    // The index entry is the commit point of an issuance.
    writeFileAtomic(caPaths(dir).index, indexJson({ ...index, identities: [...index.identities, record] }));
    return { ...record, path: paths.dir };
  });
}

/** Returns the identity `name`, issuing it first if absent; refuses one that is revoked, expired or of another role. */
export async function ensureIdentity(opts: IssueIdentityOptions): Promise<IdentityInfo & { created: boolean }> {
  const dir = resolve(opts.dir);
  assertIdentityName(opts.name);
  const now = opts.now ?? new Date();
  let existing = (await listIdentities({ dir })).find((info) => info.name === opts.name);
  if (!existing) {
    try {
      return { ...(await issueIdentity(opts)), created: true };
    } catch (e) {
      if (!isMeridianError(e, 'MER_CA_IDENTITY_EXISTS')) throw e;
      existing = (await listIdentities({ dir })).find((info) => info.name === opts.name);
      if (!existing) throw e;
    }
  }
  if (existing.role !== opts.role) {
    throw new MeridianError(
      'MER_CA_IDENTITY_EXISTS',
      `identity "${opts.name}" was issued with role ${existing.role}, not ${opts.role}`,
      { name: opts.name, role: existing.role },
    );
  }
  if (existing.revokedAt !== null) {
    throw new MeridianError('MER_CA_CERT_INVALID', `identity "${opts.name}" was revoked at ${existing.revokedAt}`, {
      name: opts.name,
    });
  }
  if (Date.parse(existing.notAfter) <= now.getTime()) {
    throw new MeridianError('MER_CA_CERT_INVALID', `identity "${opts.name}" expired at ${existing.notAfter}`, {
      name: opts.name,
    });
  }
  return { ...existing, created: false };
}

/** Revokes both certificates of institution `name`, records it in index.json and re-signs crl.pem. */
export async function revokeIdentity(opts: { dir: string; name: string; now?: Date }): Promise<IdentityInfo> {
  const dir = resolve(opts.dir);
  const { name } = opts;
  assertIdentityName(name);
  const now = opts.now ?? new Date();
  await assertCaExists(dir);
  return withDirLock(dir, async () => {
    const index = await readIndex(dir);
    const record = index.identities.find((candidate) => candidate.name === name);
    if (!record) {
      throw new MeridianError('MER_CA_IDENTITY_UNKNOWN', `no identity named "${name}" was issued by ${dir}`, { name });
    }
    const revoked: IdentityRecord = { ...record, revokedAt: record.revokedAt ?? now.toISOString() };
    const next: CaIndex = {
      ...index,
      crlNumber: index.crlNumber + 1,
      identities: index.identities.map((candidate) => (candidate.name === name ? revoked : candidate)),
    };
    // The CRL goes first: a crash in between leaves the peer refused, never a revocation that peers miss.
    writeFileAtomic(caPaths(dir).crl, await signCrl({ ca: await loadCaKeys(dir), index: next, now }));
    writeFileAtomic(caPaths(dir).index, indexJson(next));
    return { ...revoked, path: identityPaths(dir, name).dir };
  });
}

/** Re-signs crl.pem with the same revocations and a fresh nextUpdate (run before the old one passes). */
export async function renewCrl(opts: { dir: string; now?: Date }): Promise<CaInfo> {
  const dir = resolve(opts.dir);
  const now = opts.now ?? new Date();
  await assertCaExists(dir);
  await withDirLock(dir, async () => {
    const index = await readIndex(dir);
    const next: CaIndex = { ...index, crlNumber: index.crlNumber + 1 };
    writeFileAtomic(caPaths(dir).crl, await signCrl({ ca: await loadCaKeys(dir), index: next, now }));
    writeFileAtomic(caPaths(dir).index, indexJson(next));
  });
  return readCa({ dir });
}

/** Every identity this CA issued, revoked ones included, sorted by name. */
export async function listIdentities(opts: { dir: string }): Promise<IdentityInfo[]> {
  const dir = resolve(opts.dir);
  await assertCaExists(dir);
  const index = await readIndex(dir);
  return index.identities
    .map((record) => ({ ...record, path: identityPaths(dir, record.name).dir }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The serials (lowercase hex) a CRL lists as revoked. */
export function crlRevokedSerials(crl: string | x509.X509Crl): string[] {
  const parsed = typeof crl === 'string' ? new x509.X509Crl(crl) : crl;
  return parsed.entries.map((entry) => entry.serialNumber.toLowerCase());
}

/** A certificate that {@link verifyCertificate} accepted. */
export interface VerifiedCertificate extends NamedIdentity {
  serial: string;
  fingerprint256: string;
  notBefore: string;
  notAfter: string;
  /** The certified public key (SPKI PEM): Ed25519 for a signing certificate, P-256 for a TLS one. */
  publicKeyPem: string;
}

/** Checks a certificate against the CA (issuer, signature, validity at `now`, CRL); MER_CA_CERT_INVALID if not. */
export async function verifyCertificate(opts: {
  caPem: string;
  certPem: string;
  crlPem?: string;
  now?: Date;
}): Promise<VerifiedCertificate> {
  const now = opts.now ?? new Date();
  const invalid = (reason: string): MeridianError =>
    new MeridianError('MER_CA_CERT_INVALID', `certificate is not valid: ${reason}`, { reason });
  let ca: NodeX509Certificate;
  let cert: NodeX509Certificate;
  try {
    ca = new NodeX509Certificate(opts.caPem);
    cert = new NodeX509Certificate(opts.certPem);
  } catch {
    throw invalid('not a PEM certificate');
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw invalid('not issued by this consortium CA');
  for (const [label, candidate] of [
    ['CA certificate', ca],
    ['certificate', cert],
  ] as const) {
    if (now.getTime() < Date.parse(candidate.validFrom))
      throw invalid(`${label} not valid before ${candidate.validFrom}`);
    if (now.getTime() > Date.parse(candidate.validTo)) throw invalid(`${label} expired at ${candidate.validTo}`);
  }
  const serial = cert.serialNumber.toLowerCase();
  if (opts.crlPem !== undefined) {
    const crl = new x509.X509Crl(opts.crlPem);
    if (!(await crl.verify({ publicKey: new x509.X509Certificate(opts.caPem) }))) {
      throw invalid('the CRL is not signed by this consortium CA');
    }
    if (crl.nextUpdate && crl.nextUpdate.getTime() < now.getTime()) {
      throw invalid(`the CRL expired at ${crl.nextUpdate.toISOString()}; renew it`);
    }
    const entry = crl.findRevoked(serial);
    if (entry) throw invalid(`revoked at ${entry.revocationDate.toISOString()}`);
  }
  const identity = identityFromFields({ subjectAltName: cert.subjectAltName, ...subjectFields(cert.subject) });
  if (!identity) throw invalid('it names no Meridian institution (subject CN/OU and SAN URI must agree)');
  return {
    ...identity,
    serial,
    fingerprint256: cert.fingerprint256,
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    publicKeyPem: cert.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

interface CaKeys {
  cert: x509.X509Certificate;
  key: CryptoKey;
}

async function issueCertificate(opts: {
  ca: CaKeys;
  subject: NamedIdentity;
  publicKey: CryptoKey;
  notBefore: Date;
  notAfter: Date;
  keyUsage: x509.KeyUsageFlags;
  extendedKeyUsage: x509.ExtendedKeyUsage[];
  altNames: x509.JsonGeneralNames;
}): Promise<x509.X509Certificate> {
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(opts.keyUsage, true),
    new x509.SubjectAlternativeNameExtension(opts.altNames),
    await x509.SubjectKeyIdentifierExtension.create(opts.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(opts.ca.cert),
  ];
  if (opts.extendedKeyUsage.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension(opts.extendedKeyUsage));
  return x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ CN: [opts.subject.name] }, { OU: [opts.subject.role] }, { O: [CONSORTIUM_ORGANIZATION] }],
    issuer: opts.ca.cert.subjectName,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    publicKey: opts.publicKey,
    signingKey: opts.ca.key,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions,
  });
}

async function signCrl(opts: { ca: CaKeys; index: CaIndex; now: Date }): Promise<string> {
  const entries = opts.index.identities.flatMap((record) =>
    record.revokedAt === null
      ? []
      : [record.serial, record.signingSerial].map((serialNumber) => ({
          serialNumber,
          revocationDate: new Date(record.revokedAt as string),
        })),
  );
  const crl = await x509.X509CrlGenerator.create({
    issuer: opts.ca.cert.subjectName,
    // Backdated like notBefore: a peer whose clock is a little behind would otherwise refuse every handshake.
    thisUpdate: new Date(opts.now.getTime() - CLOCK_SKEW_MS),
    nextUpdate: new Date(opts.now.getTime() + CRL_VALID_DAYS * DAY_MS),
    signingKey: opts.ca.key,
    signingAlgorithm: SIGNING_ALGORITHM,
    entries,
    extensions: [
      await x509.AuthorityKeyIdentifierExtension.create(opts.ca.cert),
      new x509.Extension(CRL_NUMBER_OID, false, derInteger(opts.index.crlNumber).buffer),
    ],
  });
  // OpenSSL (and so Node) only reads the `X509 CRL` PEM label, not the library's default `CRL`.
  return x509.PemConverter.encode(crl.rawData, 'X509 CRL');
}

/** DER encoding of a non-negative INTEGER (the CRL number extension's value). */
function derInteger(value: number): Uint8Array<ArrayBuffer> {
  const bytes: number[] = [];
  let rest = value;
  do {
    bytes.unshift(rest % 256);
    rest = Math.floor(rest / 256);
  } while (rest > 0);
  if ((bytes[0] ?? 0) >= 0x80) bytes.unshift(0);
  return Uint8Array.from([0x02, bytes.length, ...bytes]);
}

async function loadCaKeys(dir: string): Promise<CaKeys> {
  const paths = caPaths(dir);
  const cert = new x509.X509Certificate(await readFile(paths.cert, 'utf8'));
  const der = createPrivateKey(await readFile(paths.key, 'utf8')).export({ type: 'pkcs8', format: 'der' });
  const key = (await webcrypto.subtle.importKey('pkcs8', der, EC_KEY_ALGORITHM, false, [
    'sign',
  ])) as unknown as CryptoKey;
  return { cert, key };
}

async function readIndex(dir: string): Promise<CaIndex> {
  const path = caPaths(dir).index;
  const parsed = CaIndexSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
  if (!parsed.success) {
    throw new MeridianError('MER_INTERNAL', `${path} is not a valid CA index: ${parsed.error.issues[0]?.message}`);
  }
  return parsed.data;
}

function indexJson(index: CaIndex): string {
  return `${JSON.stringify(index, null, 2)}\n`;
}

async function generateEcKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC_KEY_ALGORITHM, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
}

function privateKeyPem(key: CryptoKey): string {
  return KeyObject.from(key as unknown as webcrypto.CryptoKey)
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();
}

function publicKeyPem(key: CryptoKey): string {
  return KeyObject.from(key as unknown as webcrypto.CryptoKey)
    .export({ type: 'spki', format: 'pem' })
    .toString();
}

/** 16 random bytes, first byte in 0x10–0x7f: positive and always 32 hex digits in every tool's rendering. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x10;
  return bytes.toString('hex');
}

function hostAltName(host: string): x509.JsonGeneralName {
  return { type: isIP(host) ? 'ip' : 'dns', value: host };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function assertCaExists(dir: string): Promise<void> {
  if (!(await exists(caPaths(dir).cert))) {
    throw new MeridianError('MER_CA_MISSING', `no consortium CA in ${dir}; run \`meridian ca init\` first`, { dir });
  }
}

function assertValidDays(validDays: number): void {
  if (!(Number.isFinite(validDays) && validDays > 0 && validDays <= VALID_DAYS_MAX)) {
    throw new MeridianError(
      'MER_CA_INVALID_OPTION',
      `validDays = ${validDays}: use a number of days in (0, ${VALID_DAYS_MAX}]`,
      {
        validDays,
      },
    );
  }
}

function assertCommonName(commonName: string): void {
  if (
    commonName.length === 0 ||
    commonName.length > COMMON_NAME_LENGTH_MAX ||
    [...commonName].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f)
  ) {
    throw new MeridianError(
      'MER_CA_INVALID_OPTION',
      `commonName ${JSON.stringify(commonName)} is not allowed: use 1–${COMMON_NAME_LENGTH_MAX} printable characters`,
      { commonName },
    );
  }
}

function assertHosts(hosts: string[]): void {
  if (hosts.length === 0 || hosts.length > HOSTS_MAX) {
    throw new MeridianError('MER_CA_INVALID_OPTION', `hosts: give 1–${HOSTS_MAX} host names or IP addresses`, {
      count: hosts.length,
    });
  }
  for (const host of hosts) {
    const ipVersion = isIP(host);
    const ok = ipVersion === 4 || (ipVersion === 6 && !host.includes('.')) || DNS_NAME_PATTERN.test(host);
    if (!ok) {
      throw new MeridianError(
        'MER_CA_INVALID_OPTION',
        `host ${JSON.stringify(host)} is not allowed: use a lowercase DNS name, an IPv4 address or an IPv6 address`,
        { host },
      );
    }
  }
}
