import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderErrorsMarkdown } from '../../src/errors/docs.ts';
import { ERROR_REGISTRY, MeridianError } from '../../src/errors/registry.ts';

test('docs/errors.md lists exactly the registry (run npm run docs:errors after a change)', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  assert.equal(doc, renderErrorsMarkdown());
});

test('every code is MER_<AREA>_<WHAT> with a 4xx/5xx status and a title', () => {
  for (const [code, e] of Object.entries(ERROR_REGISTRY)) {
    assert.match(code, /^MER_[A-Z]+(_[A-Z0-9]+)*$/, code);
    assert.ok(e.status >= 400 && e.status < 600, code);
    assert.ok(e.title.length > 10, code);
  }
});

test('every code used in src is registered', () => {
  const used = new Set<string>();
  const out = execFileSync('grep', ['-rhoE', "'MER_[A-Z0-9_]+'", 'src'], { encoding: 'utf8' });
  for (const m of out.matchAll(/'(MER_[A-Z0-9_]+)'/g)) used.add(m[1] as string);
  for (const code of used) assert.ok(code in ERROR_REGISTRY, `${code} is used in src but not registered`);
});

test('MeridianError carries the registry status and a body without a stack', () => {
  const e = new MeridianError('MER_AUTH_FORBIDDEN', 'no', { role: 'x' });
  assert.equal(e.status, 403);
  assert.deepEqual(e.toBody(), { error: { code: 'MER_AUTH_FORBIDDEN', message: 'no', details: { role: 'x' } } });
});
