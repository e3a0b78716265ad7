import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { UnmappedRow } from '../../web/src/api-types.ts';
import { formatPercent } from '../../web/src/i18n/format.ts';
import {
  CODE_EDIT_ENTRIES_MAX,
  codeEdits,
  countsDescending,
  durationMs,
  isPlausibleCode,
  rejectRate,
  splitDuration,
  statusColor,
  unmappedKey,
} from '../../web/src/ingest/ingest-helpers.ts';

function row(spec: string, codeMap: string, code: string, source = 'his'): UnmappedRow {
  return { source, spec, codeMap, code, count: 1, files: 1, suggestions: [] };
}

test('code edits group the chosen codes per spec and code map, trimmed, blanks left out', () => {
  const rows = [row('lab', 'lab', 'CREA'), row('lab', 'lab', 'ALT'), row('drug', 'atc', 'Y1'), row('lab', 'flag', 'X')];
  const chosen = new Map([
    [unmappedKey(rows[0] as UnmappedRow), ' 14682-9 '],
    [unmappedKey(rows[1] as UnmappedRow), '1742-6'],
    [unmappedKey(rows[2] as UnmappedRow), 'A10BA02'],
    [unmappedKey(rows[3] as UnmappedRow), '   '],
  ]);
  assert.deepEqual(codeEdits(rows, chosen), [
    { spec: 'drug', codeMap: 'atc', entries: [{ code: 'Y1', to: 'A10BA02' }] },
    {
      spec: 'lab',
      codeMap: 'lab',
      entries: [
        { code: 'CREA', to: '14682-9' },
        { code: 'ALT', to: '1742-6' },
      ],
    },
  ]);
  assert.deepEqual(codeEdits(rows, new Map()), []);
});

test('the same code seen under two sources is sent once; large edits are split at the node limit', () => {
  const twice = [row('lab', 'lab', 'K', 'his'), row('lab', 'lab', 'K', 'lis')];
  const chosen = new Map(twice.map((r) => [unmappedKey(r), '2823-3']));
  assert.deepEqual(codeEdits(twice, chosen), [{ spec: 'lab', codeMap: 'lab', entries: [{ code: 'K', to: '2823-3' }] }]);
  const many = Array.from({ length: CODE_EDIT_ENTRIES_MAX + 5 }, (_, i) => row('lab', 'lab', `C${i}`));
  const edits = codeEdits(many, new Map(many.map((r) => [unmappedKey(r), 'X-1'])));
  assert.deepEqual(
    edits.map((e) => e.entries.length),
    [CODE_EDIT_ENTRIES_MAX, 5],
  );
});

test('reject rates, counts, durations and status colours', () => {
  assert.equal(rejectRate(47, 9524), 47 / 9524);
  assert.equal(rejectRate(5, 0), 0);
  assert.equal(rejectRate(0, 10), 0);
  assert.equal(rejectRate(20, 10), 1);
  assert.deepEqual(countsDescending({ MAP_UNIT: 3, MAP_CODE: 12, MAP_RANGE: 3, NONE: 0 }), [
    { key: 'MAP_CODE', count: 12 },
    { key: 'MAP_RANGE', count: 3 },
    { key: 'MAP_UNIT', count: 3 },
  ]);
  assert.equal(durationMs('2026-01-01T00:00:00Z', '2026-01-01T00:01:23Z'), 83_000);
  assert.equal(durationMs('2026-01-01T00:00:00Z', null), null);
  assert.equal(durationMs('2026-01-01T00:00:10Z', '2026-01-01T00:00:00Z'), null);
  assert.equal(durationMs('garbage', '2026-01-01T00:00:00Z'), null);
  assert.deepEqual(splitDuration(400), { s: 0 });
  assert.deepEqual(splitDuration(83_000), { m: 1, s: 23 });
  assert.deepEqual(splitDuration(3_723_000), { h: 1, m: 2, s: 3 });
  assert.equal(statusColor('completed'), 'success');
  assert.equal(statusColor('running'), 'processing');
  assert.equal(statusColor('failed'), 'error');
  assert.equal(statusColor('unchanged'), 'default');
});

test('a typed standard code must look like one', () => {
  for (const ok of ['2345-7', 'A10BA02', ' 14682-9 ', 'SNOMED:44054006']) assert.ok(isPlausibleCode(ok), ok);
  for (const bad of ['', '   ', 'two words', 'a;b', 'x'.repeat(101)]) assert.ok(!isPlausibleCode(bad), bad);
});

test('percentages keep one decimal and never show a non-zero share as 0', () => {
  assert.equal(formatPercent(0.1234, 'en'), '12.3%');
  assert.equal(formatPercent(0, 'en'), '0%');
  assert.equal(formatPercent(0.00004, 'en'), '<0.1%');
  assert.equal(formatPercent(Number.NaN, 'zh-CN'), '—');
  assert.equal(formatPercent(0.5, 'zh-CN'), '50%');
});
