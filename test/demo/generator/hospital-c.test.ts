/** Hospital C (FHIR R4 + DICOM): resource validity, bundles, DICOM headers, and planted counts read back. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import dicomParser from 'dicom-parser';
import iconv from 'iconv-lite';
import { isValidIdNumber, parseIdNumber } from '../../../src/demo/generator/index.ts';
import {
  fhirResources,
  fixture,
  hospital,
  listFiles,
  manifestRows,
  normalizeId,
  type ReadResource,
} from './helpers.ts';

const C = 'hospital-c';
type Json = Record<string, unknown>;

const REQUIRED: Record<string, string[]> = {
  Patient: ['identifier', 'name', 'gender'],
  Encounter: ['status', 'class', 'subject', 'period'],
  Condition: ['code', 'subject', 'clinicalStatus', 'verificationStatus'],
  Observation: ['status', 'code', 'subject', 'effectiveDateTime'],
  MedicationRequest: ['status', 'intent', 'medicationCodeableConcept', 'subject'],
  Procedure: ['status', 'code', 'subject', 'performedDateTime'],
  DiagnosticReport: ['status', 'code', 'subject', 'conclusion'],
  DocumentReference: ['status', 'content', 'subject', 'type'],
};

function codes(r: Json): string[] {
  const code = r.code as { coding?: { code: string }[] } | undefined;
  return (code?.coding ?? []).map((c) => c.code);
}

test('every resource has the right resourceType, an id and its required fields; references resolve', async () => {
  const { dir, manifest } = await fixture();
  const { resources, bundles } = fhirResources(dir);
  const ids = new Set(resources.map((r) => `${r.resource.resourceType}/${r.resource.id}`));
  for (const { resource, file } of resources) {
    if (file.includes('/ndjson/')) assert.equal(`${resource.resourceType}.ndjson`, file.split('/').pop());
    assert.match(resource.id, /^[0-9a-f-]{36}$/);
    for (const field of REQUIRED[resource.resourceType] ?? ['missing type'])
      assert.ok(field in resource, `${resource.resourceType}.${field}`);
    for (const key of ['subject', 'encounter']) {
      const ref = (resource[key] as { reference?: string } | undefined)?.reference;
      if (ref) assert.ok(ids.has(ref), `${resource.resourceType}.${key} → ${ref}`);
    }
  }
  for (const b of bundles) {
    assert.equal(b.resourceType, 'Bundle');
    assert.equal(b.type, 'transaction');
    for (const e of b.entry as {
      fullUrl: string;
      resource: ReadResource['resource'];
      request: { method: string; url: string };
    }[]) {
      assert.equal(e.fullUrl, `urn:uuid:${e.resource.id}`);
      assert.deepEqual(e.request, { method: 'PUT', url: `${e.resource.resourceType}/${e.resource.id}` });
    }
  }
  for (const f of hospital(manifest, C).files.filter((x) => x.format === 'ndjson' || x.format === 'fhir-bundle')) {
    const rows: Record<string, number> = {};
    for (const r of resources.filter((x) => x.file === f.path))
      rows[r.resource.resourceType] = (rows[r.resource.resourceType] ?? 0) + 1;
    if (f.format === 'fhir-bundle') rows.entry = resources.filter((x) => x.file === f.path).length;
    assert.deepEqual(
      Object.fromEntries(Object.entries(rows).sort()),
      Object.fromEntries(Object.entries(f.rows).sort()),
      f.path,
    );
  }
});

test('patients: valid ID numbers consistent with birthDate and gender; planted gaps and ages counted', async () => {
  const { dir, manifest } = await fixture();
  const h = hospital(manifest, C);
  const patients = fhirResources(dir)
    .resources.filter((r) => r.resource.resourceType === 'Patient')
    .map((r) => r.resource);
  assert.equal(patients.length, h.localPatients + h.nearDuplicateRegistrations);
  let noId = 0;
  let noBirth = 0;
  let noPhone = 0;
  let ancient = 0;
  for (const p of patients) {
    const identifiers = p.identifier as { system: string; value: string; type: { coding: { code: string }[] } }[];
    assert.ok(identifiers.some((i) => i.type.coding[0]?.code === 'MR' && /^C\d{9}$/.test(i.value)));
    const national = identifiers.find((i) => i.type.coding[0]?.code === 'NI');
    const birth = p.birthDate as string | undefined;
    if (birth === undefined) noBirth++;
    else if (Number(birth.slice(0, 4)) < 1875) ancient++;
    if (p.telecom === undefined) noPhone++;
    if (!national) {
      noId++;
      continue;
    }
    const id = normalizeId(national.value);
    assert.ok(isValidIdNumber(id), national.value);
    assert.equal(parseIdNumber(id)?.sex === 'M' ? 'male' : 'female', p.gender);
    if (birth && Number(birth.slice(0, 4)) >= 1875) assert.equal(birth.replaceAll('-', ''), id.slice(6, 14));
  }
  assert.equal(noId, h.problems.missing['Patient.identifier:resident-id'] ?? 0);
  assert.equal(noBirth, h.problems.missing['Patient.birthDate'] ?? 0);
  assert.equal(noPhone, h.problems.missing['Patient.telecom'] ?? 0);
  assert.equal(ancient, h.problems.impossible.age_over_150);
});

test('observations: LOINC + local codes, IFCC HbA1c; planted problems and duplicates equal the manifest', async () => {
  const { dir, manifest } = await fixture();
  const h = hospital(manifest, C);
  const all = fhirResources(dir).resources;
  const births = new Map(
    all
      .filter((r) => r.resource.resourceType === 'Patient')
      .map((r) => [`Patient/${r.resource.id}`, r.resource.birthDate as string | undefined]),
  );
  const labs = all.filter(
    (r) => r.resource.resourceType === 'Observation' && JSON.stringify(r.resource.category).includes('laboratory'),
  );
  const lines = new Map<string, number>();
  for (const r of labs) if (r.line) lines.set(r.line, (lines.get(r.line) ?? 0) + 1);
  const exact = [...lines.values()].reduce((s, n) => s + n - 1, 0);
  assert.equal(exact, h.problems.duplicates.exact['fhir/ndjson/Observation.ndjson'] ?? 0);
  const bodies = new Map<string, number>();
  const distinct = [...new Map(labs.map((r) => [JSON.stringify(r.resource), r])).values()];
  for (const r of distinct) {
    const { id: _id, ...rest } = r.resource;
    const k = JSON.stringify(rest);
    bodies.set(k, (bodies.get(k) ?? 0) + 1);
  }
  assert.equal(
    [...bodies.values()].reduce((s, n) => s + n - 1, 0),
    h.problems.duplicates.near.Observation ?? 0,
  );
  let negative = 0;
  let wrongUnit = 0;
  let noUnit = 0;
  let beforeBirth = 0;
  for (const r of distinct) {
    const o = r.resource;
    const c = codes(o);
    assert.equal(c.length, 2, 'LOINC and local code');
    const q = o.valueQuantity as { value: number; unit?: string; code?: string };
    if (q.unit === undefined) noUnit++;
    if (c.includes('LAB0101')) {
      assert.equal(c[0], '14749-6');
      if (q.value < 0) negative++;
      else if (q.value > 40) wrongUnit++;
    }
    if (c.includes('LAB0102') && q.unit) assert.equal(q.unit, 'mmol/mol');
    const birth = births.get((o.subject as { reference: string }).reference);
    if (birth && (o.effectiveDateTime as string).slice(0, 10) < birth) beforeBirth++;
  }
  assert.equal(negative, h.problems.impossible.negative_glucose);
  assert.equal(wrongUnit, h.problems.unitErrors.glucose_mgdl_labelled_mmoll ?? 0);
  assert.equal(noUnit, h.problems.missing['Observation.valueQuantity.unit'] ?? 0);
  assert.equal(beforeBirth, h.problems.impossible.lab_before_birth);
  const conditionsWithoutCoding = all.filter(
    (r) => r.resource.resourceType === 'Condition' && !('coding' in (r.resource.code as Json)),
  );
  assert.equal(conditionsWithoutCoding.length, h.problems.missing['Condition.code.coding'] ?? 0);
  const reversed = all.filter((r) => {
    const p = r.resource.period as { start: string; end?: string } | undefined;
    return r.resource.resourceType === 'Encounter' && p?.end !== undefined && p.end < p.start;
  });
  assert.equal(reversed.length, h.problems.impossible.discharge_before_admission);
});

test('blood pressure: 85354-9 panels, 8480-6/8462-4 pairs, a local text code, and two note phrases', async () => {
  const { dir, manifest } = await fixture();
  const h = hospital(manifest, C);
  const all = fhirResources(dir).resources.map((r) => r.resource);
  const counts: Record<string, number> = {};
  const bump = (k: string, n = 1): void => {
    if (n > 0) counts[k] = (counts[k] ?? 0) + n;
  };
  let sbp900 = 0;
  for (const o of all.filter((r) => r.resourceType === 'Observation')) {
    const c = codes(o);
    if (c.includes('85354-9')) {
      bump('c-fhir-panel');
      const comps = o.component as {
        code: { coding: { code: string }[] };
        valueQuantity: { value: number; code: string };
      }[];
      assert.deepEqual(
        comps.map((x) => x.code.coding[0]?.code),
        ['8480-6', '8462-4'],
      );
      assert.equal(comps[0]?.valueQuantity.code, 'mm[Hg]');
      if (comps[0]?.valueQuantity.value === 900) sbp900++;
    } else if (c.includes('8480-6')) {
      bump('c-fhir-separate');
      if ((o.valueQuantity as { value: number }).value === 900) sbp900++;
    } else if (c.includes('XY001')) {
      bump('c-fhir-local-text');
      assert.match(o.valueString as string, /^\d+\/\d+ mmHg$/);
      if ((o.valueString as string).startsWith('900/')) sbp900++;
    }
  }
  const notes = all
    .filter((r) => r.resourceType === 'DocumentReference')
    .map((r) =>
      Buffer.from(
        ((r.content as { attachment: { data: string } }[])[0] as { attachment: { data: string } }).attachment.data,
        'base64',
      ).toString('utf8'),
    );
  bump('c-note-bp', notes.filter((t) => /BP \d+\/\d+mmHg/.test(t)).length);
  bump('c-note-shousuo-shuzhang', notes.filter((t) => /收缩压\d+ 舒张压\d+/.test(t)).length);
  assert.deepEqual(counts, h.bloodPressure);
  assert.equal(sbp900, h.problems.impossible.sbp_900);
  assert.equal(notes.length, h.notes.total);
  assert.equal(notes.filter((t) => t.includes('MMSE')).length, h.notes.mentioningMmse);
  assert.equal(notes.filter((t) => t.includes('APOE')).length, h.notes.mentioningApoe);
  assert.equal(notes.filter((t) => t.includes('吸烟')).length, h.notes.mentioningSmoking);
});

test('every DICOM file parses with dicom-parser and carries the expected header tags', async () => {
  const { dir, manifest } = await fixture();
  const files = listFiles(join(dir, C, 'dicom'));
  const entry = hospital(manifest, C).files.find((f) => f.format === 'dicom');
  assert.ok(entry);
  assert.equal(files.length, entry.files);
  const reports = fhirResources(dir).resources.filter((r) => r.resource.resourceType === 'DiagnosticReport');
  const accessions = new Set(reports.map((r) => (r.resource.identifier as { value: string }[])[0]?.value));
  const studies = new Map<string, string>();
  const series = new Set<string>();
  const modalities: Record<string, number> = {};
  let gb18030 = 0;
  for (const f of files) {
    const bytes = readFileSync(join(dir, C, 'dicom', f));
    assert.equal(bytes.subarray(128, 132).toString('latin1'), 'DICM');
    const ds = dicomParser.parseDicom(bytes);
    assert.equal(ds.string('x00020010'), '1.2.840.10008.1.2.1');
    assert.equal(ds.string('x00020003'), ds.string('x00080018'));
    for (const tag of [
      'x00100010',
      'x00100020',
      'x00100030',
      'x00100040',
      'x0020000d',
      'x0020000e',
      'x00080018',
      'x00080060',
      'x00080020',
      'x00081030',
      'x00180015',
      'x00080050',
      'x00080080',
    ]) {
      assert.ok((ds.elements[tag]?.length ?? 0) > 0, `${f} ${tag}`);
    }
    const charset = ds.string('x00080005');
    assert.ok(charset === 'ISO_IR 192' || charset === 'GB18030', charset);
    const nameEl = ds.elements.x00100010 as { dataOffset: number; length: number };
    const raw = Buffer.from(bytes.subarray(nameEl.dataOffset, nameEl.dataOffset + nameEl.length));
    const name = charset === 'GB18030' ? iconv.decode(raw, 'gb18030') : raw.toString('utf8');
    if (charset === 'GB18030') gb18030++;
    assert.match(name.trim(), /[\u4e00-\u9fff]/u);
    assert.match(ds.string('x00100020') ?? '', /^C\d{9}$/);
    const accession = ds.string('x00080050') as string;
    assert.ok(accessions.has(accession), `report for ${accession}`);
    const study = ds.string('x0020000d') as string;
    assert.match(study, /^2\.25\.\d+$/);
    assert.ok(study.length <= 64);
    if (studies.has(accession)) assert.equal(studies.get(accession), study);
    studies.set(accession, study);
    series.add(ds.string('x0020000e') as string);
    const modality = ds.string('x00080060') as string;
    modalities[modality] = (modalities[modality] ?? 0) + 1;
  }
  assert.ok(gb18030 > 0 && gb18030 < files.length, 'both character sets occur');
  const rows = manifestRows(manifest, `${C}/dicom/`);
  assert.equal(studies.size, rows.study);
  assert.equal(series.size, rows.series);
  assert.equal(files.length, rows.instance);
  for (const [m, n] of Object.entries(modalities)) assert.equal(rows[m], n, m);
  assert.ok(['CT', 'MR', 'DX'].every((m) => (modalities[m] ?? 0) > 0));
});
