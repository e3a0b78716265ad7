/**
 * The key test of the quality engine: a ~200-patient consortium is generated (seed 42), each hospital is
 * loaded through the real loader with its demo mappings, the built-in rules run over each load, and the counts
 * are compared with the generator manifest's planted problems EXACTLY, per hospital: impossible values, unit
 * errors, missing values and duplicates. A planted problem is found either as a DWD rule failure or, where the
 * mapping refused the record, in the quarantine counts of the same run. Where mapping makes a planted problem
 * invisible, the test proves it from the source files instead of pretending a match:
 *  - hospital B's exact and near duplicate messages differ only in MSH-10, which no spec maps, so DWD sees both
 *    as exact duplicates (their sum is compared); a duplicated ADT^A01 only repeats a person row, and every ADT
 *    message makes one by design, so those are counted from adt.hl7 and named as unobservable;
 *  - hospital C's exact (NDJSON line repeated) and near (same Observation under a new id) duplicates are both
 *    exact duplicates after mapping (their sum is compared);
 *  - a value missing on a record the mapping refused for another reason (a patient with an impossible birth
 *    date) never reaches DWD; the test reads those source lines and counts them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import iconv from 'iconv-lite';
import {
  type ConsortiumManifest,
  generateConsortium,
  type HospitalManifest,
  IMPOSSIBLE_KINDS,
  type ImpossibleKind,
} from '../../src/demo/generator/index.ts';
import { DEMO_HOSPITALS, DEMO_MAPPINGS, type DemoHospital } from '../../src/demo/mappings/index.ts';
import type { LoadSummary } from '../../src/pipeline/loader.ts';
import {
  BUILTIN_RULES,
  QUALITY_MIGRATIONS,
  type QualityDatabase,
  QualityService,
  type RunResults,
  ruleSetVersion,
} from '../../src/quality/index.ts';
import { type Database, openDatabase } from '../../src/store/index.ts';
import { openTestPipeline, type TestPipeline } from '../pipeline/load-helpers.ts';
import { freshDatabase } from '../store/targets.ts';

const PATIENTS = 200;
const SEED = 42;

interface Hospital {
  pipeline: TestPipeline;
  store: Database<QualityDatabase>;
  cleanup: () => Promise<void>;
  summary: LoadSummary;
  manifest: HospitalManifest;
  results: RunResults;
  /** Source lines of the person records the mapping refused (hospital A's CSV), by column name. */
  refusedPersons: Record<string, string>[];
}

let root: string;
let dataDir: string;
let manifest: ConsortiumManifest;
const hospitals = new Map<DemoHospital, Hospital>();

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'quality-manifest-'));
  dataDir = join(root, 'data');
  manifest = (await generateConsortium({ hospitals: 3, patients: PATIENTS, seed: SEED, outDir: dataDir })).manifest;
  for (const h of DEMO_HOSPITALS) {
    const pipeline = await openTestPipeline();
    const { profile, specs } = DEMO_MAPPINGS[h];
    const loadId = `demo-${h}`;
    const summary = await pipeline.load(join(dataDir, h), profile, specs, loadId);
    const fresh = freshDatabase();
    const store = await openDatabase<QualityDatabase>({ ...fresh.options, migrations: QUALITY_MIGRATIONS });
    const service = new QualityService({ db: store.db, lake: pipeline.lake, node: h });
    const run = await service.run({ loadId });
    const m = manifest.hospitals.find((x) => x.name === h);
    assert.ok(m, h);
    hospitals.set(h, {
      pipeline,
      store,
      cleanup: fresh.cleanup,
      summary,
      manifest: m,
      results: await service.results(run.runId),
      refusedPersons: await refusedPersonLines(h, pipeline),
    });
  }
});

after(async () => {
  for (const h of hospitals.values()) {
    await h.pipeline.close();
    await h.store.close();
    await h.cleanup();
  }
  rmSync(root, { recursive: true, force: true });
});

function get(h: DemoHospital): Hospital {
  const found = hospitals.get(h);
  assert.ok(found, `${h} was loaded and checked`);
  return found;
}

/** What the quality run observed at one hospital. */
class Observed {
  readonly #h: Hospital;
  readonly used = new Set<number>();

  constructor(h: Hospital) {
    this.#h = h;
  }

  /** Failing count of a rule (it must have been evaluated). */
  f(ruleId: string): number {
    const r = this.#h.results.results.find((x) => x.ruleId === ruleId);
    assert.ok(r, `rule ${ruleId} ran`);
    assert.equal(r.status, 'evaluated', `${ruleId}: ${r.note ?? ''}`);
    return r.failing;
  }

  /** Quarantined records for a reason (summed over mapping specs); marks the groups as accounted for. */
  q(code: string, table: string, field: string, bound: 'min' | 'max' | 'order' | null = null): number {
    let n = 0;
    this.#h.results.quarantine.forEach((g, i) => {
      if (g.code === code && g.table === table && g.field === field && g.bound === bound) {
        n += g.count;
        this.used.add(i);
      }
    });
    return n;
  }

  /** Values of a column missing on person records the mapping refused (they never reach DWD). */
  hidden(column: string): number {
    return this.#h.refusedPersons.filter((line) => (line[column] ?? '') === '').length;
  }
}

/** Hospital A's refused patient rows, read from the CSV at the quarantined positions; B and C refuse none here. */
async function refusedPersonLines(h: DemoHospital, pipeline: TestPipeline): Promise<Record<string, string>[]> {
  const rows = await pipeline.lake.query<{ source_position: string }>(
    `select source_position from quarantine where mapping_version = '${h}-person@1' order by source_position`,
  );
  if (h !== 'hospital-a') {
    assert.equal(rows.length, 0, `${h}: no person record refused, so no missing value is hidden in the quarantine`);
    return [];
  }
  const lines = iconv.decode(readFileSync(join(dataDir, h, 'his_patient.csv')), 'gbk').split('\r\n');
  const header = (lines[0] ?? '').split(',');
  return rows.map(({ source_position }) => {
    const line = Number(source_position.slice(source_position.lastIndexOf(':') + 1));
    const cells = (lines[line - 1] ?? '').split(',');
    return Object.fromEntries(header.map((name, i) => [name, cells[i] ?? '']));
  });
}

/** Duplicated ADT messages by event type: a message whose segments after MSH repeat the previous message's. */
function adtDuplicatesByType(): Record<string, number> {
  const messages = readFileSync(join(dataDir, 'hospital-b', 'adt.hl7'), 'utf8')
    .split('\n')
    .filter(Boolean);
  const out: Record<string, number> = {};
  let previous = '';
  for (const m of messages) {
    const msh = m.slice(0, m.indexOf('\r'));
    const body = m.slice(m.indexOf('\r'));
    const type = msh.split('|')[8]?.split('^')[1] ?? '?';
    if (body === previous) out[type] = (out[type] ?? 0) + 1;
    previous = body;
  }
  return out;
}

function impossible(o: Observed): Record<ImpossibleKind, number> {
  return {
    age_over_150: o.q('MAP_RANGE', 'person', 'birth_date', 'min') + o.f('person.birth_date.age'),
    negative_glucose: o.q('MAP_RANGE', 'measurement', 'value', 'min') + o.f('measurement.glucose.nonnegative'),
    lab_before_birth:
      o.q('MAP_RANGE', 'measurement', 'measured_at', 'order') + o.f('measurement.measured_at.after_birth'),
    sbp_900: o.q('MAP_RANGE', 'measurement', 'value', 'max') + o.f('measurement.systolic.range'),
    discharge_before_admission:
      o.q('MAP_RANGE', 'visit_occurrence', 'end_date', 'order') + o.f('visit_occurrence.end_date.after_start'),
  };
}

const diagnosisCode = (o: Observed) =>
  o.q('MAP_REQUIRED', 'condition_occurrence', 'condition_code') + o.f('condition_occurrence.condition_code.required');
const labValue = (o: Observed) => o.q('MAP_REQUIRED', 'measurement', 'value') + o.f('measurement.value.present');
const labUnit = (o: Observed) => o.q('MAP_UNIT', 'measurement', 'value') + o.f('measurement.unit.present');

/** Each manifest missing-value key → how the quality run sees it. */
const MISSING: Record<DemoHospital, Record<string, (o: Observed) => number>> = {
  'hospital-a': {
    'his_patient.csv:身份证号': (o) => o.f('person.id_number.present') + o.hidden('身份证号'),
    'his_patient.csv:联系电话': (o) => o.f('person.phone.present') + o.hidden('联系电话'),
    'his_patient.csv:出生日期': (o) => o.f('person.birth_date.present') + o.hidden('出生日期'),
    'his_diagnosis.csv:诊断编码': diagnosisCode,
    'his_drug.csv:剂量': (o) => o.f('drug_exposure.dose_value.present'),
    'lis_result.csv:结果': labValue,
    'lis_result.csv:单位': labUnit,
  },
  'hospital-b': {
    'PID-3:NNCHN': (o) => o.f('person.id_number.present'),
    'PID-13': (o) => o.f('person.phone.present'),
    'PID-7': (o) => o.f('person.birth_date.present'),
    'diagnoses.csv:DxCode': diagnosisCode,
    'drugs.csv:Dose': (o) => o.f('drug_exposure.dose_value.present'),
    'oru_lab.hl7:OBX-5': labValue,
    'oru_lab.hl7:OBX-6': labUnit,
  },
  'hospital-c': {
    'Patient.identifier:resident-id': (o) => o.f('person.id_number.present'),
    'Patient.telecom': (o) => o.f('person.phone.present'),
    'Patient.birthDate': (o) => o.f('person.birth_date.present'),
    'Condition.code.coding': diagnosisCode,
    'Observation.valueQuantity.unit': labUnit,
  },
};

test('every hospital ran the same built-in rule set over its load, without a rule failing to run', () => {
  for (const h of DEMO_HOSPITALS) {
    const { results } = get(h);
    assert.equal(results.run.loadId, `demo-${h}`);
    assert.equal(results.run.ruleSetVersion, ruleSetVersion(BUILTIN_RULES), `${h}: comparable rule-set version`);
    assert.deepEqual(
      results.results.filter((r) => r.status === 'error').map((r) => `${r.ruleId}: ${r.note}`),
      [],
    );
  }
});

test('impossible values: DWD rule failures plus quarantine equal the manifest exactly, per hospital and kind', (t) => {
  let planted = 0;
  for (const h of DEMO_HOSPITALS) {
    const hospital = get(h);
    const observed = impossible(new Observed(hospital));
    for (const kind of IMPOSSIBLE_KINDS) {
      assert.equal(observed[kind], hospital.manifest.problems.impossible[kind], `${h} ${kind}`);
      planted += observed[kind];
    }
    t.diagnostic(`${h} impossible ${JSON.stringify(observed)}`);
  }
  assert.ok(planted >= 20, `enough impossible values were planted (${planted})`);
});

test('unit errors: the unit-scale rules find exactly the mislabelled results of the manifest', (t) => {
  for (const h of DEMO_HOSPITALS) {
    const hospital = get(h);
    const o = new Observed(hospital);
    const expected: Record<string, number> = { glucose: 0, creatinine: 0 };
    for (const [kind, n] of Object.entries(hospital.manifest.problems.unitErrors)) {
      const analyte = kind.slice(0, kind.indexOf('_'));
      assert.ok(analyte in expected, `${h}: a rule covers unit error ${kind}`);
      expected[analyte] = (expected[analyte] ?? 0) + n;
    }
    const observed = {
      glucose: o.f('measurement.glucose.unit_scale'),
      creatinine: o.f('measurement.creatinine.unit_scale'),
    };
    assert.deepEqual(observed, expected, h);
    assert.equal(o.f('measurement.unit.per_code'), 0, `${h}: stored units are all standard`);
    t.diagnostic(`${h} unit errors ${JSON.stringify(observed)}`);
  }
});

test('missing values: completeness failures plus quarantine (plus values on refused records) equal the manifest', (t) => {
  for (const h of DEMO_HOSPITALS) {
    const hospital = get(h);
    const o = new Observed(hospital);
    const keys = Object.keys(hospital.manifest.problems.missing).sort();
    assert.deepEqual(keys, Object.keys(MISSING[h]).sort(), `${h}: every planted missing value has evidence`);
    for (const key of keys) {
      const see = MISSING[h][key];
      assert.ok(see);
      assert.equal(see(o), hospital.manifest.problems.missing[key], `${h} ${key}`);
    }
    const hidden = ['身份证号', '联系电话', '出生日期'].map((c) => `${c}=${o.hidden(c)}`).join(' ');
    t.diagnostic(
      `${h} missing: ${keys.map((k) => `${k}=${MISSING[h][k]?.(o)}`).join(' ')} · on refused records: ${hidden}`,
    );
  }
  assert.equal(
    new Observed(get('hospital-a')).hidden('联系电话'),
    1,
    'the one phone DWD cannot see is on a refused patient',
  );
});

test('duplicates: exact and near duplicates equal the manifest; what mapping erases is counted from the source', (t) => {
  const a = get('hospital-a');
  const oa = new Observed(a);
  const da = a.manifest.problems.duplicates;
  assert.equal(oa.f('person.duplicate.exact'), da.exact['his_patient.csv']);
  assert.equal(oa.f('measurement.duplicate.exact'), da.exact['lis_result.csv']);
  assert.equal(oa.f('person.duplicate.near'), da.near['his_patient.csv']);
  assert.deepEqual(Object.keys(da.exact).sort(), ['his_patient.csv', 'lis_result.csv']);
  assert.deepEqual(Object.keys(da.near), ['his_patient.csv']);

  const b = get('hospital-b');
  const ob = new Observed(b);
  const db = b.manifest.problems.duplicates;
  const both = (file: string) => (db.exact[file] ?? 0) + (db.near[file] ?? 0);
  assert.equal(ob.f('measurement.duplicate.exact'), both('oru_lab.hl7'), 'ORU exact + near, counted per message');
  const sample = b.results.results.find((r) => r.ruleId === 'measurement.duplicate.exact')?.sample ?? [];
  assert.ok(sample.length > 0 && sample.every((s) => s.source_position?.startsWith('oru_lab.hl7#')));
  const adt = adtDuplicatesByType();
  assert.equal(
    Object.values(adt).reduce((n, k) => n + k, 0),
    both('adt.hl7'),
    'the source holds every planted ADT duplicate',
  );
  assert.equal(
    ob.f('visit_occurrence.duplicate.exact'),
    (adt.A04 ?? 0) + (adt.A03 ?? 0),
    'A04/A03 duplicates repeat a visit',
  );
  assert.equal(ob.f('visit_occurrence.duplicate.exact') + (adt.A01 ?? 0), both('adt.hl7'), 'the rest are A01 repeats');
  assert.deepEqual(Object.keys(db.exact).sort(), ['adt.hl7', 'oru_lab.hl7']);
  assert.deepEqual(Object.keys(db.near).sort(), ['adt.hl7', 'oru_lab.hl7']);

  const c = get('hospital-c');
  const oc = new Observed(c);
  const dc = c.manifest.problems.duplicates;
  assert.equal(
    oc.f('measurement.duplicate.exact'),
    (dc.exact['fhir/ndjson/Observation.ndjson'] ?? 0) + (dc.near.Observation ?? 0),
    'Observation exact + near',
  );
  assert.equal(oc.f('person.duplicate.near'), dc.near.Patient);
  assert.deepEqual(Object.keys(dc.exact), ['fhir/ndjson/Observation.ndjson']);
  assert.deepEqual(Object.keys(dc.near).sort(), ['Observation', 'Patient']);
  t.diagnostic(
    `A person exact ${oa.f('person.duplicate.exact')} near ${oa.f('person.duplicate.near')} lab exact ${oa.f('measurement.duplicate.exact')}; ` +
      `B ORU ${ob.f('measurement.duplicate.exact')} visits ${ob.f('visit_occurrence.duplicate.exact')} ADT by type ${JSON.stringify(adt)}; ` +
      `C Observation ${oc.f('measurement.duplicate.exact')} Patient near ${oc.f('person.duplicate.near')}`,
  );
});

test('the quarantine counts of each run equal the loader’s rejects, and every group is a planted problem', () => {
  for (const h of DEMO_HOSPITALS) {
    const hospital = get(h);
    const total = hospital.results.quarantine.reduce((n, g) => n + g.count, 0);
    assert.equal(total, hospital.summary.totals.rejected, h);
    const o = new Observed(hospital);
    impossible(o);
    for (const see of Object.values(MISSING[h])) see(o);
    assert.deepEqual(
      hospital.results.quarantine.filter((_, i) => !o.used.has(i)),
      [],
      `${h}: no quarantined record outside the planted problems`,
    );
  }
});
