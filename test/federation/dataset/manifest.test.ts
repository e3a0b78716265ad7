/**
 * The key test of the dataset compiler: a 300-patient-per-hospital consortium is generated (seed 42), each hospital
 * is loaded through the real pipeline with its demo mappings (as test/quality/manifest.test.ts does), and the
 * manifest's two analysis tables are built from DWD alone by compileDataset over a cohort query:
 *  - diabetic complication: persons with an E11 diagnosis, index = first E11 date; HbA1c first on the index day in %
 *    (one decimal, as the manifest defines it: hospital C's IFCC value converts back exactly after rounding), age at
 *    index, BMI on the index day, outcome E11.2/E11.3/E11.4 on or after the index;
 *  - lung-cancer survival: persons with a C34 diagnosis, index = first C34 date; time to death, censored at the last
 *    visit; ever smoker (72166-2 current or former); (age at index − 60) / 10.
 * Per hospital, the complete cases are exactly the generator's sample (count, events, and every covariate of every
 * person against ground-truth/persons.csv); the rows complete-case filtering drops are all non-home records (the
 * generator records a person's outcomes only at their home hospital, so another hospital never has the index
 * HbA1c). Pooled over the hospitals, fitLogistic and fitCox reproduce the manifest's sampleFit within 1e-6.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fitCox, fitLogistic } from '../../../src/demo/generator/fit.ts';
import { type ConsortiumManifest, generateConsortium, TRUTH_HEADER } from '../../../src/demo/generator/index.ts';
import { DEMO_HOSPITALS, DEMO_MAPPINGS, type DemoHospital } from '../../../src/demo/mappings/index.ts';
import {
  type AnalysisVariable,
  type CohortQuery,
  compileDataset,
  type Design,
  designMatrix,
} from '../../../src/federation/dataset/index.ts';
import { openTestPipeline } from '../../pipeline/load-helpers.ts';

const PATIENTS = 300;
const SEED = 42;
const TOLERANCE = 1e-6;

/** Persons with a diagnosis under `prefix`, indexed at their first one (what the cohort compiler hands over). */
const firstDiagnosis = (prefix: string): CohortQuery => ({
  sql: 'select person_id, min(condition_date) as index_date from condition_occurrence where starts_with(condition_code, $1) and condition_date is not null group by person_id',
  params: [prefix],
});

const COMPLICATION_VARIABLES: AnalysisVariable[] = [
  {
    name: 'hba1c',
    kind: 'measurement',
    code: '4548-4',
    value: 'first',
    window: { start: 0, end: 0 },
    unit: '%',
    decimals: 1,
  },
  { name: 'hba1c_stored', kind: 'measurement', code: '4548-4', value: 'first', window: { start: 0, end: 0 } },
  { name: 'age', kind: 'age' },
  { name: 'bmi', kind: 'measurement', code: '39156-5', value: 'first', window: { start: 0, end: 0 } },
  {
    name: 'complication',
    kind: 'condition',
    codes: ['E11.2', 'E11.3', 'E11.4'],
    descendants: true,
    window: { start: 0 },
  },
];

const SURVIVAL_VARIABLES: AnalysisVariable[] = [
  { name: 'os', kind: 'survival', event: { kind: 'death' }, censor: 'last_visit' },
  { name: 'smoker', kind: 'observation', code: '72166-2', value: 'indicator', text: ['449868002', '8517006'] },
  { name: 'age', kind: 'age' },
];

type TruthRow = Record<(typeof TRUTH_HEADER)[number], string>;

interface Hospital {
  complication: { rows: Record<string, unknown>[]; design: Design };
  survival: { rows: Record<string, unknown>[]; design: Design };
  /** DWD person_id → the hospital's patient id (hospital C's person_id is the FHIR resource id). */
  patientId: Map<string, string>;
}

let root: string;
let manifest: ConsortiumManifest;
let truth: Map<string, TruthRow>;
const hospitals = new Map<DemoHospital, Hospital>();

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'dataset-manifest-'));
  const dataDir = join(root, 'data');
  manifest = (await generateConsortium({ hospitals: 3, patients: PATIENTS, seed: SEED, outDir: dataDir })).manifest;
  truth = readTruth(join(dataDir, 'ground-truth', 'persons.csv'));
  for (const h of DEMO_HOSPITALS) {
    const pipeline = await openTestPipeline();
    try {
      const { profile, specs } = DEMO_MAPPINGS[h];
      await pipeline.load(join(dataDir, h), profile, specs, `demo-${h}`);
      const present = new Set(await pipeline.lake.tables());
      const build = async (cohort: CohortQuery, variables: AnalysisVariable[]) => {
        const compiled = compileDataset(cohort, variables, { present });
        return pipeline.lake.query<Record<string, unknown>>(compiled.sql, compiled.params);
      };
      const complicationRows = await build(firstDiagnosis('E11'), COMPLICATION_VARIABLES);
      const survivalRows = await build(firstDiagnosis('C34'), SURVIVAL_VARIABLES);
      const ids = await pipeline.lake.query<{ person_id: string; local_patient_id: string }>(
        'select person_id, local_patient_id from person where local_patient_id is not null',
      );
      // local_patient_id is stored encrypted (an L4 field); the test holds the node's keys.
      const patientId = new Map<string, string>();
      for (const r of ids) {
        const clear = pipeline.crypto.decrypt('person', 'local_patient_id', r.local_patient_id);
        assert.equal(patientId.get(r.person_id) ?? clear, clear, `${h}: one patient id per person`);
        patientId.set(r.person_id, clear);
      }
      hospitals.set(h, {
        complication: {
          rows: complicationRows,
          design: designMatrix(complicationRows, { outcome: 'complication', covariates: ['hba1c', 'age', 'bmi'] }),
        },
        survival: {
          rows: survivalRows,
          design: designMatrix(survivalRows, {
            outcome: 'os_time_days',
            event: 'os_event',
            covariates: ['smoker', { column: 'age', center: 60, scale: 10 }],
            intercept: false,
          }),
        },
        patientId,
      });
    } finally {
      await pipeline.close();
    }
  }
});

after(() => {
  rmSync(root, { recursive: true, force: true });
});

/** ground-truth/persons.csv by `hospital/patient_id` (no field holds a comma or a quote; checked per line). */
function readTruth(path: string): Map<string, TruthRow> {
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  assert.equal(lines[0], TRUTH_HEADER.join(','));
  const out = new Map<string, TruthRow>();
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    assert.equal(cells.length, TRUTH_HEADER.length, `a plain CSV line: ${line.slice(0, 40)}`);
    const row = Object.fromEntries(TRUTH_HEADER.map((k, i) => [k, cells[i] as string])) as TruthRow;
    out.set(`${row.hospital}/${row.patient_id}`, row);
  }
  return out;
}

function get(h: DemoHospital): Hospital {
  const found = hospitals.get(h);
  assert.ok(found, `${h} was loaded`);
  return found;
}

/** The ground truth of a DWD person at a hospital. */
function truthOf(h: DemoHospital, personId: unknown): TruthRow {
  const patientId = get(h).patientId.get(String(personId));
  assert.ok(patientId !== undefined, `${h}: ${String(personId)} is a person of the lake`);
  const row = truth.get(`${h}/${patientId}`);
  assert.ok(row, `${h}: ${patientId} is in ground-truth/persons.csv`);
  return row;
}

const complete = (row: Record<string, unknown>, columns: readonly string[]) => columns.every((c) => row[c] !== null);

test('diabetic complication: per hospital, the complete cases are the sample, person by person', (t) => {
  const effect = manifest.effects.diabeticComplication;
  const columns = ['hba1c', 'age', 'bmi', 'complication'];
  for (const h of DEMO_HOSPITALS) {
    const { rows, design } = get(h).complication;
    const expected = effect.sample.byHospital[h];
    assert.ok(expected, h);
    assert.equal(design.X.length, expected.n, `${h}: complete cases = manifest sample n`);
    assert.equal(
      design.y.reduce((s, v) => s + v, 0),
      expected.events,
      `${h}: outcomes = manifest events`,
    );
    let homes = 0;
    let inexact = 0;
    for (const row of rows) {
      const tr = truthOf(h, row.person_id);
      assert.equal(tr.diabetes, '1', `${h}: ${tr.patient_id} has diabetes`);
      if (!complete(row, columns)) {
        assert.equal(tr.home, '0', `${h}: dropped ${tr.patient_id} is a non-home record, not a home patient`);
        assert.equal(row.hba1c, null, `${h}: ${tr.patient_id} has no index HbA1c here`);
        continue;
      }
      assert.equal(tr.home, '1', `${h}: complete ${tr.patient_id} is a home patient`);
      homes++;
      // Hospital C reports whole mmol/mol; the stored % value is off by at most 0.5 / 10.929 < 0.05, so one decimal
      // recovers the generator's value exactly (the manifest's definition); A and B store it as written.
      const stored = Number(row.hba1c_stored) - Number(tr.hba1c_index_percent);
      if (Math.abs(stored) > 1e-9) inexact++;
      if (h === 'hospital-c') assert.ok(Math.abs(stored) <= 0.5 / 10.929 + 1e-9, `${h} ${tr.patient_id}: ${stored}`);
      else assert.ok(Math.abs(stored) < 1e-9, `${h} ${tr.patient_id}: stored HbA1c as written`);
      assert.deepEqual(
        [row.hba1c, row.age, row.bmi, row.complication],
        [Number(tr.hba1c_index_percent), Number(tr.age_at_index), Number(tr.bmi), tr.complication_code === '' ? 0 : 1],
        `${h} ${tr.patient_id}`,
      );
    }
    const homeDiabetics = [...truth.values()].filter((r) => r.hospital === h && r.home === '1' && r.diabetes === '1');
    assert.equal(homes, homeDiabetics.length, `${h}: every home diabetic is a complete case`);
    if (h === 'hospital-c') assert.ok(inexact > 0, 'hospital C: some stored IFCC-derived values need the rounding');
    t.diagnostic(
      `${h}: cohort ${rows.length}, complete ${design.X.length} (manifest ${expected.n}), events ${expected.events}, dropped ${JSON.stringify(design.dropped)}`,
    );
  }
});

test('diabetic complication: the pooled logistic fit equals the manifest sampleFit within 1e-6', (t) => {
  const sampleFit = manifest.effects.diabeticComplication.sampleFit;
  assert.ok(sampleFit, 'the manifest has a sample fit');
  const designs = DEMO_HOSPITALS.map((h) => get(h).complication.design);
  assert.deepEqual(designs[0]?.names, ['(intercept)', 'hba1c', 'age', 'bmi']);
  const fit = fitLogistic(
    designs.flatMap((d) => d.X),
    designs.flatMap((d) => d.y),
  );
  assert.ok(fit.converged);
  const want = [
    sampleFit.intercept,
    sampleFit.coefficients.hba1cPercent,
    sampleFit.coefficients.ageYears,
    sampleFit.coefficients.bmiKgM2,
  ] as number[];
  const se = ['intercept', 'hba1cPercent', 'ageYears', 'bmiKgM2'].map((k) => sampleFit.standardErrors[k] as number);
  fit.coefficients.forEach((b, i) => {
    assert.ok(Math.abs(b - (want[i] as number)) < TOLERANCE, `coefficient ${i}: ${b} vs ${want[i]}`);
    assert.ok(Math.abs((fit.standardErrors[i] as number) - (se[i] as number)) < TOLERANCE, `standard error ${i}`);
  });
  t.diagnostic(`logistic ${JSON.stringify(fit.coefficients)} · manifest ${JSON.stringify(want)}`);
});

test('lung-cancer survival: per hospital, every C34 patient is a complete case equal to the ground truth', (t) => {
  const effect = manifest.effects.lungCancerSurvival;
  for (const h of DEMO_HOSPITALS) {
    const { rows, design } = get(h).survival;
    const expected = effect.sample.byHospital[h];
    assert.ok(expected, h);
    assert.equal(design.X.length, expected.n, `${h}: complete cases = manifest sample n`);
    assert.equal(design.dropped.missing, 0, `${h}: nothing dropped`);
    assert.equal(
      design.event?.reduce((s, v) => s + v, 0),
      expected.deaths,
      `${h}: deaths`,
    );
    for (const row of rows) {
      const tr = truthOf(h, row.person_id);
      assert.equal(tr.home, '1', `${h}: ${tr.patient_id} is a home patient (only homes record the cancer)`);
      assert.deepEqual(
        [row.os_time_days, row.os_event, row.smoker, row.age],
        [
          Number(tr.survival_time_days),
          Number(tr.survival_event),
          tr.smoking === 'never' ? 0 : 1,
          Number(tr.age_at_dx),
        ],
        `${h} ${tr.patient_id}`,
      );
    }
    t.diagnostic(`${h}: ${rows.length} patients, ${expected.deaths} deaths`);
  }
});

test('lung-cancer survival: the pooled Cox fit equals the manifest sampleFit within 1e-6', (t) => {
  const sampleFit = manifest.effects.lungCancerSurvival.sampleFit;
  assert.ok(sampleFit, 'the manifest has a sample fit');
  const designs = DEMO_HOSPITALS.map((h) => get(h).survival.design);
  assert.deepEqual(designs[0]?.names, ['smoker', 'age']);
  const fit = fitCox(
    designs.flatMap((d) => d.y),
    designs.flatMap((d) => (d.event ?? []).map((e) => e === 1)),
    designs.flatMap((d) => d.X),
  );
  assert.ok(fit.converged);
  const keys = ['everSmoker', 'agePer10YearsOver60'];
  keys.forEach((k, i) => {
    const b = fit.coefficients[i] as number;
    assert.ok(
      Math.abs(b - (sampleFit.coefficients[k] as number)) < TOLERANCE,
      `${k}: ${b} vs ${sampleFit.coefficients[k]}`,
    );
    assert.ok(
      Math.abs((fit.standardErrors[i] as number) - (sampleFit.standardErrors[k] as number)) < TOLERANCE,
      `${k} SE`,
    );
  });
  t.diagnostic(`cox ${JSON.stringify(fit.coefficients)} · manifest ${JSON.stringify(sampleFit.coefficients)}`);
});
