/** Hospital B (HL7 v2.5 + CSV): message structure, framing, PID identifiers and planted counts read back. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { isValidIdNumber, parseIdNumber } from '../../../src/demo/generator/index.ts';
import {
  type Fixture,
  fixture,
  hl7Field,
  hl7Messages,
  hospital,
  manifestRows,
  normalizeId,
  readTable,
  seg,
} from './helpers.ts';

const B = 'hospital-b';
type Msg = { text: string; segments: string[] };

function messages(f: Fixture, file: string, framing: 'newline' | 'mllp'): Msg[] {
  return hl7Messages(join(f.dir, B, file), framing);
}

function hl7Day(ts: string): string {
  return `${ts.slice(0, 4)}-${ts.slice(4, 6)}-${ts.slice(6, 8)}`;
}

test('every message has MSH first, parses into named segments, and the counts match the manifest', async () => {
  const f = await fixture();
  for (const [file, framing] of [
    ['adt.hl7', 'newline'],
    ['oru_lab.hl7', 'newline'],
    ['oru_vitals.hl7', 'mllp'],
  ] as const) {
    const msgs = messages(f, file, framing);
    const expected = manifestRows(f.manifest, `${B}/${file}`);
    assert.equal(msgs.length, expected.message, file);
    const counts: Record<string, number> = { message: msgs.length };
    for (const m of msgs) {
      assert.ok(m.segments[0]?.startsWith('MSH|^~\\&|'), `${file}: ${m.segments[0]?.slice(0, 20)}`);
      assert.ok(
        m.segments.every((s) => /^[A-Z][A-Z0-9]{2}(\||$)/.test(s)),
        file,
      );
      const msh = m.segments[0] as string;
      assert.equal(hl7Field(msh, 12), '2.5');
      assert.equal(hl7Field(msh, 18), 'UNICODE UTF-8');
      const type = hl7Field(msh, 9).split('^').slice(0, 2).join('^');
      counts[type] = (counts[type] ?? 0) + 1;
      for (const s of m.segments) {
        const name = s.slice(0, 3);
        if (name === 'OBX' || name === 'OBR' || name === 'DG1') counts[name] = (counts[name] ?? 0) + 1;
      }
      if (type.startsWith('ADT')) assert.equal(m.segments[1]?.slice(0, 3), 'EVN');
    }
    assert.deepEqual(counts, expected, file);
  }
  const adt = messages(f, 'adt.hl7', 'newline');
  assert.ok(adt.some((m) => hl7Field(m.segments[0] as string, 9).startsWith('ADT^A01')));
  assert.ok(adt.some((m) => hl7Field(m.segments[0] as string, 9).startsWith('ADT^A03')));
});

test('PID-3 carries the MRN and the 身份证号 with identifier type NNCHN; checksums, birth dates and sex agree', async () => {
  const f = await fixture();
  const h = hospital(f.manifest, B);
  const patients = new Map<string, string>();
  for (const file of ['adt.hl7', 'oru_lab.hl7'] as const) {
    for (const m of messages(f, file, 'newline'))
      patients.set(hl7Field(seg(m.segments, 'PID'), 3).split('~')[0] as string, seg(m.segments, 'PID'));
  }
  assert.equal(patients.size, h.localPatients);
  let noId = 0;
  let noBirth = 0;
  let ancient = 0;
  let noPhone = 0;
  for (const pid of patients.values()) {
    const ids = hl7Field(pid, 3).split('~');
    assert.match(ids[0] as string, /^M\d{8}\^\^\^JNUH\^MR$/);
    const national = ids.find((x) => x.endsWith('^NNCHN'));
    const birth = hl7Field(pid, 7);
    if (birth === '') noBirth++;
    else if (Number(birth.slice(0, 4)) < 1875) ancient++;
    if (hl7Field(pid, 13) === '') noPhone++;
    if (!national) {
      noId++;
      continue;
    }
    const id = normalizeId(national.split('^')[0] as string);
    assert.ok(isValidIdNumber(id), national);
    const parsed = parseIdNumber(id);
    assert.equal(parsed?.sex, hl7Field(pid, 8));
    if (birth !== '' && Number(birth.slice(0, 4)) >= 1875) assert.equal(id.slice(6, 14), birth);
  }
  assert.equal(noId, h.problems.missing['PID-3:NNCHN'] ?? 0);
  assert.equal(noBirth, h.problems.missing['PID-7'] ?? 0);
  assert.equal(noPhone, h.problems.missing['PID-13'] ?? 0);
  assert.equal(ancient, h.problems.impossible.age_over_150);
});

test('lab results: local codes and mg/dL units; planted problems and duplicates equal the manifest', async () => {
  const f = await fixture();
  const h = hospital(f.manifest, B);
  const msgs = messages(f, 'oru_lab.hl7', 'newline');
  const seen = new Map<string, number>();
  const content = new Map<string, number>();
  for (const m of msgs) {
    seen.set(m.text, (seen.get(m.text) ?? 0) + 1);
    const body = m.segments.slice(1).join('\r');
    content.set(body, (content.get(body) ?? 0) + 1);
  }
  const exact = [...seen.values()].reduce((s, n) => s + n - 1, 0);
  const sameContent = [...content.values()].reduce((s, n) => s + n - 1, 0);
  assert.equal(exact, h.problems.duplicates.exact['oru_lab.hl7'] ?? 0);
  assert.equal(sameContent - exact, h.problems.duplicates.near['oru_lab.hl7'] ?? 0);

  const unique = [...seen.keys()].map((text) => msgs.find((m) => m.text === text) as Msg);
  const bodies = new Set<string>();
  let negative = 0;
  let wrongUnit = 0;
  let noUnit = 0;
  let noValue = 0;
  let beforeBirth = 0;
  for (const m of unique) {
    const body = m.segments.slice(1).join('\r');
    if (bodies.has(body)) continue;
    bodies.add(body);
    const birth = hl7Field(seg(m.segments, 'PID'), 7);
    for (const obx of m.segments.filter((s) => s.startsWith('OBX|'))) {
      const code = hl7Field(obx, 3).split('^')[0];
      const value = hl7Field(obx, 5);
      if (code === '1023' && value !== '') {
        assert.equal(hl7Field(obx, 6) === '' || hl7Field(obx, 6) === 'mg/dL', true);
        if (Number(value) < 0) negative++;
        else if (Number(value) < 35) wrongUnit++;
      }
      if (hl7Field(obx, 6) === '') noUnit++;
      if (value === '') noValue++;
      if (birth !== '' && hl7Day(hl7Field(obx, 14)) < hl7Day(birth)) beforeBirth++;
      assert.match(hl7Field(obx, 8), /^(H|L|N|)$/);
    }
  }
  assert.equal(negative, h.problems.impossible.negative_glucose);
  assert.equal(wrongUnit, h.problems.unitErrors.glucose_mmoll_labelled_mgdl ?? 0);
  assert.equal(noUnit, h.problems.missing['oru_lab.hl7:OBX-6'] ?? 0);
  assert.equal(noValue, h.problems.missing['oru_lab.hl7:OBX-5'] ?? 0);
  assert.equal(beforeBirth, h.problems.impossible.lab_before_birth);
});

test('ADT: duplicates, discharge before admission, deaths, and DG1 diagnoses', async () => {
  const f = await fixture();
  const h = hospital(f.manifest, B);
  const msgs = messages(f, 'adt.hl7', 'newline');
  const texts = new Map<string, number>();
  const bodies = new Map<string, number>();
  for (const m of msgs) {
    texts.set(m.text, (texts.get(m.text) ?? 0) + 1);
    const body = m.segments.slice(1).join('\r');
    bodies.set(body, (bodies.get(body) ?? 0) + 1);
  }
  const exact = [...texts.values()].reduce((s, n) => s + n - 1, 0);
  assert.equal(exact, h.problems.duplicates.exact['adt.hl7'] ?? 0);
  assert.equal([...bodies.values()].reduce((s, n) => s + n - 1, 0) - exact, h.problems.duplicates.near['adt.hl7'] ?? 0);
  const reversed = new Set<string>();
  let deaths = 0;
  for (const m of msgs) {
    const pv1 = seg(m.segments, 'PV1');
    const type = hl7Field(m.segments[0] as string, 9);
    if (type.startsWith('ADT^A03')) {
      if (hl7Field(pv1, 45) < hl7Field(pv1, 44)) reversed.add(hl7Field(pv1, 19));
      if (hl7Field(seg(m.segments, 'PID'), 30) === 'Y') {
        assert.equal(hl7Field(pv1, 36), '20');
        deaths++;
      }
    }
    for (const dg1 of m.segments.filter((s) => s.startsWith('DG1|')))
      assert.match(hl7Field(dg1, 3), /^[A-Z]\d{2}\.[\dx]\d{2}\^[^^]+\^ICD10CN$/);
  }
  assert.equal(reversed.size, h.problems.impossible.discharge_before_admission);
  assert.ok(deaths >= (f.manifest.effects.lungCancerSurvival.sample.byHospital[B]?.deaths ?? 0));
});

test('vital signs: MLLP framed, three blood-pressure spellings, BMI and smoking status', async () => {
  const f = await fixture();
  const h = hospital(f.manifest, B);
  const counts: Record<string, number> = {};
  let sbp900 = 0;
  let smoking = 0;
  for (const m of messages(f, 'oru_vitals.hl7', 'mllp')) {
    const obx = m.segments.filter((s) => s.startsWith('OBX|'));
    const codes = obx.map((s) => hl7Field(s, 3).split('^')[0]);
    const value = (code: string): string => hl7Field(obx[codes.indexOf(code)] as string, 5);
    if (codes.includes('8480-6')) {
      assert.ok(codes.includes('8462-4'));
      counts['b-obx-loinc-pair'] = (counts['b-obx-loinc-pair'] ?? 0) + 1;
      if (value('8480-6') === '900') sbp900++;
    } else if (codes.includes('XY')) {
      assert.match(value('XY'), /^\d+\/\d+$/);
      counts['b-obx-local-text'] = (counts['b-obx-local-text'] ?? 0) + 1;
      if (value('XY').startsWith('900/')) sbp900++;
    } else {
      assert.ok(codes.includes('SSY') && codes.includes('SZY'));
      counts['b-obx-local-pair'] = (counts['b-obx-local-pair'] ?? 0) + 1;
      if (value('SSY') === '900') sbp900++;
    }
    if (codes.includes('39156-5')) assert.match(value('39156-5'), /^\d+\.\d$/);
    if (codes.includes('72166-2')) {
      smoking++;
      assert.match(value('72166-2'), /^(449868002|8517006|266919005)\^/);
    }
  }
  assert.deepEqual(counts, h.bloodPressure);
  assert.equal(sbp900, h.problems.impossible.sbp_900);
  assert.ok(smoking > 0);
});

test('the diagnosis, drug and procedure CSVs have the manifest rows and planted gaps', async () => {
  const f = await fixture();
  const h = hospital(f.manifest, B);
  const dx = readTable(join(f.dir, B, 'diagnoses.csv'), 'utf-8');
  assert.equal(dx.rows.length, manifestRows(f.manifest, `${B}/diagnoses.csv`).diagnosis);
  assert.equal(dx.rows.filter((r) => r.DxCode === '').length, h.problems.missing['diagnoses.csv:DxCode'] ?? 0);
  const drugs = readTable(join(f.dir, B, 'drugs.csv'), 'utf-8');
  assert.equal(drugs.rows.length, manifestRows(f.manifest, `${B}/drugs.csv`).drug);
  assert.equal(drugs.rows.filter((r) => r.Dose === '').length, h.problems.missing['drugs.csv:Dose'] ?? 0);
  const procs = readTable(join(f.dir, B, 'procedures.csv'), 'utf-8');
  assert.equal(procs.rows.length, manifestRows(f.manifest, `${B}/procedures.csv`).procedure);
  assert.ok(procs.rows.every((r) => /^\d{2}\.\d{4}$/.test(r.ProcCode as string)));
});
