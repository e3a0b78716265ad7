/** FHIR shaping of DWD rows and the merged timeline: pure functions, checked on small hand-written patients. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HOSPITAL_TAG_SYSTEM, hospitalOf, type PersonRows, toFhirResources } from '../../src/panorama/fhir.ts';
import { mergeTimeline } from '../../src/panorama/timeline.ts';

function rows(over: Partial<PersonRows>): PersonRows {
  return {
    person: [{ person_id: 'P1', gender: 'F', year_of_birth: 1961 }],
    visit_occurrence: [],
    condition_occurrence: [],
    drug_exposure: [],
    measurement: [],
    procedure_occurrence: [],
    observation: [],
    note: [],
    imaging_study: [],
    ...over,
  };
}

const A = rows({
  visit_occurrence: [
    {
      visit_id: 'V1',
      visit_type: 'inpatient',
      start_date: '2023-03-01',
      end_date: '2023-03-09',
      department: '内分泌科',
    },
  ],
  condition_occurrence: [
    {
      visit_id: 'V1',
      condition_code: 'E11.9',
      condition_name: '2型糖尿病',
      condition_date: '2023-03-01',
      is_primary: true,
    },
  ],
  measurement: [
    {
      visit_id: 'V1',
      measurement_code: '4548-4',
      value: 8.1,
      unit: '%',
      source_value: '8.1 %',
      measured_at: '2023-03-02T08:00:00',
      abnormal_flag: 'H',
    },
  ],
  drug_exposure: [
    {
      visit_id: 'V1',
      atc_code: 'A10BA02',
      drug_name: '二甲双胍',
      dose_value: 500,
      dose_unit: 'mg',
      start_date: '2023-03-03',
      end_date: null,
    },
  ],
  procedure_occurrence: [
    { visit_id: 'V1', procedure_code: '88.76', procedure_name: '腹部超声', procedure_date: '2023-03-04' },
  ],
  note: [
    { visit_id: 'V1', note_type: '出院小结', note_text: '患者血糖控制欠佳，予二甲双胍。', note_date: '2023-03-09' },
  ],
  imaging_study: [
    {
      study_uid: '1.2.840.1',
      modality: 'CT',
      body_part: 'CHEST',
      study_date: '2023-03-05',
      description: '胸部CT平扫',
      location: 'pacs://a/1.2.840.1',
    },
  ],
});

const B = rows({
  person: [{ person_id: 'Q9', gender: 'F', year_of_birth: 1961 }],
  visit_occurrence: [
    { visit_id: 'W1', visit_type: 'outpatient', start_date: '2024-01-10', end_date: null, department: null },
  ],
  measurement: [
    {
      visit_id: 'W1',
      measurement_code: '4548-4',
      value: 7.2,
      unit: '%',
      source_value: null,
      measured_at: '2024-01-10T09:30:00',
      abnormal_flag: 'H',
    },
  ],
});

test('every DWD table becomes its FHIR resource, tagged with its hospital and linked to its encounter', () => {
  const res = toFhirResources('hospital-a', A);
  assert.deepEqual(
    res.map((r) => r.resourceType),
    [
      'Patient',
      'Encounter',
      'Condition',
      'Observation',
      'MedicationStatement',
      'Procedure',
      'ImagingStudy',
      'DocumentReference',
    ],
  );
  for (const r of res) {
    assert.equal(hospitalOf(r), 'hospital-a');
    assert.ok(r.id?.startsWith('hospital-a.'), r.id);
    assert.deepEqual(r.meta?.tag, [{ system: HOSPITAL_TAG_SYSTEM, code: 'hospital-a' }]);
  }
  const [patient, encounter, condition, lab, drug, , imaging, note] = res;
  assert.deepEqual(patient, {
    resourceType: 'Patient',
    id: 'hospital-a.patient.0',
    meta: patient?.meta,
    gender: 'female',
    birthDate: '1961',
  });
  assert.ok(encounter?.resourceType === 'Encounter');
  assert.equal(encounter.class?.code, 'IMP');
  assert.deepEqual(encounter.period, { start: '2023-03-01', end: '2023-03-09' });
  assert.ok(condition?.resourceType === 'Condition');
  assert.equal(condition.encounter?.reference, 'Encounter/hospital-a.encounter.0');
  assert.deepEqual(condition.code?.coding?.[0], {
    system: 'http://hl7.org/fhir/sid/icd-10',
    code: 'E11.9',
    display: '2型糖尿病',
  });
  assert.ok(lab?.resourceType === 'Observation');
  assert.equal(lab.code?.coding?.[0]?.system, 'http://loinc.org');
  assert.equal(lab.code?.text, '糖化血红蛋白', 'the consortium LOINC name');
  assert.deepEqual(lab.valueQuantity, { value: 8.1, unit: '%', system: 'http://unitsofmeasure.org', code: '%' });
  assert.equal(lab.interpretation?.[0]?.coding?.[0]?.code, 'H');
  assert.ok(drug?.resourceType === 'MedicationStatement');
  assert.equal(drug.medicationCodeableConcept?.coding?.[0]?.system, 'http://www.whocc.no/atc');
  assert.equal(drug.dosage?.[0]?.doseAndRate?.[0]?.doseQuantity?.value, 500);
  assert.ok(imaging?.resourceType === 'ImagingStudy');
  assert.equal(imaging.modality?.[0]?.code, 'CT');
  assert.ok(note?.resourceType === 'DocumentReference');
  const data = note.content?.[0]?.attachment?.data as string;
  assert.equal(Buffer.from(data, 'base64').toString('utf8'), '患者血糖控制欠佳，予二甲双胍。');
});

test('the minimal Patient carries no identifier, name, phone or full birth date', () => {
  const [patient] = toFhirResources('hospital-a', A);
  const text = JSON.stringify(patient);
  for (const key of ['identifier', 'name', 'telecom', 'address']) assert.ok(!(key in (patient ?? {})), key);
  assert.doesNotMatch(text, /1961-/);
});

test('two hospitals merge into one timeline, newest first, each entry tagged, labs as one series', () => {
  const merged = mergeTimeline([...toFhirResources('hospital-b', B), ...toFhirResources('hospital-a', A)]);
  assert.deepEqual(merged.hospitals, { 'hospital-a': 7, 'hospital-b': 2 });
  assert.deepEqual(
    merged.entries.map((e) => [e.date.slice(0, 10), e.hospital, e.kind]),
    [
      ['2024-01-10', 'hospital-b', 'lab'],
      ['2024-01-10', 'hospital-b', 'visit'],
      ['2023-03-09', 'hospital-a', 'note'],
      ['2023-03-05', 'hospital-a', 'imaging'],
      ['2023-03-04', 'hospital-a', 'procedure'],
      ['2023-03-03', 'hospital-a', 'drug'],
      ['2023-03-02', 'hospital-a', 'lab'],
      ['2023-03-01', 'hospital-a', 'visit'],
      ['2023-03-01', 'hospital-a', 'diagnosis'],
    ],
  );
  assert.equal(merged.entries.find((e) => e.kind === 'drug')?.display, 'metformin');
  const note = merged.entries.find((e) => e.kind === 'note');
  assert.equal(note?.text, '患者血糖控制欠佳，予二甲双胍。');
  assert.equal(merged.entries.find((e) => e.kind === 'diagnosis')?.flag, 'principal');
  assert.deepEqual(merged.labs, [
    {
      code: '4548-4',
      title: '糖化血红蛋白',
      display: 'hemoglobin A1c',
      unit: '%',
      points: [
        { date: '2023-03-02T08:00:00', value: 8.1, hospital: 'hospital-a', flag: 'H' },
        { date: '2024-01-10T09:30:00', value: 7.2, hospital: 'hospital-b', flag: 'H' },
      ],
    },
  ]);
});

test('the merge does not depend on the order hospitals answered in', () => {
  const ab = mergeTimeline([...toFhirResources('hospital-a', A), ...toFhirResources('hospital-b', B)]);
  const ba = mergeTimeline([...toFhirResources('hospital-b', B), ...toFhirResources('hospital-a', A)]);
  assert.deepEqual(ab, ba);
});
