import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type FhirPayload, openFhir } from '../../src/sources/fhir.ts';
import { isFhirDate, isFhirDateTime, validateResource } from '../../src/sources/fhir-schemas.ts';
import { JsonObjectScanner } from '../../src/sources/json-stream.ts';
import { collect, fixtures, rejectsWith } from './helpers.ts';

const patient = {
  resourceType: 'Patient',
  id: 'p1',
  identifier: [{ system: 'urn:oid:2.16.156.10011.1.2', value: '110101198001011234' }],
  name: [{ text: '张三', family: '张', given: ['三'] }],
  gender: 'male',
  birthDate: '1980-01-01',
};
const encounter = {
  resourceType: 'Encounter',
  id: 'e1',
  status: 'finished',
  class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
  subject: { reference: 'Patient/p1' },
  period: { start: '2024-03-01T08:30:00+08:00', end: '2024-03-05' },
};
const bloodPressure = {
  resourceType: 'Observation',
  id: 'bp1',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }], text: '血压' },
  subject: { reference: 'Patient/p1' },
  effectiveDateTime: '2024-03-01T09:00:00+08:00',
  component: [
    { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 120, unit: 'mmHg' } },
    { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueQuantity: { value: 80, unit: 'mmHg' } },
  ],
};
const others = [
  {
    resourceType: 'Condition',
    subject: { reference: 'Patient/p1' },
    code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'E11.900' }] },
    onsetDateTime: '2023',
  },
  {
    resourceType: 'MedicationRequest',
    status: 'active',
    intent: 'order',
    medicationCodeableConcept: { text: '二甲双胍片' },
    subject: { reference: 'Patient/p1' },
    dosageInstruction: [{ text: '0.5g bid', doseAndRate: [{ doseQuantity: { value: 0.5, unit: 'g' } }] }],
  },
  {
    resourceType: 'MedicationStatement',
    status: 'active',
    medicationReference: { reference: 'Medication/m1' },
    subject: { reference: 'Patient/p1' },
    effectivePeriod: { start: '2024-01' },
  },
  {
    resourceType: 'Procedure',
    status: 'completed',
    subject: { reference: 'Patient/p1' },
    performedDateTime: '2024-03-02',
  },
  {
    resourceType: 'DiagnosticReport',
    status: 'final',
    code: { text: '胸部CT' },
    issued: '2024-03-02T10:00:00.000+08:00',
    conclusion: '未见异常',
  },
  {
    resourceType: 'DocumentReference',
    status: 'current',
    content: [{ attachment: { contentType: 'text/plain', data: '5Ye66Zmi5bCP57uT' } }],
  },
  {
    resourceType: 'ImagingStudy',
    status: 'available',
    subject: { reference: 'Patient/p1' },
    series: [
      {
        uid: '1.2.840.113619.2.1',
        modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' },
        instance: [{ uid: '1.2.840.113619.2.1.1', sopClass: { code: '1.2.840.10008.5.1.4.1.1.2' } }],
      },
    ],
  },
  { resourceType: 'Organization', id: 'org1', name: '第一医院' },
];

function bundle(entries: unknown[], pretty: boolean): string {
  const b = {
    resourceType: 'Bundle',
    type: 'collection',
    entry: entries.map((resource, i) => ({ fullUrl: `urn:uuid:${i}`, resource })),
  };
  return pretty ? JSON.stringify(b, null, 2) : JSON.stringify(b);
}

test('Bundle entries stream out validated, with entry index, start line and fullUrl', async (t) => {
  const fx = fixtures(t);
  const resources = [patient, encounter, bloodPressure, ...others];
  const path = fx.file('emr.json', bundle(resources, true));
  const src = await openFhir(path);
  assert.deepEqual(src.info, { encoding: 'utf-8', encodingSource: 'detected', layout: 'json' });
  const { records, rejects } = await collect(src);
  assert.deepEqual(rejects, []);
  assert.deepEqual(
    records.map((r) => r.resource),
    resources,
  );
  assert.deepEqual(records[0]?.position, { kind: 'entry', file: path, entry: 0, line: 5 });
  assert.equal(records[1]?.fullUrl, 'urn:uuid:1');
  assert.deepEqual(
    records.map((r) => r.known),
    [true, true, true, true, true, true, true, true, true, true, false],
  );
  assert.equal(records[2]?.resource.resourceType, 'Observation');
});

test('a resource violating its type is a reject naming the FHIRPath; the other entries go on', async (t) => {
  const fx = fixtures(t);
  const bad = [
    { resourceType: 'Observation', code: { text: 'x' } }, // no status
    { ...bloodPressure, component: [{ valueQuantity: { value: 1 } }] }, // component without code
    { ...bloodPressure, valueQuantity: { value: '7.2', unit: '%' } }, // value as a string
    { ...bloodPressure, effectiveDateTime: '2024-02-30' }, // no such day
    { ...bloodPressure, effectiveDateTime: '2024-03-01T09:00:00' }, // a time without a zone
    { ...bloodPressure, valueString: 'a', valueBoolean: true }, // two value[x]
    { ...patient, gender: 'M' },
    { ...patient, id: 'has space' },
    { resourceType: 'MedicationRequest', status: 'active', intent: 'order', subject: { reference: 'Patient/p1' } },
    { resourceType: 'DocumentReference', status: 'current', content: [] },
    { resourceType: 'encounter', status: 'finished' },
    patient,
  ];
  const { records, rejects } = await collect(openFhir(fx.file('bad.json', bundle(bad, false))));
  assert.deepEqual(
    rejects.map((r) => [r.position.kind === 'entry' && r.position.entry, r.reason.code, r.reason.path]),
    [
      [0, 'FHIR_INVALID_RESOURCE', 'Observation.status'],
      [1, 'FHIR_INVALID_RESOURCE', 'Observation.component[0].code'],
      [2, 'FHIR_INVALID_RESOURCE', 'Observation.valueQuantity.value'],
      [3, 'FHIR_INVALID_RESOURCE', 'Observation.effectiveDateTime'],
      [4, 'FHIR_INVALID_RESOURCE', 'Observation.effectiveDateTime'],
      [5, 'FHIR_INVALID_RESOURCE', 'Observation.valueBoolean'],
      [6, 'FHIR_INVALID_RESOURCE', 'Patient.gender'],
      [7, 'FHIR_INVALID_RESOURCE', 'Patient.id'],
      [8, 'FHIR_INVALID_RESOURCE', 'MedicationRequest.medication[x]'],
      [9, 'FHIR_INVALID_RESOURCE', 'DocumentReference.content'],
      [10, 'FHIR_INVALID_RESOURCE', 'Resource.resourceType'],
    ],
  );
  assert.deepEqual(
    rejects.slice(0, 3).map((r) => r.reason.message),
    [
      'Bundle.entry[0] (line 1): Observation.status is required',
      'Bundle.entry[1] (line 1): Observation.component[0].code is required',
      'Bundle.entry[2] (line 1): Observation.valueQuantity.value must be a number',
    ],
  );
  assert.equal(rejects[6]?.reason.message.includes('must be one of male, female, other, unknown'), true);
  assert.equal(records.length, 1);
});

test('entries without a resource, broken JSON inside an entry, and a truncated bundle are rejects', async (t) => {
  const fx = fixtures(t);
  const text =
    '{"resourceType":"Bundle","type":"transaction","entry":[\n' +
    '{"request":{"method":"DELETE","url":"Patient/9"}},\n' +
    '{"resource":{"resourceType":"Patient","id":"a"},"x":[1,}\n,' +
    `{"resource":${JSON.stringify(patient)}},\n` +
    '42,\n' +
    '{"resource":{"resourceType":"Patient","id":"cut"';
  const path = fx.file('cut.json', text);
  const { records, rejects } = await collect(openFhir(path));
  assert.deepEqual(
    records.map((r) => r.resource.id),
    ['p1'],
  );
  assert.deepEqual(
    rejects.map((r) => [r.position, r.reason.code]),
    [
      [{ kind: 'entry', file: path, entry: 0, line: 2 }, 'FHIR_ENTRY_NO_RESOURCE'],
      [{ kind: 'entry', file: path, entry: 1, line: 3 }, 'FHIR_JSON_SYNTAX'],
      [{ kind: 'entry', file: path, entry: 3, line: 5 }, 'FHIR_ENTRY_NO_RESOURCE'],
      [{ kind: 'entry', file: path, entry: 4, line: 6 }, 'FHIR_JSON_SYNTAX'],
    ],
  );
  assert.match(rejects[3]?.reason.message ?? '', /ends inside entry 4 .*truncated/);
});

test('NDJSON: one resource per line; a broken line is a reject with its line number', async (t) => {
  const fx = fixtures(t);
  const lines = [JSON.stringify(patient), '', '{"resourceType":"Observation",', JSON.stringify(encounter), '[1,2]'];
  const path = fx.file('Patient.ndjson', `${lines.join('\n')}\n`);
  const src = await openFhir(path);
  assert.equal(src.info.layout, 'ndjson');
  const { records, rejects } = await collect(src);
  assert.deepEqual(
    records.map((r) => [r.position, r.resource.resourceType]),
    [
      [{ kind: 'line', file: path, line: 1 }, 'Patient'],
      [{ kind: 'line', file: path, line: 4 }, 'Encounter'],
    ],
  );
  assert.deepEqual(
    rejects.map((r) => [r.position.kind === 'line' && r.position.line, r.reason.code]),
    [
      [3, 'FHIR_JSON_SYNTAX'],
      [5, 'FHIR_INVALID_RESOURCE'],
    ],
  );
  // Detected by content too, whatever the name.
  const other = await openFhir(fx.file('export.txt', `${JSON.stringify(patient)}\n${JSON.stringify(encounter)}\n`));
  assert.equal(other.info.layout, 'ndjson');
  await other.close();
});

test('a single resource as JSON is one record; file-level failures are clear errors', async (t) => {
  const fx = fixtures(t);
  const path = fx.file('patient.json', JSON.stringify(patient, null, 1));
  const { records } = await collect(openFhir(path));
  assert.deepEqual(records, [
    { kind: 'record', position: { kind: 'file', file: path }, resource: patient, known: true },
  ]);
  await rejectsWith(openFhir(fx.file('a.json', '[{"resourceType":"Patient"}]')), 'MER_SOURCE_FORMAT', /not FHIR JSON/);
  await rejectsWith(openFhir(fx.file('b.json', '   \n')), 'MER_SOURCE_EMPTY');
  await rejectsWith(openFhir(fx.file('c.json', '')), 'MER_SOURCE_EMPTY');
});

test('an entry larger than entryCharsMax is refused without holding it; the next entry is read', async (t) => {
  const fx = fixtures(t);
  const big = { ...others[5], content: [{ attachment: { data: 'A'.repeat(20_000) } }] };
  const path = fx.file('big.json', bundle([big, patient], false));
  const { records, rejects } = await collect(openFhir(path, { entryCharsMax: 5000, chunkBytes: 1024 }));
  assert.deepEqual(
    rejects.map((r) => r.reason.code),
    ['FHIR_ENTRY_TOO_LARGE'],
  );
  assert.deepEqual(
    records.map((r) => r.resource.id),
    ['p1'],
  );
});

test('property: the scanner finds the same entries however the text is chunked', () => {
  const json = fc.jsonValue({ maxDepth: 3 });
  fc.assert(
    fc.property(
      fc.array(json, { maxLength: 5 }),
      fc.boolean(),
      fc.array(fc.nat(), { maxLength: 10 }),
      (entries, pretty, cuts) => {
        const text = JSON.stringify(
          { resourceType: 'Bundle', meta: { note: 'a "quoted" } ] text' }, entry: entries, total: entries.length },
          null,
          pretty ? 2 : undefined,
        );
        const scanner = new JsonObjectScanner(1_000_000);
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const events = [];
        let prev = 0;
        for (const p of [...points, text.length]) {
          events.push(...scanner.push(text.slice(prev, p)));
          prev = p;
        }
        events.push(...scanner.finish());
        const got = events.filter((e) => e.kind === 'entry').map((e) => JSON.parse(e.text ?? 'null'));
        assert.deepEqual(got, JSON.parse(JSON.stringify(entries)));
        const members = events.filter((e) => e.kind === 'member').map((e) => e.kind === 'member' && e.key);
        assert.deepEqual(members, ['resourceType', 'meta', 'total']);
        assert.equal(
          events.some((e) => e.kind === 'syntax'),
          false,
        );
      },
    ),
    { numRuns: 300 },
  );
});

test('FHIR date and dateTime syntax follows R4 (zone required with a time; real calendar days)', () => {
  for (const ok of ['2024', '2024-02', '2024-02-29', '2024-03-01T09:00:00+08:00', '2024-03-01T09:00:00.123Z']) {
    assert.equal(isFhirDateTime(ok), true, ok);
  }
  for (const bad of ['2023-02-29', '2024-13', '2024-03-01T09:00', '2024-03-01T09:00:00', '20240301', '2024-3-1']) {
    assert.equal(isFhirDateTime(bad), false, bad);
  }
  assert.equal(isFhirDate('2024-03-01T09:00:00Z'), false);
  assert.deepEqual(validateResource('x'), { ok: false, path: '', message: 'is not a JSON object' });
});

test('FHIR throughput on a 20,000-entry bundle (diagnostic)', async (t) => {
  const fx = fixtures(t);
  const entries = Array.from({ length: 20_000 }, (_, i) => ({ ...bloodPressure, id: `bp${i}` }));
  const path = fx.file('many.json', bundle(entries, false));
  const started = performance.now();
  let n = 0;
  for await (const item of await openFhir(path)) if (item.kind === 'record') n++;
  const seconds = (performance.now() - started) / 1000;
  assert.equal(n, 20_000);
  t.diagnostic(`fhir bundle: ${n} Observations in ${seconds.toFixed(2)} s = ${Math.round(n / seconds)} resources/s`);
  void ({} as FhirPayload);
});
