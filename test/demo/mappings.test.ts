/**
 * The demo hospitals' mapping configuration against generated data: a ~200-patient consortium is generated,
 * each hospital's files are loaded with its DEMO_MAPPINGS through the real loader, and the result is checked
 * against the generator's manifest — every file loads, every expected table fills, every blood-pressure
 * reading lands as two rows, and the quarantine holds exactly the planted problems a mapping can see.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type ConsortiumManifest, generateConsortium, type HospitalManifest } from '../../src/demo/generator/index.ts';
import { DEMO_HOSPITALS, DEMO_MAPPINGS, type DemoHospital } from '../../src/demo/mappings/index.ts';
import type { LoadSummary } from '../../src/pipeline/loader.ts';
import { parseMappingSpec } from '../../src/pipeline/mapping.ts';
import { SourceProfileSchema } from '../../src/pipeline/profile.ts';
import { BP_LOINC } from '../../src/pipeline/units.ts';
import { openTestPipeline, type TestPipeline } from '../pipeline/load-helpers.ts';

const PATIENTS = 200;
const SEED = 42;
/** Largest share of mapped units refused (the planted problems are well under 1%). */
const REJECT_RATE_MAX = 0.02;

const EXPECTED_TABLES: Record<DemoHospital, string[]> = {
  'hospital-a': [
    'person',
    'death',
    'visit_occurrence',
    'condition_occurrence',
    'drug_exposure',
    'measurement',
    'procedure_occurrence',
    'observation',
    'note',
  ],
  'hospital-b': [
    'person',
    'death',
    'visit_occurrence',
    'condition_occurrence',
    'drug_exposure',
    'measurement',
    'procedure_occurrence',
    'observation',
  ],
  'hospital-c': [
    'person',
    'death',
    'visit_occurrence',
    'condition_occurrence',
    'drug_exposure',
    'measurement',
    'procedure_occurrence',
    'observation',
    'note',
    'imaging_study',
  ],
};

interface Loaded {
  pipeline: TestPipeline;
  summary: LoadSummary;
  manifest: HospitalManifest;
}

let root: string;
let manifest: ConsortiumManifest;
const loaded = new Map<DemoHospital, Loaded>();

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'demo-mappings-'));
  const outDir = join(root, 'data');
  const r = await generateConsortium({ hospitals: 3, patients: PATIENTS, seed: SEED, outDir });
  manifest = r.manifest;
  for (const h of DEMO_HOSPITALS) {
    const pipeline = await openTestPipeline();
    const { profile, specs } = DEMO_MAPPINGS[h];
    const summary = await pipeline.load(join(outDir, h), profile, specs, `demo-${h}`);
    const m = manifest.hospitals.find((x) => x.name === h);
    assert.ok(m, h);
    loaded.set(h, { pipeline, summary, manifest: m });
  }
});

after(async () => {
  for (const l of loaded.values()) await l.pipeline.close();
  rmSync(root, { recursive: true, force: true });
});

function get(h: DemoHospital): Loaded {
  const l = loaded.get(h);
  assert.ok(l, `${h} was loaded`);
  return l;
}

async function count(h: DemoHospital, sql: string): Promise<number> {
  const [row] = await get(h).pipeline.lake.query(`select count(*)::int as n from ${sql}`);
  return Number(row?.n);
}

test('every spec and profile is valid, and every profile rule names specs of its hospital', () => {
  for (const h of DEMO_HOSPITALS) {
    const { profile, specs } = DEMO_MAPPINGS[h];
    const ids = new Set(specs.map((s) => s.id));
    assert.equal(ids.size, specs.length, `${h}: spec ids are unique`);
    for (const s of specs) {
      const r = parseMappingSpec(s);
      assert.ok(r.ok, `${h} ${s.id}: ${r.ok ? '' : r.problems.join('; ')}`);
      assert.ok(s.id.startsWith(`${h}-`), s.id);
    }
    const p = SourceProfileSchema.parse(profile);
    assert.equal(p.source, h);
    const used = new Set(p.rules.flatMap((r) => r.specs));
    for (const id of used) assert.ok(ids.has(id), `${h}: rule names unknown spec ${id}`);
    for (const id of ids) assert.ok(used.has(id), `${h}: spec ${id} is in no rule`);
  }
});

test('every generated file loads, every record is mapped, and every expected DWD table has rows', () => {
  for (const h of DEMO_HOSPITALS) {
    const { summary, manifest: m } = get(h);
    const failed = summary.files.filter((f) => f.status !== 'loaded');
    assert.deepEqual(
      failed.map((f) => `${f.name}: ${f.error?.message}`),
      [],
      `${h}: no failed files`,
    );
    const expectedFiles = m.files.reduce((n, f) => n + (f.files ?? 1), 0);
    assert.equal(summary.totals.files, expectedFiles, `${h}: every generated file was loaded`);
    assert.equal(summary.totals.skipped, 0, `${h}: no record kind is left unmapped`);
    for (const f of summary.files) assert.deepEqual(f.unmapped, [], `${h} ${f.name}: every local code is mapped`);
    for (const table of EXPECTED_TABLES[h]) {
      assert.ok((summary.rowsByTable[table] ?? 0) > 0, `${h}: rows in ${table}`);
    }
  }
});

test('the reject rate is small and every reject has a reason code, a position and a message', async () => {
  for (const h of DEMO_HOSPITALS) {
    const { summary } = get(h);
    const rate = summary.totals.rejected / (summary.totals.rowsLoaded + summary.totals.rejected);
    assert.ok(rate < REJECT_RATE_MAX, `${h}: reject rate ${rate}`);
    assert.ok(summary.totals.rejected > 0, `${h}: the planted problems are refused`);
    assert.equal(
      await count(
        h,
        `quarantine where code is null or code = '' or source_position is null or source_position = ''
        or message is null or message = ''`,
      ),
      0,
      `${h}: rejects carry code, position and message`,
    );
    assert.equal(await count(h, 'quarantine'), summary.totals.rejected);
  }
});

/** The planted problems a mapping can see, per hospital: quarantine filter → manifest count. */
function plantedRejects(h: DemoHospital, m: HospitalManifest): [string, number][] {
  const missing = (key: string) => m.problems.missing[key] ?? 0;
  const impossible = m.problems.impossible;
  const range = (spec: string, field: string, text: string) =>
    `code = 'MAP_RANGE' and mapping_version = '${spec}@1' and field = '${field}' and message like '%${text}%'`;
  const common = (prefix: string, lab: string): [string, number][] => [
    [range(lab, 'value', 'below the plausible minimum 0'), impossible.negative_glucose],
    [`code = 'MAP_RANGE' and message like '%900 is above the plausible maximum 300%'`, impossible.sbp_900],
    [range(`${prefix}-visit`, 'end_date', 'precedes start_date'), impossible.discharge_before_admission],
  ];
  switch (h) {
    case 'hospital-a':
      return [
        ...common('hospital-a', 'hospital-a-lab'),
        [`code = 'MAP_REQUIRED' and field = 'condition_code'`, missing('his_diagnosis.csv:诊断编码')],
        [`code = 'MAP_REQUIRED' and mapping_version = 'hospital-a-lab@1'`, missing('lis_result.csv:结果')],
        [`code = 'MAP_UNIT' and mapping_version = 'hospital-a-lab@1'`, missing('lis_result.csv:单位')],
      ];
    case 'hospital-b':
      return [
        ...common('hospital-b', 'hospital-b-lab'),
        [range('hospital-b-lab', 'measured_at', 'precedes PID-7'), impossible.lab_before_birth],
        [`code = 'MAP_REQUIRED' and field = 'condition_code'`, missing('diagnoses.csv:DxCode')],
        [`code = 'MAP_REQUIRED' and mapping_version = 'hospital-b-lab@1'`, missing('oru_lab.hl7:OBX-5')],
        [`code = 'MAP_UNIT' and mapping_version = 'hospital-b-lab@1'`, missing('oru_lab.hl7:OBX-6')],
      ];
    case 'hospital-c':
      return [
        ...common('hospital-c', 'hospital-c-lab'),
        [`code = 'MAP_REQUIRED' and field = 'condition_code'`, missing('Condition.code.coding')],
        [`code = 'MAP_UNIT' and mapping_version = 'hospital-c-lab@1'`, missing('Observation.valueQuantity.unit')],
      ];
  }
}

test('the quarantine holds exactly the planted problems a mapping can detect, and nothing else', async () => {
  let planted = 0;
  for (const h of DEMO_HOSPITALS) {
    const { manifest: m, summary } = get(h);
    const expected = plantedRejects(h, m);
    const byKind: Record<string, [number, number]> = {};
    for (const [where, n] of expected) byKind[where] = [await count(h, `quarantine where ${where}`), n];
    for (const [where, [got, want]] of Object.entries(byKind)) assert.equal(got, want, `${h}: ${where}`);
    // A birth date typed 150 years early repeats with its patient: in each of their ADT messages (B), and in
    // an exact duplicate of the patient row (A), so it is counted per patient, not per record.
    const person = await count(h, `quarantine where mapping_version = '${h}-person@1'`);
    assert.ok(person >= m.problems.impossible.age_over_150, `${h}: every impossible birth date is refused`);
    if (person > 0) assert.ok(m.problems.impossible.age_over_150 > 0, `${h}: only impossible birth dates`);
    const total = expected.reduce((n, [, k]) => n + k, 0) + person;
    assert.equal(summary.totals.rejected, total, `${h}: no rejects besides the planted problems`);
    planted += total;
  }
  assert.ok(planted >= 20, `several planted problems were generated (${planted})`);
});

test('every blood-pressure reading of every spelling lands as one systolic and one diastolic row', async () => {
  for (const h of DEMO_HOSPITALS) {
    const { manifest: m } = get(h);
    const readings = Object.values(m.bloodPressure).reduce((n, k) => n + k, 0);
    assert.ok(readings > 0, h);
    const sbp900 = m.problems.impossible.sbp_900;
    assert.equal(await count(h, `measurement where measurement_code = '${BP_LOINC.systolic}'`), readings - sbp900, h);
    assert.equal(await count(h, `measurement where measurement_code = '${BP_LOINC.diastolic}'`), readings, h);
    assert.equal(
      await count(
        h,
        `measurement where measurement_code in ('8480-6', '8462-4') and (unit <> 'mm[Hg]' or value is null)`,
      ),
      0,
    );
  }
});

test('codes land standardized: consortium LOINC for labs, ATC for drugs, converted units, region codes from ID numbers', async () => {
  const labCodes = Object.values(manifest.catalogues.labs['hospital-a'] ?? []).map((l) => `'${l.loinc}'`);
  assert.ok(labCodes.length >= 10);
  for (const h of DEMO_HOSPITALS) {
    assert.equal(await count(h, 'drug_exposure where atc_code is null'), 0, `${h}: every drug has an ATC code`);
    assert.equal(
      await count(
        h,
        `measurement where measurement_code not in (${labCodes.join(', ')}, '8480-6', '8462-4', '8302-2', '29463-7', '39156-5')`,
      ),
      0,
      `${h}: measurement codes are consortium codes`,
    );
    const [glucose] = await get(h).pipeline.lake.query(
      `select median(value) as v, min(unit) as lo, max(unit) as hi from measurement where measurement_code = '14749-6'`,
    );
    assert.deepEqual([glucose?.lo, glucose?.hi], ['mmol/L', 'mmol/L'], h);
    assert.ok(Number(glucose?.v) > 3.5 && Number(glucose?.v) < 12, `${h}: glucose median ${glucose?.v} mmol/L`);
    const [hba1c] = await get(h).pipeline.lake.query(
      `select median(value) as v from measurement where measurement_code = '4548-4'`,
    );
    assert.ok(Number(hba1c?.v) > 4 && Number(hba1c?.v) < 14, `${h}: HbA1c median ${hba1c?.v} %`);
    assert.equal(
      await count(h, `person where id_number is not null and region_code is null`),
      0,
      `${h}: a region code for every ID number`,
    );
    assert.equal(await count(h, `person where region_code is not null and length(region_code) <> 6`), 0);
    assert.equal(
      await count(
        h,
        `observation where observation_code = '72166-2' and value_text not in ('449868002', '8517006', '266919005')`,
      ),
      0,
      `${h}: smoking status as SNOMED CT codes`,
    );
  }
});
