import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PRIVACY_PREVIEW_ROLES } from '../../src/hub/privacy/routes.ts';
import { DWD_TABLES } from '../../src/model/dwd.ts';
import { PREVIEW_K_DEFAULT, PREVIEW_K_MAX, PREVIEW_SAMPLE_MAX } from '../../src/privacy/index.ts';
import type { PrivacyPreview } from '../../web/src/api-types.ts';
import {
  cellText,
  classLabel,
  DEID_K_DEFAULT,
  DEID_K_MAX,
  DEID_K_MIN,
  DEID_PAGE_ROLES,
  DEID_SAMPLE_ROWS,
  DEID_TABLES,
  meetsTarget,
  previewPath,
  releasedColumns,
  ruleCounts,
  ruleKind,
  ruleSteps,
  smallestClassRows,
  suppressionPct,
} from '../../web/src/deid/deid-helpers.ts';

test('the page’s roles, tables and bounds are the hub’s and the model’s', () => {
  assert.deepEqual([...DEID_PAGE_ROLES].sort(), [...PRIVACY_PREVIEW_ROLES].sort());
  assert.deepEqual([...DEID_TABLES], Object.keys(DWD_TABLES));
  assert.equal(DEID_K_DEFAULT, PREVIEW_K_DEFAULT);
  assert.equal(DEID_K_MAX, PREVIEW_K_MAX);
  assert.equal(DEID_K_MIN, 2);
  assert.ok(DEID_SAMPLE_ROWS <= PREVIEW_SAMPLE_MAX);
});

test('rule kinds and generalization steps', () => {
  assert.equal(ruleKind('keep'), 'keep');
  assert.equal(ruleKind('drop'), 'drop');
  assert.equal(ruleKind({ generalize: 'year' }), 'generalize');
  assert.equal(ruleKind([{ generalize: 'region', digits: 2 }]), 'generalize');
  assert.deepEqual(ruleSteps('scrub'), []);
  assert.deepEqual(ruleSteps({ generalize: 'year' }), [{ generalize: 'year' }]);
  assert.deepEqual(
    ruleSteps([
      { generalize: 'region', digits: 2 },
      { generalize: 'rare', min: 40, other: '其他' },
    ]),
    [
      { generalize: 'region', digits: 2 },
      { generalize: 'rare', min: 40, other: '其他' },
    ],
  );
});

const field = (column: string, rule: PrivacyPreview['fields'][number]['rule'], quasiIdentifier = false) => ({
  column,
  table: 'person' as const,
  field: column,
  type: 'VARCHAR',
  level: 3,
  zh: column,
  en: column,
  rule,
  quasiIdentifier,
});

const PREVIEW: PrivacyPreview = {
  table: 'person',
  unit: 'person',
  total: 41,
  examined: 41,
  truncated: false,
  fields: [
    field('person_id', 'pseudonymize'),
    field('name', 'drop'),
    field('birth_date', { generalize: 'year' }, true),
    field('gender', 'keep', true),
  ],
  quasiIdentifiers: ['birth_date', 'gender'],
  sample: [],
  k: {
    target: 5,
    achieved: 1,
    classes: 3,
    smallest: [
      { values: { birth_date: 1931, gender: 'F' }, size: 1 },
      { values: { birth_date: null, gender: 'M' }, size: 20 },
    ],
    belowBySize: [{ size: 1, classes: 1, records: 1 }],
  },
  suppression: { rows: 1, classes: 1, remaining: 40, kAfter: 20 },
  shiftDaysMax: 180,
  referenceDate: '2026-05-01',
};

test('figures, chart rows and the request path of a preview', () => {
  assert.deepEqual(releasedColumns(PREVIEW), ['person_id', 'birth_date', 'gender']);
  assert.deepEqual(ruleCounts(PREVIEW.fields), {
    keep: 1,
    drop: 1,
    pseudonymize: 1,
    shift: 0,
    scrub: 0,
    generalize: 1,
  });
  assert.deepEqual(smallestClassRows(PREVIEW), [
    { label: '1931 · F', size: 1, below: true },
    { label: '∅ · M', size: 20, below: false },
  ]);
  assert.equal(classLabel({ a: true, b: 'x' }, ['b', 'a', 'c']), 'x · true · ∅');
  assert.equal(cellText(0), '0');
  assert.equal(suppressionPct(PREVIEW)?.toFixed(2), '2.44');
  assert.equal(suppressionPct({ ...PREVIEW, examined: 0 }), null);
  assert.equal(meetsTarget(PREVIEW), false);
  assert.equal(meetsTarget({ ...PREVIEW, k: { ...PREVIEW.k, achieved: 5 } }), true);
  assert.equal(meetsTarget({ ...PREVIEW, examined: 0, k: { ...PREVIEW.k, achieved: 0, target: 2 } }), false);
  assert.equal(
    previewPath('hospital-a', { table: 'person', k: 5, sample: 20 }),
    '/api/privacy/hospital-a/preview?table=person&k=5&sample=20',
  );
  assert.equal(
    previewPath('hospital a', { table: 'note', k: 10, quasiIdentifiers: ['person.gender', 'note_type'], sample: 0 }),
    '/api/privacy/hospital%20a/preview?table=note&k=10&sample=0&qi=person.gender%2Cnote_type',
  );
});
