/**
 * Node side of the patient panorama, two hub tasks:
 *
 *   panorama.resolve {idNumber}          checksum-validated, then looked up by the keyed blind index of the
 *                                        number (never a decrypting scan) → the local persons with their visit
 *                                        counts and patient tokens (HMACs under the consortium linkage key)
 *   panorama.records {persons, access}   for each person: its patient token must be the one the access record
 *                                        names, and this node's own ledger replica must show that record
 *                                        (access.ts) → the person's rows as FHIR R4 resources
 *
 * The ID number is used inside this process only; what leaves the node is tokens, counts and FHIR resources.
 */
import { z } from 'zod';
import { MeridianError } from '../errors/registry.ts';
import { normalizeIdNumberStrict } from '../identity/id-number.ts';
import { consensus } from '../identity/node.ts';
import { normalizeIdentity } from '../identity/normalize.ts';
import { type LinkageKey, tokenize } from '../identity/tokens.ts';
import type { TaskHandler } from '../node/hub-channel.ts';
import type { FieldCrypto } from '../privacy/field-crypto.ts';
import { idNumberKey } from '../privacy/protect.ts';
import type { Lake } from '../store/index.ts';
import { type AccessLedger, requireAccessRecord } from './access.ts';
import { PANORAMA_TABLES, type PanoramaResource, type PersonRows, toFhirResources } from './fhir.ts';

/** Most local persons one ID number may resolve to (duplicates of one registration). */
export const RESOLVE_PERSONS_MAX = 20;
/** Most rows of one table returned for one patient (bounds one answer). */
export const ROWS_PER_TABLE_MAX = 5_000;

/** Task kinds of the panorama. */
export const PANORAMA_TASKS = { resolve: 'panorama.resolve', records: 'panorama.records' } as const;

/** What the node needs for the panorama. */
export interface PanoramaNodeDeps {
  lake: Pick<Lake, 'query' | 'tables'>;
  crypto: Pick<FieldCrypto, 'blindIndex' | 'decrypt' | 'decryptRow'>;
  key: LinkageKey;
  hospital: string;
  ledger: AccessLedger;
  now?: () => number;
}

/** Payload of `panorama.resolve`. */
export const ResolvePayloadSchema = z.strictObject({ idNumber: z.string().min(1).max(64) });

/** One local person an ID number resolved to. */
export const ResolvedPersonSchema = z.strictObject({
  personKey: z.string().min(1).max(128),
  visits: z.number().int().min(0),
  /** The token access records name for this person (the ID token, else the name + birth date + sex token). */
  patientToken: z.string().min(16).max(128),
});

/** Answer of `panorama.resolve`. */
export const ResolveAnswerSchema = z.strictObject({
  hospital: z.string(),
  persons: z.array(ResolvedPersonSchema).max(RESOLVE_PERSONS_MAX),
});

/** Answer of `panorama.resolve`. */
export type ResolveAnswer = z.infer<typeof ResolveAnswerSchema>;

/** Payload of `panorama.records`: the persons to read and, per person, the access record the hub wrote. */
export const RecordsPayloadSchema = z.strictObject({
  persons: z
    .array(
      z.strictObject({
        personKey: z.string().min(1).max(128),
        patientToken: z.string().min(16).max(128),
        contentHash: z.string().regex(/^[0-9a-f]{64}$/),
      }),
    )
    .min(1)
    .max(RESOLVE_PERSONS_MAX),
});

/** Answer of `panorama.records`. */
export const RecordsAnswerSchema = z.strictObject({
  hospital: z.string(),
  resources: z.array(z.record(z.string(), z.unknown())),
});

interface IdentityRow {
  person_id: string;
  id_number: string | null;
  name: string | null;
  phone: string | null;
  gender: string | null;
  birth_date: string | null;
}

/** The hub task handlers of the panorama. */
export function panoramaTaskHandlers(deps: PanoramaNodeDeps): Record<string, TaskHandler> {
  return {
    [PANORAMA_TASKS.resolve]: async (payload) => resolvePersons(deps, ResolvePayloadSchema.parse(payload).idNumber),
    [PANORAMA_TASKS.records]: async (payload) => readRecords(deps, RecordsPayloadSchema.parse(payload)),
  };
}

/** The local persons whose ID number is `idNumber` (MER_IDENTITY_INVALID_ID_NUMBER for an invalid number). */
export async function resolvePersons(deps: PanoramaNodeDeps, idNumber: string): Promise<ResolveAnswer> {
  const canonical = normalizeIdNumberStrict(idNumber);
  const empty: ResolveAnswer = { hospital: deps.hospital, persons: [] };
  const tables = await deps.lake.tables();
  if (!tables.includes('person')) return empty;
  const key = idNumberKey(canonical);
  if (key === null) return empty;
  const bidx = deps.crypto.blindIndex('person.id_number', key);
  const ids = await deps.lake.query<{ person_id: string }>(
    'select distinct person_id from person where id_number_bidx = $1 order by person_id limit $2',
    [bidx, RESOLVE_PERSONS_MAX],
  );
  if (ids.length === 0) return empty;
  const keys = ids.map((r) => r.person_id);
  const tokens = await patientTokens(deps, keys);
  const visits = new Map<string, number>();
  if (tables.includes('visit_occurrence')) {
    const rows = await deps.lake.query<{ person_id: string; n: bigint | number }>(
      `select person_id, count(distinct visit_id) as n from visit_occurrence where person_id in (${keys.map((_, i) => `$${i + 1}`).join(', ')}) group by person_id`,
      keys,
    );
    for (const r of rows) visits.set(r.person_id, Number(r.n));
  }
  return {
    hospital: deps.hospital,
    persons: keys.flatMap((k) => {
      const patientToken = tokens.get(k);
      return patientToken === undefined ? [] : [{ personKey: k, visits: visits.get(k) ?? 0, patientToken }];
    }),
  };
}

/** Each person's patient token: the ID token, else the name + birth date + sex token (absent without either). */
export async function patientTokens(
  deps: PanoramaNodeDeps,
  personKeys: readonly string[],
): Promise<Map<string, string>> {
  const rows = await deps.lake.query<IdentityRow & Record<string, unknown>>(
    `select person_id, id_number, name, phone, gender, cast(birth_date as varchar) as birth_date
     from person where person_id in (${personKeys.map((_, i) => `$${i + 1}`).join(', ')})
     order by person_id, id_number, name, phone, gender, birth_date`,
    [...personKeys],
  );
  const open = async (v: string | null, column: 'id_number' | 'name' | 'phone') =>
    v === null ? null : deps.crypto.decrypt('person', column, v);
  const groups = new Map<string, ReturnType<typeof normalizeIdentity>[]>();
  for (const r of rows) {
    const n = normalizeIdentity({
      idNumber: await open(r.id_number, 'id_number'),
      name: await open(r.name, 'name'),
      phone: await open(r.phone, 'phone'),
      sex: r.gender,
      birthDate: r.birth_date,
    });
    groups.set(r.person_id, [...(groups.get(r.person_id) ?? []), n]);
  }
  const out = new Map<string, string>();
  for (const [k, g] of groups) {
    const t = tokenize(deps.key, consensus(g));
    const token = t.id ?? t.nameDobSex;
    if (token !== undefined) out.set(k, token);
  }
  return out;
}

/** The persons' records as FHIR resources, after each one's access record was found on this node's ledger replica. */
export async function readRecords(
  deps: PanoramaNodeDeps,
  payload: z.infer<typeof RecordsPayloadSchema>,
): Promise<{ hospital: string; resources: PanoramaResource[] }> {
  const now = deps.now ?? Date.now;
  const tokens = await patientTokens(
    deps,
    payload.persons.map((p) => p.personKey),
  );
  for (const p of payload.persons) {
    if (tokens.get(p.personKey) !== p.patientToken)
      throw new MeridianError(
        'MER_PANORAMA_ACCESS_NOT_RECORDED',
        `${deps.hospital} returns no records: the access record names another patient's token than person ${p.personKey}'s`,
        { hospital: deps.hospital, contentHash: p.contentHash },
      );
    await requireAccessRecord({ ledger: deps.ledger, claim: p, hospital: deps.hospital, now });
  }
  const resources: PanoramaResource[] = [];
  for (const p of payload.persons) resources.push(...(await personResources(deps, p.personKey)));
  return { hospital: deps.hospital, resources };
}

/** One person's records as FHIR resources, with no access check: only {@link readRecords} calls it for the hub. */
export async function personResources(deps: PanoramaNodeDeps, personKey: string): Promise<PanoramaResource[]> {
  return toFhirResources(deps.hospital, await personRows(deps, new Set(await deps.lake.tables()), personKey));
}

const SELECTS: Record<(typeof PANORAMA_TABLES)[number], { columns: string; order: string }> = {
  person: {
    columns: 'person_id, gender, cast(coalesce(year_of_birth, year(birth_date)) as integer) as year_of_birth',
    order: 'person_id',
  },
  visit_occurrence: {
    columns:
      'visit_id, visit_type, cast(start_date as varchar) as start_date, cast(end_date as varchar) as end_date, department',
    order: 'start_date, visit_id',
  },
  condition_occurrence: {
    columns: 'visit_id, condition_code, condition_name, cast(condition_date as varchar) as condition_date, is_primary',
    order: 'condition_date, condition_code',
  },
  drug_exposure: {
    columns:
      'visit_id, atc_code, drug_name, dose_value, dose_unit, cast(start_date as varchar) as start_date, cast(end_date as varchar) as end_date',
    order: 'start_date, drug_name',
  },
  measurement: {
    columns:
      "visit_id, measurement_code, value, unit, source_value, strftime(measured_at, '%Y-%m-%dT%H:%M:%S') as measured_at, abnormal_flag",
    order: 'measured_at, measurement_code',
  },
  procedure_occurrence: {
    columns: 'visit_id, procedure_code, procedure_name, cast(procedure_date as varchar) as procedure_date',
    order: 'procedure_date, procedure_code',
  },
  observation: {
    columns: 'visit_id, observation_code, value_text, value_number, cast(observed_on as varchar) as observed_on',
    order: 'observed_on, observation_code',
  },
  note: {
    columns: 'visit_id, note_type, note_text, cast(note_date as varchar) as note_date',
    order: 'note_date, note_type',
  },
  imaging_study: {
    columns: 'study_uid, modality, body_part, cast(study_date as varchar) as study_date, description, location',
    order: 'study_date, study_uid',
  },
};

/** One person's rows of every panorama table present in the lake (at most {@link ROWS_PER_TABLE_MAX} each). */
async function personRows(deps: PanoramaNodeDeps, tables: ReadonlySet<string>, personKey: string): Promise<PersonRows> {
  const rows: Record<string, unknown[]> = {};
  for (const t of PANORAMA_TABLES) {
    if (!tables.has(t)) {
      rows[t] = [];
      continue;
    }
    const { columns, order } = SELECTS[t];
    const distinct = t === 'person' ? 'distinct ' : '';
    const found = await deps.lake.query(
      `select ${distinct}${columns} from ${t} where person_id = $1 order by ${order} limit ${ROWS_PER_TABLE_MAX}`,
      [personKey],
    );
    rows[t] = found.map((r) => deps.crypto.decryptRow(t, r));
  }
  return rows as unknown as PersonRows;
}
