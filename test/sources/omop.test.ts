import assert from 'node:assert/strict';
import { test } from 'node:test';
import { convertOmopValue, OMOP_TABLES, type OmopPayload, omopTableOf, openOmop } from '../../src/sources/omop.ts';
import { collect, fixtures, rejectsWith } from './helpers.ts';

test('OMOP tables are recognized by file name, in any case, with .csv/.tsv/.txt', () => {
  assert.equal(omopTableOf('/data/omop/person.csv'), 'person');
  assert.equal(omopTableOf('VISIT_OCCURRENCE.csv'), 'visit_occurrence');
  assert.equal(omopTableOf('measurement.tsv'), 'measurement');
  assert.equal(omopTableOf('CONCEPT.txt'), 'concept');
  assert.equal(omopTableOf('patients.csv'), undefined);
  assert.equal(omopTableOf('person.xlsx'), undefined);
  for (const t of [
    'person',
    'visit_occurrence',
    'condition_occurrence',
    'drug_exposure',
    'measurement',
    'procedure_occurrence',
    'observation',
    'death',
    'note',
    'concept',
  ]) {
    assert.ok(OMOP_TABLES[t], t);
  }
  assert.deepEqual(OMOP_TABLES.death?.[0], { name: 'person_id', type: 'int', required: true });
});

test('person.csv rows are typed by column; columns in any order and case; absent optional columns are null', async (t) => {
  const fx = fixtures(t);
  const csv = [
    'PERSON_ID,year_of_birth,gender_concept_id,race_concept_id,ethnicity_concept_id,birth_datetime,person_source_value,hospital_extra',
    '1,1980,8507,0,0,1980-01-02 08:30:00,P001,x',
    '9007199254740993,1975,8532,0,0,,P002,',
    '3,1990.0,8507,0,0,1990-05-06T00:00:00Z,P003,y',
  ].join('\n');
  const path = fx.file('person.csv', csv);
  const src = await openOmop(path);
  assert.equal(src.info.table, 'person');
  assert.deepEqual(src.info.extraColumns, ['hospital_extra']);
  const { records, rejects } = await collect<OmopPayload>(src);
  assert.deepEqual(rejects, []);
  assert.deepEqual(records[0]?.fields, {
    person_id: 1,
    gender_concept_id: 8507,
    year_of_birth: 1980,
    month_of_birth: null,
    day_of_birth: null,
    birth_datetime: '1980-01-02T08:30:00',
    race_concept_id: 0,
    ethnicity_concept_id: 0,
    location_id: null,
    provider_id: null,
    care_site_id: null,
    person_source_value: 'P001',
    gender_source_value: null,
    gender_source_concept_id: null,
    race_source_value: null,
    race_source_concept_id: null,
    ethnicity_source_value: null,
    ethnicity_source_concept_id: null,
    hospital_extra: 'x',
  });
  assert.equal(records[1]?.fields.person_id, 9007199254740993n);
  assert.equal(records[2]?.fields.year_of_birth, 1990);
  assert.equal(records[2]?.fields.birth_datetime, '1990-05-06T00:00:00Z');
  assert.deepEqual(records[2]?.position, { kind: 'line', file: path, line: 4 });
});

test('rows with an empty required value, a bad type or an over-long text are rejects with line and column', async (t) => {
  const fx = fixtures(t);
  const csv = [
    'measurement_id,person_id,measurement_concept_id,measurement_date,measurement_type_concept_id,value_as_number,unit_source_value',
    '1,1,3004410,2024-03-01,32817,6.1,mmol/L',
    '2,,3004410,2024-03-01,32817,6.1,mmol/L',
    '3,1,3004410,2024-02-30,32817,abc,mmol/L',
    `4,1,3004410,2024-03-01,32817,1e3,${'单'.repeat(51)}`,
    '5,1,GLU,20240301,32817,,',
  ].join('\r\n');
  const { records, rejects } = await collect(openOmop(fx.file('measurement.csv', csv)));
  assert.deepEqual(
    records.map((r) => [r.fields.measurement_id, r.fields.value_as_number, r.fields.measurement_date]),
    [[1, 6.1, '2024-03-01']],
  );
  assert.deepEqual(
    rejects.map((r) => [r.position.kind === 'line' && r.position.line, r.reason.code, r.reason.message]),
    [
      [3, 'OMOP_REQUIRED', 'line 3: person_id is required'],
      [
        4,
        'OMOP_BAD_TYPE',
        'line 4: measurement_date "2024-02-30" is not a date (YYYY-MM-DD); value_as_number "abc" is not a number',
      ],
      [5, 'OMOP_TOO_LONG', 'line 5: unit_source_value has 51 characters; varchar(50) allows 50'],
      [6, 'OMOP_BAD_TYPE', 'line 6: measurement_concept_id "GLU" is not an integer'],
    ],
  );
});

test('Athena vocabulary files: tab-delimited, upper-case name, YYYYMMDD dates', async (t) => {
  const fx = fixtures(t);
  const tsv =
    'concept_id\tconcept_name\tdomain_id\tvocabulary_id\tconcept_class_id\tstandard_concept\tconcept_code\tvalid_start_date\tvalid_end_date\tinvalid_reason\n' +
    '201826\tType 2 diabetes mellitus\tCondition\tSNOMED\tClinical Finding\tS\t44054006\t19700101\t20991231\t\n';
  const { records } = await collect(openOmop(fx.file('CONCEPT.csv', tsv)));
  assert.deepEqual(
    records.map((r) => [r.fields.concept_id, r.fields.valid_start_date, r.fields.invalid_reason]),
    [[201826, '1970-01-01', null]],
  );
});

test('file-level failures: unknown table name, missing required columns, empty file', async (t) => {
  const fx = fixtures(t);
  await rejectsWith(
    openOmop(fx.file('patients.csv', 'a\n1\n')),
    'MER_SOURCE_OMOP_TABLE',
    /not an OMOP CDM v5\.4 table/,
  );
  await rejectsWith(
    openOmop(fx.file('death.csv', 'person_id,cause_source_value\n1,x\n')),
    'MER_SOURCE_OMOP_TABLE',
    /death\.csv \(OMOP table death\) lacks required column\(s\): death_date/,
  );
  await rejectsWith(openOmop(fx.file('person.csv', '')), 'MER_SOURCE_EMPTY');
  const forced = await openOmop(fx.file('export_1.csv', 'person_id,death_date\n1,2024-01-01\n'), { table: 'death' });
  assert.equal(forced.info.table, 'death');
  await forced.close();
});

test('value conversion edge cases', () => {
  const col = (type: 'int' | 'float' | 'date' | 'datetime', required = false) => ({ name: 'c', type, required });
  assert.deepEqual(convertOmopValue(' 42 ', col('int')), { value: 42 });
  assert.deepEqual(convertOmopValue('-7', col('int')), { value: -7 });
  assert.equal('code' in convertOmopValue('4.5', col('int')), true);
  assert.deepEqual(convertOmopValue('.5', col('float')), { value: 0.5 });
  assert.equal('code' in convertOmopValue('Infinity', col('float')), true);
  assert.deepEqual(convertOmopValue('2024-03-01', col('datetime')), { value: '2024-03-01T00:00:00' });
  assert.equal('code' in convertOmopValue('2024-03-01 25:00:00', col('datetime')), true);
  assert.deepEqual(convertOmopValue('', col('date', true)), { code: 'OMOP_REQUIRED', why: 'c is required' });
});
