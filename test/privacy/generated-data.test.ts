/**
 * De-identification on the generated consortium: 300 patients (seed 42) of hospital-a are loaded through the
 * real pipeline; a person-level extract (age band, sex, region prefix, first diagnosis) released under the
 * default spec plus generalization and suppression is 5-anonymous; a planted unique person is caught and
 * named; and the hospital's notes, scrubbed, keep no name, ID number or phone of the generated persons.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateConsortium } from '../../src/demo/generator/index.ts';
import { DEMO_MAPPINGS } from '../../src/demo/mappings/index.ts';
import {
  checkKAnonymity,
  type DeidSpec,
  defaultDeidSpec,
  deidentifyExtract,
  describeClass,
  planExtract,
  scrubText,
  suppressToK,
  withRules,
} from '../../src/privacy/index.ts';
import { openTestPipeline, type TestPipeline } from '../pipeline/load-helpers.ts';

const PATIENTS = 300;
const SEED = 42;
const K = 5;
const QI = ['age_band', 'sex', 'region', 'diagnosis'];
const CTX = { projectKey: Buffer.alloc(32, 42), maxShiftDays: 180, referenceDate: '2025-01-01' };

/** Extract columns → the DWD field each holds. */
const COLUMNS = {
  person_id: { table: 'person', field: 'person_id' },
  age_band: { table: 'person', field: 'birth_date' },
  sex: { table: 'person', field: 'gender' },
  region: { table: 'person', field: 'region_code' },
  diagnosis: { table: 'condition_occurrence', field: 'condition_code' },
} as const;

/** One row per person: the first diagnosis (by date, then code) stands for the person's condition. */
const EXTRACT_SQL = `
  select p.person_id, p.birth_date as age_band, p.gender as sex, p.region_code as region,
    (select c.condition_code from condition_occurrence c where c.person_id = p.person_id
      order by c.condition_date, c.condition_code limit 1) as diagnosis
  from person p order by p.person_id`;

let root: string;
let pipeline: TestPipeline;
let people: Record<string, unknown>[];
let spec: DeidSpec;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'privacy-generated-'));
  const outDir = join(root, 'data');
  await generateConsortium({ hospitals: 1, patients: PATIENTS, seed: SEED, outDir });
  pipeline = await openTestPipeline();
  const { profile, specs } = DEMO_MAPPINGS['hospital-a'];
  await pipeline.load(join(outDir, 'hospital-a'), profile, specs, 'privacy-a');
  people = await pipeline.lake.query(EXTRACT_SQL);
  // Default spec, generalized for a person-level release: 20-year bands (80+ top-coded), province prefix
  // with rare provinces grouped, ICD-10 chapter letter with rare chapters grouped.
  spec = withRules(defaultDeidSpec(), {
    person: {
      birth_date: { generalize: 'age_band', width: 20, topAge: 80 },
      region_code: [
        { generalize: 'region', digits: 2 },
        { generalize: 'rare', min: 40 },
      ],
    },
    condition_occurrence: {
      condition_code: [
        { generalize: 'code_prefix', length: 1 },
        { generalize: 'rare', min: 20 },
      ],
    },
  });
});

after(async () => {
  await pipeline?.close();
  rmSync(root, { recursive: true, force: true });
});

test('a de-identified person-level extract of the generated data passes k ≥ 5', () => {
  assert.ok(people.length >= PATIENTS * 0.9, `${people.length} persons loaded`);
  const released = deidentifyExtract(people, planExtract(spec, COLUMNS), CTX);
  const clearIds = new Set(people.map((p) => p.person_id));
  assert.ok(
    released.every((r) => typeof r.person_id === 'string' && !clearIds.has(r.person_id)),
    'pseudonymized',
  );

  const raw = checkKAnonymity(released, { quasiIdentifiers: QI, k: K, sensitive: 'diagnosis' });
  assert.ok(raw.k < K, 'before suppression some classes are too small (the check has something to find)');
  const s = suppressToK(released, { quasiIdentifiers: QI, k: K });
  assert.equal(s.suppressed, raw.belowK.records, 'suppression removes exactly the rows of the small classes');
  assert.ok(s.report.k >= K, `k = ${s.report.k}`);
  assert.ok(s.rows.length >= people.length / 2, `${s.rows.length} of ${people.length} persons released`);
  assert.equal(checkKAnonymity(s.rows, { quasiIdentifiers: QI }).k, s.report.k);
  console.log(
    `released ${s.rows.length}/${people.length} persons in ${s.report.classes} classes, k=${s.report.k}, suppressed ${s.suppressed} (smallest before: ${describeClass(raw.smallest[0] as (typeof raw.smallest)[0])})`,
  );
});

test('a planted unique combination is caught and named as the smallest class', () => {
  const planted = { person_id: 'planted-1', age_band: '1920-02-29', sex: 'F', region: '653101', diagnosis: 'Q90.900' };
  const released = deidentifyExtract([...people, planted], planExtract(spec, COLUMNS), CTX);
  const s = suppressToK(released, { quasiIdentifiers: QI, k: K });
  const safe = s.rows;
  const withRisk = [...safe, released.at(-1) as Record<string, unknown>];
  const r = checkKAnonymity(withRisk, { quasiIdentifiers: QI, k: K });
  assert.equal(r.k, 1);
  assert.deepEqual(r.belowK, { classes: 1, records: 1 });
  assert.deepEqual(r.smallest[0], {
    values: { age_band: '80+', sex: 'F', region: '其他', diagnosis: '其他' },
    size: 1,
  });
  assert.equal(
    describeClass(r.smallest[0] as (typeof r.smallest)[0]),
    'age_band=80+, sex=F, region=其他, diagnosis=其他 (1 record)',
  );
  assert.ok(
    s.suppressedClasses.some((c) => c.values.diagnosis === '其他' && c.values.age_band === '80+'),
    'suppression removes it',
  );
});

test('scrubbed notes keep no name, ID number or phone of the generated persons', async () => {
  // Notes and identifiers are encrypted at rest; the node opens them with its keyring before scrubbing.
  const open = (table: 'note' | 'person', field: string, v: unknown) =>
    typeof v === 'string' ? pipeline.crypto.decrypt(table, field, v) : null;
  const notes = (
    await pipeline.lake.query(
      'select n.note_text, p.name, p.id_number, p.phone from note n join person p using (person_id)',
    )
  ).map((r) => ({
    note_text: open('note', 'note_text', r.note_text) as string,
    name: open('person', 'name', r.name),
    id_number: open('person', 'id_number', r.id_number),
    phone: open('person', 'phone', r.phone),
  }));
  assert.ok(notes.length > 100, `${notes.length} notes`);
  const squash = (s: string) => s.replace(/[\s·•・．.]/g, '');
  let names = 0;
  for (const n of notes) {
    const name = squash(n.name ?? '');
    // As written: the pattern passes alone (no known names) remove the patient's name.
    const plain = scrubText(n.note_text).text;
    if (name.length >= 2 && squash(n.note_text).includes(name)) names++;
    assert.ok(name.length < 2 || !squash(plain).includes(name), `name left in: ${plain.slice(0, 80)}`);
    // With the person's identifiers written into the text in free form, and the name known to the node.
    const planted = `${n.note_text}\n备注：患者${n.name ?? ''}，身份证 ${n.id_number ?? ''}，手机${n.phone ?? ''}，其子电话${n.phone ?? ''}。`;
    const out = scrubText(planted, { knownNames: n.name ? [n.name] : [] }).text;
    for (const secret of [name, n.id_number ?? '', n.phone ?? ''])
      assert.ok(secret.length < 2 || !squash(out).includes(squash(secret)), `identifier left in: ${out.slice(-80)}`);
  }
  assert.ok(names > notes.length / 2, `most notes name their patient (${names}), so the check is not vacuous`);
});
