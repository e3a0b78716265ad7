/**
 * Classification-based access: each role's ceiling, L5 only under an explicit grant and only for roles that
 * reach record level, and projection of DWD rows (fields above the ceiling removed, special-category rows
 * withheld as a whole unless granted).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROLES } from '../../src/hub/auth/roles.ts';
import { canSee, icd10SpecialCategory, projectRow, projectRows } from '../../src/privacy/index.ts';

const PERSON = {
  person_id: 'p1',
  name: '张伟',
  id_number: '110101199003071234',
  phone: '13812345678',
  gender: 'M',
  birth_date: '1990-03-07',
  region_code: '110101',
  source_position: 'his_patient.csv:2',
  shoe_size: 42,
};

test('role ceilings: clinicians and stewards L4, researchers L3, the others L2; L5 needs a grant', () => {
  assert.ok(canSee('clinician', 4) && !canSee('clinician', 5));
  assert.ok(canSee('clinician', 5, { granted: true }));
  assert.ok(canSee('steward', 4));
  assert.ok(canSee('researcher', 3) && !canSee('researcher', 4));
  assert.ok(canSee('researcher', 5, { granted: true }), 'an approved study may see L5 at record level');
  for (const role of ['admin', 'auditor', 'ethics', 'manager'] as const) {
    assert.ok(canSee(role, 2) && !canSee(role, 3), role);
    assert.ok(!canSee(role, 5, { granted: true }), `${role}: a grant cannot lift an aggregate-only role to L5`);
  }
  for (const role of ROLES) assert.ok(!canSee(role, 5), `${role}: never L5 without a grant`);
});

test('projecting a person row: what each role sees', () => {
  assert.deepEqual(Object.keys(projectRow({ table: 'person', row: PERSON, role: 'clinician' }) ?? {}).sort(), [
    'birth_date',
    'gender',
    'id_number',
    'name',
    'person_id',
    'phone',
    'region_code',
    'source_position',
  ]);
  assert.deepEqual(Object.keys(projectRow({ table: 'person', row: PERSON, role: 'researcher' }) ?? {}).sort(), [
    'birth_date',
    'gender',
    'person_id',
    'region_code',
    'source_position',
  ]);
  assert.deepEqual(Object.keys(projectRow({ table: 'person', row: PERSON, role: 'auditor' }) ?? {}).sort(), [
    'gender',
    'source_position',
  ]);
});

test('special-category rows (HIV, psychiatry, reproduction, genetics) are L5 as a whole', () => {
  assert.equal(icd10SpecialCategory('B20.000'), 'hiv');
  assert.equal(icd10SpecialCategory('F32.900'), 'psychiatric');
  assert.equal(icd10SpecialCategory('F03.x00'), null, 'dementia is not psychiatric here');
  assert.equal(icd10SpecialCategory('O04.900'), 'reproductive');
  assert.equal(icd10SpecialCategory('E11.900'), null);
  const rows = [
    { person_id: 'p1', condition_code: 'E11.900', condition_date: '2024-01-02' },
    { person_id: 'p1', condition_code: 'B20.000', condition_date: '2024-02-03' },
  ];
  assert.deepEqual(
    projectRows({ table: 'condition_occurrence', rows, role: 'clinician' }).map((r) => r.condition_code),
    ['E11.900'],
  );
  const granted = new Set(['category:hiv']);
  assert.equal(projectRows({ table: 'condition_occurrence', rows, role: 'clinician', grants: granted }).length, 2);
  assert.equal(projectRows({ table: 'condition_occurrence', rows, role: 'manager', grants: granted }).length, 0);
  const apoe = { person_id: 'p1', observation_code: 'APOE', value_text: 'ε3/ε4', observed_on: '2024-01-02' };
  assert.equal(projectRow({ table: 'observation', row: apoe, role: 'researcher' }), null);
});
