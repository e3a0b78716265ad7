import assert from 'node:assert/strict';
import { test } from 'node:test';
import { interpolate, isLang, LANGS, messages } from '../../web/src/i18n/messages.ts';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('every language has exactly the same keys, none empty', () => {
  const en = Object.keys(messages.en).sort();
  for (const lang of LANGS) {
    assert.deepEqual(Object.keys(messages[lang]).sort(), en, lang);
    for (const [key, text] of Object.entries(messages[lang])) assert.ok(text.trim().length > 0, `${lang} ${key}`);
  }
});

test('every translation uses the same placeholders as the English text', () => {
  for (const [key, text] of Object.entries(messages.en)) {
    assert.deepEqual(placeholders(messages['zh-CN'][key as keyof typeof messages.en]), placeholders(text), key);
  }
});

test('the Chinese table is really Chinese where it should be', () => {
  assert.equal(messages['zh-CN']['nav.dashboard'], '数据驾驶舱');
  assert.equal(messages['zh-CN']['nodes.state.up'], '在线');
  assert.equal(messages['zh-CN']['nodes.state.down'], '离线');
  assert.equal(messages.en['nodes.state.up'], 'up');
  assert.equal(messages['zh-CN']['app.title'], 'Meridian 医疗数据共享平台');
  assert.equal(messages.en['app.title'], 'Meridian clinical data sharing');
});

test('interpolate fills placeholders and leaves unknown ones visible', () => {
  assert.equal(interpolate('{n} 秒前', { n: 3 }), '3 秒前');
  assert.equal(interpolate('{n} s ago'), '{n} s ago');
  assert.equal(interpolate('a {x} b {x}', { x: 'y' }), 'a y b y');
});

test('isLang accepts only the portal languages', () => {
  assert.equal(isLang('zh-CN'), true);
  assert.equal(isLang('en'), true);
  assert.equal(isLang('zh'), false);
  assert.equal(isLang(null), false);
});
