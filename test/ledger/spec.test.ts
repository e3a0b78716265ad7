import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { test } from 'node:test';

const SRC = new URL('../../src/ledger/', import.meta.url);
const TESTS = new URL('./', import.meta.url);

test('I16: the ledger core files read no clock, draws no randomness and does no I/O', async () => {
  const files = [
    'batch.ts',
    'block.ts',
    'canonical-json.ts',
    'hash.ts',
    'index.ts',
    'merkle.ts',
    'receipt.ts',
    'signing.ts',
    'transaction.ts',
    'validator-set.ts',
    'verification.ts',
  ];
  const forbidden = [
    /Date\.now|new Date\(|performance\.now|process\.hrtime/,
    /Math\.random|randomBytes|randomUUID|getRandomValues|generateKeyPair/,
    /from 'node:(fs|fs\/promises|net|http|https|tls|dgram|child_process|worker_threads)'/,
    /\bfetch\(|process\.env|setTimeout|setInterval/,
  ];
  for (const f of files) {
    const text = await readFile(new URL(f, SRC), 'utf8');
    for (const pattern of forbidden) assert.doesNotMatch(text, pattern, `${f} must stay pure`);
  }
});

test('every SPEC.md invariant is named by a test, and every named invariant exists', async () => {
  const spec = await readFile(new URL('SPEC.md', SRC), 'utf8');
  const defined = new Set([...spec.matchAll(/\*\*(I\d+)\*\*/g)].map((m) => m[1] as string));
  const named = new Set<string>();
  for (const f of (await readdir(TESTS)).filter((x) => x.endsWith('.test.ts'))) {
    const text = await readFile(new URL(f, TESTS), 'utf8');
    for (const m of text.matchAll(/test\('((?:I\d+(?:, )?)+):/g))
      for (const id of (m[1] as string).split(', ')) named.add(id);
  }
  assert.deepEqual(
    [...defined].filter((id) => !named.has(id)),
    [],
    'invariants without a test',
  );
  assert.deepEqual(
    [...named].filter((id) => !defined.has(id)),
    [],
    'tests naming unknown invariants',
  );
});
