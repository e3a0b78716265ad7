import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { isMeridianError } from '../../src/errors/registry.ts';

const base = { MERIDIAN_DATA: '/tmp/m', MERIDIAN_CA_DIR: '/tmp/pki', MERIDIAN_IDENTITY: 'hub' };

function fails(fn: () => unknown, code: string, ...parts: string[]) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isMeridianError(e), String(e));
    assert.equal(e.code, code);
    for (const p of parts) assert.ok(e.message.includes(p), `"${e.message}" should mention ${p}`);
    return true;
  });
}

test('hub defaults apply and environment values are coerced', () => {
  const c = loadConfig({ role: 'hub', env: { ...base, MERIDIAN_HUB_PORT: '9000' } });
  assert.equal(c.hub.port, 9000);
  assert.equal(c.hub.peerPort, 8443);
  assert.equal(c.logLevel, 'info');
});

test('priority: flag over environment over file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'm.json');
  writeFileSync(file, JSON.stringify({ hub: { port: 1111, peerPort: 2222, host: '0.0.0.0' } }));
  const c = loadConfig({
    role: 'hub',
    file,
    env: { ...base, MERIDIAN_HUB_PORT: '3333' },
    overrides: { hub: { peerPort: 4444 } },
  });
  assert.deepEqual([c.hub.port, c.hub.peerPort, c.hub.host], [3333, 4444, '0.0.0.0']);
});

test('an invalid value names the key, the value, its source and what is allowed', () => {
  fails(
    () => loadConfig({ role: 'hub', env: { ...base, MERIDIAN_HUB_PORT: 'eighty' } }),
    'MER_CONFIG_INVALID',
    'hub.port',
    '"eighty"',
    'MERIDIAN_HUB_PORT',
    'integer from 0 to 65535',
  );
  fails(
    () => loadConfig({ role: 'hub', env: { ...base, MERIDIAN_LOG_LEVEL: 'loud' } }),
    'MER_CONFIG_INVALID',
    'logLevel',
    '"loud"',
    'info',
  );
  fails(
    () =>
      loadConfig({
        role: 'node',
        env: { ...base, MERIDIAN_NODE_HUB_URL: 'http://h:1' },
        overrides: { node: { name: 'hospital-a', displayName: 'A' } },
      }),
    'MER_CONFIG_INVALID',
    'node.hubUrl',
    'https://',
  );
  fails(
    () => loadConfig({ role: 'hub', env: { ...base, DATABASE_URL: 'mysql://x' } }),
    'MER_CONFIG_INVALID',
    'databaseUrl',
    'postgres://',
  );
});

test('unknown keys are refused: in the file, and MERIDIAN_* variables', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'm.json');
  writeFileSync(file, JSON.stringify({ hub: { prot: 80 } }));
  fails(() => loadConfig({ role: 'hub', file, env: base }), 'MER_CONFIG_UNKNOWN_KEY', 'hub.prot', file, 'port');
  fails(
    () => loadConfig({ role: 'hub', env: { ...base, MERIDIAN_HUB_PROT: '1' } }),
    'MER_CONFIG_UNKNOWN_KEY',
    'MERIDIAN_HUB_PROT',
  );
  writeFileSync(file, JSON.stringify({ node: { name: 'x' } }));
  fails(() => loadConfig({ role: 'hub', file, env: base }), 'MER_CONFIG_UNKNOWN_KEY', 'node');
});

test('an unreadable or non-JSON file is named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'bad.json');
  writeFileSync(file, '{ "hub": ');
  fails(() => loadConfig({ role: 'hub', file, env: base }), 'MER_CONFIG_FILE_UNREADABLE', file);
  fails(
    () => loadConfig({ role: 'hub', file: join(dir, 'missing.json'), env: base }),
    'MER_CONFIG_FILE_UNREADABLE',
    'missing.json',
  );
});

test('a missing required key says it is missing', () => {
  fails(() => loadConfig({ role: 'hub', env: {} }), 'MER_CONFIG_INVALID', 'dataDir missing', 'pki missing');
});
