/**
 * Where mapping specs and source profiles live: the node's operational database. Every change to a spec is a
 * new version (the old one stays, because lineage names it); a profile is replaced whole.
 */
import type { Kysely } from 'kysely';
import { MeridianError } from '../errors/registry.ts';
import { canonicalize } from '../ledger/index.ts';
import { type MappingSpec, type MappingSpecInput, parseMappingSpec } from './mapping.ts';
import { type SourceProfile, SourceProfileSchema } from './profile.ts';
import type { PipelineDatabase } from './schema.ts';

/** Validates a spec or throws `MER_MAPPING_INVALID` naming every problem. */
export function validSpec(input: unknown, where: string): MappingSpec {
  const r = parseMappingSpec(input);
  if (!r.ok) {
    throw new MeridianError('MER_MAPPING_INVALID', `${where}: ${r.problems.join('; ')}`, { problems: r.problems });
  }
  return r.spec;
}

/** Validates a profile or throws `MER_MAPPING_INVALID` naming every problem. */
export function validProfile(input: unknown, where: string): SourceProfile {
  const r = SourceProfileSchema.safeParse(input);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.') || '(profile)'}: ${i.message}`);
    throw new MeridianError('MER_MAPPING_INVALID', `${where}: ${problems.join('; ')}`, { problems });
  }
  return r.data;
}

/**
 * Stores a spec as the next version of its id unless the newest stored version has the same content; returns
 * the spec as stored (its `version` is the stored one, whatever the input said).
 */
export async function saveSpec(
  db: Kysely<PipelineDatabase>,
  input: MappingSpecInput | MappingSpec,
  by: string,
  now: Date,
): Promise<MappingSpec> {
  const spec = validSpec(input, `mapping spec ${(input as { id?: string }).id ?? '?'}`);
  return db.transaction().execute(async (trx) => {
    const last = await trx
      .selectFrom('mapping_specs')
      .select(['version', 'spec'])
      .where('id', '=', spec.id)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (last) {
      const stored = JSON.parse(last.spec) as MappingSpec;
      if (canonicalize(withoutVersion(stored)) === canonicalize(withoutVersion(spec))) return stored;
    }
    const version = Math.max(spec.version, (last?.version ?? 0) + 1);
    const saved = { ...spec, version };
    await trx
      .insertInto('mapping_specs')
      .values({ id: spec.id, version, spec: JSON.stringify(saved), created_at: now, created_by: by })
      .execute();
    return saved;
  });
}

function withoutVersion(spec: MappingSpec): Record<string, unknown> {
  const { version: _, ...rest } = spec;
  return JSON.parse(JSON.stringify(rest));
}

/** The newest version of every spec. */
export async function latestSpecs(db: Kysely<PipelineDatabase>): Promise<Map<string, MappingSpec>> {
  const rows = await db.selectFrom('mapping_specs').select(['id', 'version', 'spec']).orderBy('version').execute();
  const out = new Map<string, MappingSpec>();
  for (const r of rows) out.set(r.id, JSON.parse(r.spec) as MappingSpec);
  return out;
}

/** Replaces (or creates) the profile of its source. */
export async function saveProfile(db: Kysely<PipelineDatabase>, input: unknown, now: Date): Promise<SourceProfile> {
  const profile = validProfile(input, 'source profile');
  await db
    .insertInto('source_profiles')
    .values({ source: profile.source, profile: JSON.stringify(profile), updated_at: now })
    .onConflict((oc) => oc.column('source').doUpdateSet({ profile: JSON.stringify(profile), updated_at: now }))
    .execute();
  return profile;
}

/** Every stored profile, by source name. */
export async function listProfiles(db: Kysely<PipelineDatabase>): Promise<SourceProfile[]> {
  const rows = await db.selectFrom('source_profiles').select(['profile']).orderBy('source').execute();
  return rows.map((r) => JSON.parse(r.profile) as SourceProfile);
}
