/**
 * The node's de-identification preview (`privacy.preview`) on the generated consortium: 300 patients (seed 42)
 * of hospital-a loaded through the real pipeline (identifiers encrypted at rest). The preview's sample rows
 * hold none of the persons' clear names, ID numbers or phones; k, the smallest classes, the classes below k
 * and the suppression count agree with an independent count in DuckDB over the clear lake; notes are scrubbed
 * of their patients' names; bad quasi-identifiers are refused by name.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateConsortium } from '../../src/demo/generator/index.ts';
import { DEMO_MAPPINGS } from '../../src/demo/mappings/index.ts';
import { isMeridianError } from '../../src/errors/registry.ts';
import {
  type PrivacyPreview,
  PrivacyPreviewSchema,
  previewDeidentification,
  privacyTaskHandlers,
} from '../../src/privacy/index.ts';
import { openLake } from '../../src/store/index.ts';
import { openTestPipeline, type TestPipeline } from '../pipeline/load-helpers.ts';

const PATIENTS = 300;
const SEED = 42;
const NOW = () => new Date('2026-05-01T08:00:00Z');

let root: string;
let pipeline: TestPipeline;
/** Every clear identifier of the hospital's persons (decrypted from the lake), squashed. */
let secrets: { names: Set<string>; idNumbers: Set<string>; phones: Set<string>; localIds: Set<string> };

const squash = (s: string) => s.replace(/[\s·•・．.\-()]/g, '');

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'privacy-tasks-'));
  const outDir = join(root, 'data');
  await generateConsortium({ hospitals: 1, patients: PATIENTS, seed: SEED, outDir });
  pipeline = await openTestPipeline();
  const { profile, specs } = DEMO_MAPPINGS['hospital-a'];
  await pipeline.load(join(outDir, 'hospital-a'), profile, specs, 'preview-a');
  const persons = (await pipeline.lake.query('select name, id_number, phone, local_patient_id from person')).map((r) =>
    pipeline.crypto.decryptRow('person', r),
  );
  const set = (field: string) =>
    new Set(persons.flatMap((p) => (typeof p[field] === 'string' ? [squash(p[field] as string)] : [])));
  secrets = {
    names: set('name'),
    idNumbers: set('id_number'),
    phones: set('phone'),
    localIds: set('local_patient_id'),
  };
  assert.ok(secrets.names.size > PATIENTS * 0.9, `${secrets.names.size} clear names to look for`);
  assert.ok(secrets.idNumbers.size > PATIENTS * 0.5 && secrets.phones.size > PATIENTS * 0.5);
});

after(async () => {
  await pipeline?.close();
  rmSync(root, { recursive: true, force: true });
});

const deps = () => ({ lake: pipeline.lake, crypto: pipeline.crypto, now: NOW });

/** Asserts that no value of the answer holds a clear name, ID number, phone or hospital patient id. */
function assertNoClearIdentifier(preview: PrivacyPreview): void {
  const text = squash(JSON.stringify(preview));
  for (const [kind, values] of Object.entries(secrets))
    for (const v of values) {
      if (v.length < 2) continue;
      // Names are short: look for them only in the sample's free text and values, never by substring of pseudonyms.
      if (kind === 'names') {
        for (const row of preview.sample)
          for (const cell of Object.values(row))
            if (typeof cell === 'string') assert.ok(!squash(cell).includes(v), `a clear name in the sample: ${cell}`);
        continue;
      }
      assert.ok(!text.includes(v), `a clear ${kind} value in the preview`);
    }
}

test('a person-level preview: rules per field, no clear identifier, k and smallest classes as DuckDB counts them', async () => {
  const preview = await previewDeidentification(deps(), { table: 'person', k: 5, sampleRows: 50 });
  PrivacyPreviewSchema.parse(preview);
  assert.equal(preview.unit, 'person');
  assert.deepEqual(preview.quasiIdentifiers, ['birth_date', 'gender', 'region_code']);
  const rule = (f: string) => preview.fields.find((x) => x.field === f)?.rule;
  for (const f of ['name', 'id_number', 'phone', 'local_patient_id', 'name_bidx', 'source_sha256'])
    assert.equal(rule(f), 'drop', f);
  assert.equal(rule('person_id'), 'pseudonymize');
  assert.deepEqual(rule('birth_date'), { generalize: 'year' });
  assert.deepEqual(rule('region_code'), { generalize: 'region', digits: 4 });
  assert.equal(rule('gender'), 'keep');

  assert.equal(preview.sample.length, 50);
  for (const row of preview.sample) {
    for (const f of ['name', 'id_number', 'phone', 'local_patient_id']) assert.ok(!(f in row), `${f} is dropped`);
    assert.match(String(row.person_id), /^[0-9a-f]{32}$/, 'a pseudonym');
    assert.ok(row.birth_date === null || typeof row.birth_date === 'number', 'birth year');
    assert.match(String(row.region_code), /^\d{4}$/);
  }
  assertNoClearIdentifier(preview);

  // The same classes, counted independently over the clear lake.
  const classes = await pipeline.lake.query<{ y: number; g: string; r: string; n: number }>(
    `with p as (select * from person qualify row_number() over (partition by person_id order by load_id desc) = 1)
     select year(birth_date)::integer as y, gender as g, left(region_code, 4) as r, count(*)::integer as n
     from p group by all order by n, y, g, r`,
  );
  const persons = classes.reduce((a, c) => a + c.n, 0);
  assert.equal(preview.examined, persons);
  assert.equal(preview.total, persons);
  assert.equal(preview.truncated, false);
  assert.equal(preview.k.classes, classes.length);
  assert.equal(preview.k.achieved, classes[0]?.n);
  const below = classes.filter((c) => c.n < 5);
  assert.equal(
    preview.suppression.rows,
    below.reduce((a, c) => a + c.n, 0),
  );
  assert.equal(preview.suppression.classes, below.length);
  assert.equal(preview.suppression.remaining, persons - preview.suppression.rows);
  assert.ok(preview.suppression.kAfter >= 5 || preview.suppression.remaining === 0);
  assert.deepEqual(
    preview.k.belowBySize,
    [1, 2, 3, 4].flatMap((size) => {
      const n = below.filter((c) => c.n === size).length;
      return n === 0 ? [] : [{ size, classes: n, records: n * size }];
    }),
  );
  assert.equal(preview.k.smallest.length, Math.min(10, classes.length));
  const smallestSizes = preview.k.smallest.map((c) => c.size);
  assert.deepEqual(
    smallestSizes,
    classes.slice(0, smallestSizes.length).map((c) => c.n),
  );
  const key = (v: { birth_date?: unknown; gender?: unknown; region_code?: unknown }) =>
    `${v.birth_date}|${v.gender}|${v.region_code}`;
  const counted = new Map(classes.map((c) => [`${c.y}|${c.g}|${c.r}`, c.n]));
  for (const c of preview.k.smallest) assert.equal(counted.get(key(c.values)), c.size, key(c.values));
});

test('a table preview joins the person’s quasi-identifiers; own QIs and a larger k change the answer', async () => {
  const preview = await previewDeidentification(deps(), { table: 'condition_occurrence', k: 2, sampleRows: 5 });
  assert.equal(preview.unit, 'row');
  assert.deepEqual(preview.quasiIdentifiers, [
    'person.birth_date',
    'person.gender',
    'person.region_code',
    'condition_code',
  ]);
  const [{ n }] = (await pipeline.lake.query('select count(*)::integer as n from condition_occurrence')) as [
    { n: number },
  ];
  assert.equal(preview.examined, n);
  assert.equal(preview.sample.length, 5);
  for (const row of preview.sample) assert.notEqual(typeof row['person.birth_date'], 'string', 'a year, not a date');
  assertNoClearIdentifier(preview);

  const bySex = await previewDeidentification(deps(), {
    table: 'condition_occurrence',
    quasiIdentifiers: ['person.gender'],
    k: 5,
    sampleRows: 0,
  });
  const sexes = await pipeline.lake.query<{ n: number }>(
    `select count(*)::integer as n from condition_occurrence c
     left join (select distinct on (person_id) person_id, gender from person) p using (person_id)
     group by p.gender order by n`,
  );
  assert.equal(bySex.k.classes, sexes.length);
  assert.equal(bySex.k.achieved, sexes[0]?.n);
  assert.equal(bySex.sample.length, 0);
  assert.equal(bySex.fields.find((f) => f.column === 'person.gender')?.quasiIdentifier, true);
  assert.equal(bySex.fields.find((f) => f.column === 'condition_code')?.quasiIdentifier, false);
});

test('notes in a preview are scrubbed of their patients’ names, ID numbers and phones', async () => {
  const preview = await previewDeidentification(deps(), { table: 'note', sampleRows: 50 });
  assert.equal(preview.fields.find((f) => f.field === 'note_text')?.rule, 'scrub');
  assert.ok(preview.sample.length > 10, `${preview.sample.length} notes`);
  assert.ok(
    preview.sample.some((r) => /\[(姓名|电话|身份证号|地址)\]/.test(String(r.note_text))),
    'something was scrubbed',
  );
  assertNoClearIdentifier(preview);
});

test('bad requests are refused by name: an unknown or dropped quasi-identifier, an unknown table, k out of range', async () => {
  const handler = privacyTaskHandlers(deps())['privacy.preview'];
  assert.ok(handler);
  const refused = async (payload: unknown, code: string, pattern: RegExp) =>
    assert.rejects(
      () => handler(payload, { id: randomUUID(), kind: 'privacy.preview', createdAt: NOW().toISOString(), payload }),
      (e) => isMeridianError(e) && e.code === code && pattern.test(e.message),
    );
  await refused(
    { table: 'person', quasiIdentifiers: ['nickname'] },
    'MER_PRIVACY_SPEC_INVALID',
    /'nickname' is not a column/,
  );
  await refused({ table: 'person', quasiIdentifiers: ['name'] }, 'MER_PRIVACY_SPEC_INVALID', /'name' is dropped/);
  await refused({ table: 'patients' }, 'MER_PRIVACY_INVALID_OPTION', /table/);
  await refused({ table: 'person', k: 1 }, 'MER_PRIVACY_INVALID_OPTION', /k/);
  await refused({ table: 'person', sampleRows: 51 }, 'MER_PRIVACY_INVALID_OPTION', /sampleRows/);
});

test('a lake without the table previews as empty, with the rules the release would apply', async () => {
  const lake = await openLake({ dir: join(root, 'empty-lake') });
  try {
    const preview = await previewDeidentification({ lake, crypto: pipeline.crypto, now: NOW }, { table: 'death' });
    assert.deepEqual([preview.total, preview.examined, preview.k.achieved, preview.sample.length], [0, 0, 0, 0]);
    assert.deepEqual(preview.quasiIdentifiers, ['cause_code'], 'no person table, so no person columns');
    assert.equal(preview.fields.find((f) => f.field === 'death_date')?.rule, 'shift');
  } finally {
    await lake.close();
  }
});
