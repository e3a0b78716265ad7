/**
 * The validator set: which institutions' Ed25519 keys may certify blocks of one ledger (chain id), one vote each.
 * A set has one canonical form (validators sorted by name, names and keys unique), so its hash is well defined
 * and a block header binds to it (SPEC.md I13). Quorum is strictly more than two thirds: ⌊2n/3⌋ + 1, which is
 * 2f + 1 when n = 3f + 1.
 */
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { IDENTITY_NAME_PATTERN } from '../ca/identity-name.ts';
import { MeridianError } from '../errors/registry.ts';
import { domainHash, toHex } from './hash.ts';
import { PUBLIC_KEY_HEX_PATTERN, type PublicKeyInput, publicKeyHex, toPublicKey } from './signing.ts';

/** The most validators one set may hold. */
export const VALIDATORS_MAX = 128;

/** Allowed chain ids: 2–63 lowercase letters, digits or dashes (the identity-name alphabet). */
export const CHAIN_ID_PATTERN = IDENTITY_NAME_PATTERN;

/** Zod schema of a chain id. */
export const ChainIdSchema = z
  .string()
  .regex(CHAIN_ID_PATTERN, 'a chain id is 2–63 lowercase letters, digits or dashes');

/** Zod schema of an institution (or validator) name, as the consortium CA spells it. */
export const InstitutionNameSchema = z
  .string()
  .regex(IDENTITY_NAME_PATTERN, 'an institution name is 2–63 lowercase letters, digits or dashes');

/** Zod schema of one validator: its institution name and raw Ed25519 public key in hex. */
export const ValidatorSchema = z.strictObject({
  name: InstitutionNameSchema,
  publicKey: z.string().regex(PUBLIC_KEY_HEX_PATTERN, 'a public key is 64 lowercase hex characters (raw Ed25519)'),
});

/** One validator of a set. */
export type Validator = z.infer<typeof ValidatorSchema>;

/** Zod schema of a validator set in canonical form. */
export const ValidatorSetSchema = z
  .strictObject({
    chainId: ChainIdSchema,
    validators: z.array(ValidatorSchema).min(1).max(VALIDATORS_MAX),
  })
  .superRefine((set, ctx) => {
    const keys = new Set<string>();
    set.validators.forEach((v, i) => {
      const prev = set.validators[i - 1];
      if (prev !== undefined && !(prev.name < v.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['validators', i, 'name'],
          message: 'validators must be sorted by name with no name twice',
        });
      }
      if (keys.has(v.publicKey)) {
        ctx.addIssue({ code: 'custom', path: ['validators', i, 'publicKey'], message: 'a public key appears twice' });
      }
      keys.add(v.publicKey);
    });
  });

/** A validator set: the chain it belongs to and its members in name order. */
export type ValidatorSet = z.infer<typeof ValidatorSetSchema>;

/** A validator set checked once and ready for signature checks. */
export interface ResolvedValidatorSet {
  readonly set: ValidatorSet;
  /** {@link validatorSetHash} of the set. */
  readonly hash: string;
  /** Signatures needed for a commit certificate. */
  readonly quorum: number;
  readonly keys: ReadonlyMap<string, KeyObject>;
}

/** f, the number of faulty validators n validators tolerate: ⌊(n − 1) / 3⌋. */
export function faultTolerance(n: number): number {
  return Math.floor((n - 1) / 3);
}

/** Signatures a commit certificate needs from n validators: ⌊2n/3⌋ + 1, strictly more than two thirds. */
export function quorumSize(n: number): number {
  return Math.floor((2 * n) / 3) + 1;
}

/** The domain-separated hash (hex) of a validator set, which block headers carry. */
export function validatorSetHash(set: ValidatorSet): string {
  return toHex(domainHash('validator-set', set));
}

// Marks sets this module resolved itself; a symbol cannot come from JSON, so look-alikes are checked again.
const RESOLVED = Symbol('resolved validator set');

function malformed(message: string, details?: Record<string, unknown>): MeridianError {
  return new MeridianError('MER_LEDGER_MALFORMED_VALIDATOR_SET', message, details);
}

/** Validates a set (schema, keys) and prepares its keys; MER_LEDGER_MALFORMED_VALIDATOR_SET if it is not valid. */
export function resolveValidatorSet(input: ValidatorSet | ResolvedValidatorSet): ResolvedValidatorSet {
  if (RESOLVED in input) return input as ResolvedValidatorSet;
  const parsed = ValidatorSetSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join('.') ?? '';
    throw malformed(`validator set is not valid at ${path || 'top level'}: ${issue?.message ?? 'invalid'}`, { path });
  }
  const set = parsed.data;
  const keys = new Map<string, KeyObject>();
  for (const v of set.validators) {
    try {
      keys.set(v.name, toPublicKey(v.publicKey));
    } catch {
      throw malformed(`validator ${v.name} has a public key that is not Ed25519`, { validator: v.name });
    }
  }
  return Object.freeze({
    set,
    hash: validatorSetHash(set),
    quorum: quorumSize(set.validators.length),
    keys,
    [RESOLVED]: true,
  });
}

/** Builds a canonical validator set (sorted by name) from names and keys in any form; validated. */
export function makeValidatorSet(opts: {
  chainId: string;
  validators: readonly { name: string; publicKey: PublicKeyInput }[];
}): ValidatorSet {
  const validators = opts.validators
    .map((v) => ({ name: v.name, publicKey: publicKeyHex(v.publicKey) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const set: ValidatorSet = { chainId: opts.chainId, validators };
  resolveValidatorSet(set);
  return set;
}
