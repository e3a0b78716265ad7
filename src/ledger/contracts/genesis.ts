/**
 * The genesis document of the contracts: the chain id, the time the ledger starts at, the founding institutions
 * with their roles and Ed25519 transaction-signing keys, the first validator set and the consensus-relevant
 * parameters (nonce window, proposal and request lifetimes). Every validator must start from the same document;
 * its normalized form is hashed into the genesis state root.
 */
import { z } from 'zod';
import { MeridianError } from '../../errors/registry.ts';
import { canonicalBytes } from '../canonical-json.ts';
import { sha256, toHex } from '../hash.ts';
import { PUBLIC_KEY_HEX_PATTERN } from '../signing.ts';
import {
  ChainIdSchema,
  InstitutionNameSchema,
  VALIDATORS_MAX,
  type Validator,
  ValidatorSchema,
} from '../validator-set.ts';
import { NONCE_TIME_MS_MAX } from './replay.ts';
import { MEMBER_ROLES } from './schemas.ts';

/** The most institutions the genesis may list. */
export const GENESIS_INSTITUTIONS_MAX = 256;

/** Default parameters: 10-minute nonce window, 1 minute ahead, proposals live 7 days, pending requests 30 days. */
export const DEFAULT_CONTRACT_PARAMS = {
  nonceWindowMs: 600_000,
  nonceFutureMs: 60_000,
  proposalTtlMs: 7 * 86_400_000,
  requestTtlMs: 30 * 86_400_000,
} as const;

const DurationMsSchema = z
  .number()
  .int()
  .min(1_000)
  .max(366 * 86_400_000);

/** Zod schema of the parameters (each optional in the document, defaulted by {@link parseGenesis}). */
export const ContractParamsSchema = z.strictObject({
  nonceWindowMs: DurationMsSchema.optional(),
  nonceFutureMs: DurationMsSchema.optional(),
  proposalTtlMs: DurationMsSchema.optional(),
  requestTtlMs: DurationMsSchema.optional(),
});

/** Consensus-relevant contract parameters, all in milliseconds. */
export interface ContractParams {
  /** A transaction whose nonce time is older than block time minus this is refused (and its dedup key expires). */
  readonly nonceWindowMs: number;
  /** A transaction whose nonce time is later than block time plus this is refused. */
  readonly nonceFutureMs: number;
  /** An open membership or validator proposal expires this long after it was made. */
  readonly proposalTtlMs: number;
  /** A pending data-use request expires this long after submission (or at its period end, if earlier). */
  readonly requestTtlMs: number;
}

/** Zod schema of one founding institution. */
export const GenesisInstitutionSchema = z.strictObject({
  name: InstitutionNameSchema,
  role: z.enum(MEMBER_ROLES),
  publicKey: z.string().regex(PUBLIC_KEY_HEX_PATTERN, 'a public key is 64 lowercase hex characters (raw Ed25519)'),
});

/** Zod schema of the genesis document. */
export const GenesisSchema = z
  .strictObject({
    chainId: ChainIdSchema,
    genesisTime: z.number().int().min(0).max(NONCE_TIME_MS_MAX),
    institutions: z.array(GenesisInstitutionSchema).min(1).max(GENESIS_INSTITUTIONS_MAX),
    validators: z.array(ValidatorSchema).min(1).max(VALIDATORS_MAX).optional(),
    params: ContractParamsSchema.optional(),
  })
  .superRefine((g, ctx) => {
    const names = new Set<string>();
    const keys = new Set<string>();
    g.institutions.forEach((m, i) => {
      if (names.has(m.name)) ctx.addIssue({ code: 'custom', path: ['institutions', i, 'name'], message: 'twice' });
      if (keys.has(m.publicKey)) {
        ctx.addIssue({ code: 'custom', path: ['institutions', i, 'publicKey'], message: 'key used twice' });
      }
      names.add(m.name);
      keys.add(m.publicKey);
    });
    const vnames = new Set<string>();
    g.validators?.forEach((v, i) => {
      if (!names.has(v.name)) {
        ctx.addIssue({ code: 'custom', path: ['validators', i, 'name'], message: `${v.name} is not an institution` });
      }
      if (vnames.has(v.name)) ctx.addIssue({ code: 'custom', path: ['validators', i, 'name'], message: 'twice' });
      vnames.add(v.name);
    });
  });

/** The genesis document as written (parameters optional). */
export type GenesisInput = z.input<typeof GenesisSchema>;

/** A validated genesis with defaults filled in, institutions and validators sorted by name. */
export interface Genesis {
  readonly chainId: string;
  readonly genesisTime: number;
  readonly institutions: readonly z.infer<typeof GenesisInstitutionSchema>[];
  readonly validators: readonly Validator[];
  readonly params: ContractParams;
}

function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Validates and normalizes a genesis document; MER_LEDGER_MALFORMED_GENESIS naming the first bad field. */
export function parseGenesis(input: unknown): Genesis {
  const parsed = GenesisSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join('.') ?? '';
    throw new MeridianError(
      'MER_LEDGER_MALFORMED_GENESIS',
      `genesis is not valid at ${path || 'top level'}: ${issue?.message ?? 'invalid'}`,
      { path },
    );
  }
  const g = parsed.data;
  const institutions = [...g.institutions].sort(byName);
  const validators = [...(g.validators ?? institutions.map((m) => ({ name: m.name, publicKey: m.publicKey })))].sort(
    byName,
  );
  return {
    chainId: g.chainId,
    genesisTime: g.genesisTime,
    institutions,
    validators,
    params: { ...DEFAULT_CONTRACT_PARAMS, ...g.params },
  };
}

const GENESIS_PREFIX = Buffer.from('meridian/v1/contracts/genesis\n', 'utf8');

/** The hash (hex) of a normalized genesis: the state root at height 0 and the id snapshots are bound to. */
export function genesisHash(genesis: Genesis): string {
  return toHex(sha256(GENESIS_PREFIX, canonicalBytes(genesis)));
}
