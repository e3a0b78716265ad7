import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ageOf, formatBytes, formatInteger, parseTimestamp } from '../../web/src/i18n/format.ts';

test('byte sizes use binary units with at most one decimal', () => {
  assert.equal(formatBytes(0, 'en'), '0 B');
  assert.equal(formatBytes(1023, 'en'), '1,023 B');
  assert.equal(formatBytes(1536, 'en'), '1.5 KB');
  assert.equal(formatBytes(345_678_901, 'en'), '329.7 MB');
  assert.equal(formatBytes(5 * 1024 ** 5 * 1024, 'en'), '5,120 PB');
  assert.equal(formatBytes(-1, 'en'), '—');
  assert.equal(formatBytes(Number.NaN, 'zh-CN'), '—');
});

test('ages fall into the largest fitting unit and never go negative', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  assert.deepEqual(ageOf(now - 3_400, now), { n: 3, unit: 'seconds' });
  assert.deepEqual(ageOf(now + 5_000, now), { n: 0, unit: 'seconds' });
  assert.deepEqual(ageOf(now - 59_999, now), { n: 59, unit: 'seconds' });
  assert.deepEqual(ageOf(now - 60_000, now), { n: 1, unit: 'minutes' });
  assert.deepEqual(ageOf(now - 754_000, now), { n: 12, unit: 'minutes' });
  assert.deepEqual(ageOf(now - 3 * 3_600_000, now), { n: 3, unit: 'hours' });
  assert.deepEqual(ageOf(now - 49 * 3_600_000, now), { n: 2, unit: 'days' });
});

test('integers are grouped and timestamps parse or give null', () => {
  assert.equal(formatInteger(1234567, 'en'), '1,234,567');
  assert.equal(parseTimestamp(null), null);
  assert.equal(parseTimestamp('not a date'), null);
  assert.equal(parseTimestamp('2026-01-01T00:00:00Z'), Date.UTC(2026, 0, 1));
});
