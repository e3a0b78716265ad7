import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DWD_TABLES, type DwdTable, LINEAGE_FIELDS, lakeColumns, tableLevel } from '../../src/model/dwd.ts';
import { LAKE_NAME } from '../../src/store/index.ts';

test('every canonical table and field has a lake-safe name, a type, a level and both languages', () => {
  for (const [table, def] of Object.entries(DWD_TABLES)) {
    assert.match(table, LAKE_NAME);
    assert.ok(def.zh && def.en, table);
    for (const [name, f] of Object.entries({ ...def.fields, ...LINEAGE_FIELDS })) {
      assert.match(name, LAKE_NAME, `${table}.${name}`);
      assert.ok(f.level >= 1 && f.level <= 5, `${table}.${name}`);
      assert.ok(f.zh.length > 0 && f.en.length > 0, `${table}.${name}`);
    }
  }
});

test('every row carries lineage, and identifying fields are level 4 or above', () => {
  for (const table of Object.keys(DWD_TABLES) as DwdTable[]) {
    const cols = lakeColumns(table);
    for (const lineage of ['source_sha256', 'source_position', 'mapping_version', 'load_id'])
      assert.ok(lineage in cols, `${table} lacks ${lineage}`);
  }
  for (const f of ['id_number', 'name', 'phone', 'local_patient_id'] as const)
    assert.ok(DWD_TABLES.person.fields[f].level >= 4, f);
  assert.equal(tableLevel('person'), 4);
  assert.equal(tableLevel('death'), 3);
});
