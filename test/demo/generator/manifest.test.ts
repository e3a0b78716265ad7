/**
 * The manifest against the files: every file listed with its true size and hash, the blood-pressure
 * spellings, the cross-hospital links and overlap (verified through the identifiers in the files), the
 * planted effects (covariates and outcomes found where the manifest says), and the ground truth.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BP_SPELLINGS, IDENTITY_VARIANTS, MANIFEST_SCHEMA } from '../../../src/demo/generator/index.ts';
import {
  fhirResources,
  fixture,
  hl7Field,
  hl7Messages,
  hospital,
  listFiles,
  normalizeId,
  parseAnyDate,
  readTable,
  seg,
  sum,
} from './helpers.ts';

interface Identity {
  name: string;
  id: string;
  phone: string;
}

test('every file on disk is in the manifest with its true size and SHA-256', async () => {
  const { dir, manifest } = await fixture();
  assert.equal(manifest.schema, MANIFEST_SCHEMA);
  const listed = new Map(
    [...manifest.hospitals.flatMap((h) => h.files), ...manifest.groundTruth, ...manifest.reference].map((f) => [
      f.path,
      f,
    ]),
  );
  const onDisk = listFiles(dir).filter((f) => f !== 'manifest.json');
  const dicom = onDisk.filter((f) => f.startsWith('hospital-c/dicom/'));
  for (const f of onDisk.filter((x) => !x.startsWith('hospital-c/dicom/'))) {
    const entry = listed.get(f);
    assert.ok(entry, `${f} is listed`);
    const bytes = readFileSync(join(dir, f));
    assert.equal(bytes.length, entry.bytes, f);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), entry.sha256, f);
  }
  const dicomEntry = listed.get('hospital-c/dicom/');
  assert.ok(dicomEntry);
  assert.equal(dicom.length, dicomEntry.files);
  assert.equal(listed.size, onDisk.length - dicom.length + 1);
  assert.equal(manifest.totals.files, onDisk.length);
  assert.equal(
    manifest.totals.bytes,
    [...listed.values()].reduce((s, f) => s + f.bytes, 0),
  );
  assert.ok(!JSON.stringify(manifest).includes(dir), 'the manifest never names the output directory');
});

test('at least 12 distinct blood-pressure spellings are present across the hospitals', async () => {
  const { manifest } = await fixture();
  const present = manifest.hospitals.flatMap((h) =>
    Object.entries(h.bloodPressure)
      .filter(([, n]) => n > 0)
      .map(([id]) => id),
  );
  assert.ok(new Set(present).size >= 12, `${present.length}: ${present.join(', ')}`);
  assert.deepEqual(new Set(present), new Set(BP_SPELLINGS.map((b) => b.id)));
  assert.equal(manifest.catalogues.bloodPressureSpellings.length, BP_SPELLINGS.length);
});

function identities(dir: string): Map<string, Identity> {
  const out = new Map<string, Identity>();
  for (const r of readTable(join(dir, 'hospital-a', 'his_patient.csv'), 'gbk').rows) {
    out.set(`hospital-a/${r.患者ID}`, {
      name: r.姓名 as string,
      id: r.身份证号 as string,
      phone: r.联系电话 as string,
    });
  }
  for (const m of hl7Messages(join(dir, 'hospital-b', 'adt.hl7'), 'newline')) {
    const pid = seg(m.segments, 'PID');
    const ids = hl7Field(pid, 3).split('~');
    const name = hl7Field(pid, 5).split('^');
    out.set(`hospital-b/${(ids[0] as string).split('^')[0]}`, {
      name: `${name[0]}${name[1] ?? ''}`,
      id: ids.find((x) => x.endsWith('NNCHN'))?.split('^')[0] ?? '',
      phone: hl7Field(pid, 13).split('^')[0] ?? '',
    });
  }
  for (const { resource: p } of fhirResources(dir).resources.filter((r) => r.resource.resourceType === 'Patient')) {
    const ids = p.identifier as { type: { coding: { code: string }[] }; value: string }[];
    const mrn = ids.find((i) => i.type.coding[0]?.code === 'MR')?.value;
    out.set(`hospital-c/${mrn}`, {
      name: (p.name as { text: string }[])[0]?.text ?? '',
      id: ids.find((i) => i.type.coding[0]?.code === 'NI')?.value ?? '',
      phone: (p.telecom as { value: string }[] | undefined)?.[0]?.value ?? '',
    });
  }
  return out;
}

test('about 10% of persons are seen at two or more hospitals; links hold true in the files', async () => {
  const { dir, manifest } = await fixture();
  const pop = manifest.population;
  assert.ok(pop.overlapRate > 0.08 && pop.overlapRate < 0.12, String(pop.overlapRate));
  const cross = manifest.links.filter((l) => l.crossHospital);
  assert.equal(cross.length, pop.sharedPersons);
  assert.equal((pop.personsByHospitalCount['2'] ?? 0) + (pop.personsByHospitalCount['3'] ?? 0), pop.sharedPersons);
  const ids = identities(dir);
  const variantCounts: Record<string, number> = {};
  for (const link of manifest.links) {
    const home = link.records.find((r) => r.home);
    const homeId = home ? ids.get(`${home.hospital}/${home.patientId}`) : undefined;
    const normalized = new Set<string>();
    for (const r of link.records) {
      const who = ids.get(`${r.hospital}/${r.patientId}`);
      assert.ok(who, `${r.hospital}/${r.patientId} exists`);
      if (who.id !== '') normalized.add(normalizeId(who.id));
      for (const v of r.variants) variantCounts[`${r.hospital}:${v}`] = (variantCounts[`${r.hospital}:${v}`] ?? 0) + 1;
      if (r.variants.includes('fullwidth_digits_id')) assert.match(who.id, /[\uff10-\uff19]/);
      if (r.variants.includes('old_15_digit_id')) assert.equal(who.id.length, 15);
      if (r.variants.includes('lowercase_x_id')) assert.ok(who.id.endsWith('x'));
      if (r.variants.includes('name_whitespace')) assert.match(who.name, /[\s\u3000]/);
      if (!homeId || r === home) continue;
      if (r.variants.includes('name_homophone')) {
        assert.notEqual(who.name.trim(), homeId.name);
        assert.equal([...who.name.trim()].length, [...homeId.name].length);
      }
      if (r.variants.includes('phone_swapped_digits') && homeId.phone !== '') {
        const diff = [...who.phone].flatMap((c, i) => (c === homeId.phone[i] ? [] : [i]));
        assert.equal(diff.length, 2);
        assert.equal((diff[1] as number) - (diff[0] as number), 1);
      }
      if (r.variants.length === 0 && !r.nearDuplicate && who.id !== '' && homeId.id !== '')
        assert.equal(who.id, homeId.id);
      if (!r.variants.some((v) => v.startsWith('name_')) && !r.nearDuplicate) assert.equal(who.name, homeId.name);
    }
    assert.ok(normalized.size <= 1, `one person, one ID number: ${[...normalized].join(' ')}`);
  }
  for (const h of manifest.hospitals) {
    for (const v of IDENTITY_VARIANTS)
      assert.equal(variantCounts[`${h.name}:${v}`] ?? 0, h.identityVariants[v], `${h.name} ${v}`);
  }
  // Linking by the normalized ID number alone already finds roughly the planted overlap.
  const hospitalsById = new Map<string, Set<string>>();
  for (const [key, who] of ids) {
    if (who.id === '') continue;
    const id = normalizeId(who.id);
    const s = hospitalsById.get(id) ?? new Set<string>();
    s.add(key.split('/')[0] as string);
    hospitalsById.set(id, s);
  }
  const multi = [...hospitalsById.values()].filter((s) => s.size > 1).length;
  const rate = multi / hospitalsById.size;
  assert.ok(rate > 0.07 && rate < 0.12, String(rate));
});

test('the diabetic-complication effect is observable at the home hospitals exactly as the manifest defines it', async () => {
  const { dir, manifest } = await fixture();
  const truth = readTable(join(dir, 'ground-truth', 'persons.csv'), 'utf-8').rows;
  const diabetics = truth.filter((r) => r.home === '1' && r.diabetes === '1');
  const effect = manifest.effects.diabeticComplication;
  assert.equal(diabetics.length, effect.sample.n);
  assert.equal(diabetics.filter((r) => r.complication_code !== '').length, effect.sample.events);
  assert.ok(effect.sampleFit?.converged);
  assert.deepEqual(effect.truth.coefficients, { hba1cPercent: 0.45, ageYears: 0.04, bmiKgM2: 0.08 });

  // Hospital A: first HbA1c, BMI and complication codes per patient.
  const a = readTable(join(dir, 'hospital-a', 'lis_result.csv'), 'gb18030').rows;
  const firstA1c = new Map<string, { date: string; value: string }>();
  for (const r of a.filter((x) => x.检验项目代码 === 'HBA1C')) {
    const date = parseAnyDate(r.报告时间 as string) as string;
    const prev = firstA1c.get(r.患者ID as string);
    if (!prev || date < prev.date) firstA1c.set(r.患者ID as string, { date, value: r.结果 as string });
  }
  const bmiA = new Map<string, Set<string>>();
  for (const r of readTable(join(dir, 'hospital-a', 'his_vital_sign.csv'), 'gbk').rows.filter(
    (x) => x.项目名称 === '体重指数',
  )) {
    bmiA.set(r.患者ID as string, (bmiA.get(r.患者ID as string) ?? new Set()).add(r.测量值 as string));
  }
  const complicatedA = new Set(
    readTable(join(dir, 'hospital-a', 'his_diagnosis.csv'), 'gbk')
      .rows.filter((r) => /^E11\.[234]/.test(r.诊断编码 as string))
      .map((r) => r.患者ID),
  );
  // Hospital B: first OBX 1045 and BMI OBX 39156-5; complication codes in diagnoses.csv.
  const firstB = new Map<string, { date: string; value: string }>();
  for (const m of hl7Messages(join(dir, 'hospital-b', 'oru_lab.hl7'), 'newline')) {
    const mrn = hl7Field(seg(m.segments, 'PID'), 3).split('^')[0] as string;
    for (const obx of m.segments.filter((s) => s.startsWith('OBX|') && hl7Field(s, 3).startsWith('1045^'))) {
      const date = hl7Field(obx, 14);
      const prev = firstB.get(mrn);
      if (!prev || date < prev.date) firstB.set(mrn, { date, value: hl7Field(obx, 5) });
    }
  }
  const complicatedB = new Set(
    readTable(join(dir, 'hospital-b', 'diagnoses.csv'), 'utf-8')
      .rows.filter((r) => /^E11\.[234]/.test(r.DxCode as string))
      .map((r) => r.PatientID),
  );
  // Hospital C: first LAB0102 (IFCC mmol/mol) per patient MRN.
  const resources = fhirResources(dir).resources.map((r) => r.resource);
  const mrnOf = new Map(
    resources
      .filter((r) => r.resourceType === 'Patient')
      .map((p) => [`Patient/${p.id}`, (p.identifier as { value: string }[])[0]?.value as string]),
  );
  const firstC = new Map<string, { date: string; value: number }>();
  const complicatedC = new Set<string>();
  for (const r of resources) {
    const subject = mrnOf.get((r.subject as { reference: string } | undefined)?.reference ?? '') ?? '';
    const coding = (r.code as { coding?: { code: string }[] } | undefined)?.coding ?? [];
    if (r.resourceType === 'Observation' && coding.some((c) => c.code === 'LAB0102')) {
      const date = r.effectiveDateTime as string;
      const prev = firstC.get(subject);
      if (!prev || date < prev.date) firstC.set(subject, { date, value: (r.valueQuantity as { value: number }).value });
    }
    if (r.resourceType === 'Condition' && coding.some((c) => /^E11\.[234]/.test(c.code))) complicatedC.add(subject);
  }

  for (const p of diabetics) {
    const hba1c = p.hba1c_index_percent as string;
    const id = p.patient_id as string;
    const complicated = p.complication_code !== '';
    if (p.hospital === 'hospital-a') {
      assert.equal(firstA1c.get(id)?.value, hba1c, id);
      assert.equal(firstA1c.get(id)?.date, p.diabetes_index_date);
      assert.deepEqual([...(bmiA.get(id) ?? [])], [p.bmi]);
      assert.equal(complicatedA.has(id), complicated, id);
    } else if (p.hospital === 'hospital-b') {
      assert.equal(firstB.get(id)?.value, hba1c, id);
      assert.equal(firstB.get(id)?.date.slice(0, 8), (p.diabetes_index_date as string).replaceAll('-', ''));
      assert.equal(complicatedB.has(id), complicated, id);
    } else {
      const ifcc = firstC.get(id);
      assert.ok(ifcc, id);
      assert.equal((Math.round((ifcc.value / 10.929 + 2.15) * 10) / 10).toFixed(1), hba1c, `${id} ${ifcc.value}`);
      assert.equal(ifcc.date.slice(0, 10), p.diabetes_index_date);
      assert.equal(complicatedC.has(id), complicated, id);
    }
  }
});

test('the lung-cancer survival effect: origin, deaths and last contacts are in the home hospitals’ files', async () => {
  const { dir, manifest } = await fixture();
  const truth = readTable(join(dir, 'ground-truth', 'persons.csv'), 'utf-8').rows;
  const cases = truth.filter((r) => r.home === '1' && r.lung_cancer_dx_date !== '');
  const effect = manifest.effects.lungCancerSurvival;
  assert.equal(cases.length, effect.sample.n);
  assert.equal(cases.filter((r) => r.survival_event === '1').length, effect.sample.deaths);
  const patientsA = new Map(
    readTable(join(dir, 'hospital-a', 'his_patient.csv'), 'gbk').rows.map((r) => [r.患者ID, r]),
  );
  const visitsA = readTable(join(dir, 'hospital-a', 'his_visit.csv'), 'gbk').rows;
  const dxA = readTable(join(dir, 'hospital-a', 'his_diagnosis.csv'), 'gbk').rows;
  const deathsB = new Map<string, string>();
  for (const m of hl7Messages(join(dir, 'hospital-b', 'adt.hl7'), 'newline')) {
    const pid = seg(m.segments, 'PID');
    if (hl7Field(pid, 30) === 'Y') deathsB.set(hl7Field(pid, 3).split('^')[0] as string, hl7Field(pid, 29).slice(0, 8));
  }
  const deathsC = new Map<string, string>();
  for (const { resource: p } of fhirResources(dir).resources.filter((r) => r.resource.resourceType === 'Patient')) {
    if (p.deceasedDateTime)
      deathsC.set(
        (p.identifier as { value: string }[])[0]?.value as string,
        (p.deceasedDateTime as string).slice(0, 10),
      );
  }
  for (const c of cases) {
    const id = c.patient_id as string;
    const died = c.survival_event === '1';
    if (c.hospital === 'hospital-a') {
      const death = patientsA.get(id)?.死亡日期 ?? '';
      assert.equal(death === '' ? '' : parseAnyDate(death), died ? c.death_date : '');
      const c34 = dxA
        .filter((r) => r.患者ID === id && (r.诊断编码 as string).startsWith('C34'))
        .map((r) => parseAnyDate(r.诊断日期 as string) as string);
      assert.equal(c34.sort()[0], c.lung_cancer_dx_date);
      const last = visitsA
        .filter((r) => r.患者ID === id)
        .map((r) => parseAnyDate(r.入院日期 as string) as string)
        .sort()
        .pop();
      if (!died) assert.equal(last, c.last_follow_up_date, id);
    } else if (c.hospital === 'hospital-b') {
      assert.equal(deathsB.get(id) ?? '', died ? (c.death_date as string).replaceAll('-', '') : '');
    } else {
      assert.equal(deathsC.get(id) ?? '', died ? c.death_date : '');
    }
  }
});

test('ground truth: one row per local patient, and the totals add up', async () => {
  const { dir, manifest } = await fixture();
  const truth = readTable(join(dir, 'ground-truth', 'persons.csv'), 'utf-8').rows;
  assert.equal(truth.length, manifest.options.patientsPerHospital * manifest.options.hospitals);
  const persons = new Set(truth.map((r) => r.person_id));
  assert.equal(persons.size, manifest.population.uniquePersons);
  assert.equal(truth.filter((r) => r.home === '1').length, manifest.population.uniquePersons);
  for (const h of manifest.hospitals) {
    assert.equal(h.localPatients, manifest.options.patientsPerHospital);
    assert.ok(sum(h.problems.impossible) > 0, `${h.name} has impossible values`);
    assert.ok(sum(h.problems.missing) > 0, `${h.name} has missing values`);
    assert.ok(sum(h.problems.unitErrors) > 0, `${h.name} has unit errors`);
    assert.ok(sum(h.problems.duplicates.exact) + sum(h.problems.duplicates.near) > 0, `${h.name} has duplicates`);
  }
  assert.equal(hospital(manifest, 'hospital-a').style, 'his-csv-excel');
});
