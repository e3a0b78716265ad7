import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PG_TYPES, parseArray, parseInt8 } from '../../src/store/pg-types.ts';

test('int8 is a number while exact, a bigint beyond', () => {
  assert.equal(parseInt8('9007199254740991'), 9007199254740991);
  assert.equal(parseInt8('-9007199254740991'), -9007199254740991);
  assert.equal(parseInt8('9007199254740992'), 9007199254740992n);
  assert.equal(parseInt8('-9223372036854775808'), -9223372036854775808n);
});

test('array literals: quoting, escapes, NULL, nesting, bounds, empty', () => {
  const id = (s: string) => s;
  assert.deepEqual(parseArray('{}', id), []);
  assert.deepEqual(parseArray('{1,NULL,3}', id), ['1', null, '3']);
  assert.deepEqual(parseArray('{"a b","c\\"d","e\\\\f","NULL"}', id), ['a b', 'c"d', 'e\\f', 'NULL']);
  assert.deepEqual(parseArray('{{1,2},{3,4}}', Number), [
    [1, 2],
    [3, 4],
  ]);
  assert.deepEqual(parseArray('[0:1]={7,8}', Number), [7, 8]);
  assert.throws(() => parseArray('{1,2', id), /Malformed array literal/);
  assert.throws(() => parseArray('{"open', id), /Malformed array literal/);
});

test('node-postgres gets the same parsers as PGlite, and its own for everything else', () => {
  assert.equal(PG_TYPES.getTypeParser(20)('12'), 12);
  assert.deepEqual(PG_TYPES.getTypeParser(1016)('{1,9007199254740993}'), [1, 9007199254740993n]);
  assert.equal(PG_TYPES.getTypeParser(1082)('2026-03-01'), '2026-03-01');
  assert.deepEqual(PG_TYPES.getTypeParser(1114)('2026-03-01 08:30:00.5'), new Date('2026-03-01T08:30:00.500Z'));
  assert.deepEqual(PG_TYPES.getTypeParser(1184)('2026-03-01 08:30:00+05:30'), new Date('2026-03-01T03:00:00Z'));
  assert.equal(PG_TYPES.getTypeParser(1184)('infinity'), 'infinity');
  assert.equal(PG_TYPES.getTypeParser(23)('5'), 5);
  assert.equal(PG_TYPES.getTypeParser(1700)('1.50'), '1.50');
});
