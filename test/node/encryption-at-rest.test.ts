/**
 * Encryption at rest on a real node's stores: the first start creates the keys and every identifier lands in
 * the lake as ciphertext (nothing in any Parquet file reads as the clear value); afterwards a missing, loose,
 * replaced or keyring-less key stops the node before it can write anything.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { defaultKekFile } from '../../src/node/keys.ts';
import { openNodeStores } from '../../src/node/stores.ts';

const root = mkdtempSync(join(tmpdir(), 'node-keys-'));
after(() => rmSync(root, { recursive: true, force: true }));
const dataDir = join(root, 'data');

const SPEC = {
  id: 'register',
  version: 1,
  target: 'person',
  fields: {
    person_id: { from: 'key' },
    local_patient_id: { from: 'pid' },
    id_number: { from: 'idno' },
    name: { from: 'name' },
    phone: { from: 'phone' },
    gender: { from: 'sex', as: 'sex' },
  },
};
const CLEAR = ['110101195001011239', '欧阳晓明', '13912345678', 'HOSP-00017'];

function parquetBytes(dir: string): Buffer {
  const chunks: Buffer[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.parquet')) chunks.push(readFileSync(join(d, e.name)));
    }
  };
  walk(dir);
  return Buffer.concat(chunks);
}

async function assertRefused(code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(openNodeStores({ dataDir, databaseUrl: undefined }), (e: { code?: string; message: string }) => {
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

test('first start makes the keys; identifiers are ciphertext in the lake and open only with the keyring', async () => {
  mkdirSync(join(root, 'export'), { recursive: true });
  writeFileSync(
    join(root, 'export', 'register.csv'),
    `key,pid,idno,name,phone,sex\nK1,${CLEAR[3]},${CLEAR[0]},${CLEAR[1]},${CLEAR[2]},男\n`,
  );
  const stores = await openNodeStores({ dataDir, databaseUrl: undefined });
  try {
    assert.equal(statSync(defaultKekFile(dataDir)).mode & 0o777, 0o600);
    await stores.ingest.installMappings(
      { profile: { source: 'his', rules: [{ match: '*.csv', specs: ['register'] }] }, specs: [SPEC] },
      'test',
    );
    const summary = await stores.ingest.ingest({ path: join(root, 'export') });
    assert.equal(summary.totals.rowsLoaded, 1);
    const [row] = await stores.lake.query<Record<string, unknown>>('select * from person');
    assert.ok(row);
    for (const f of ['id_number', 'name', 'phone', 'local_patient_id']) assert.match(String(row[f]), /^mer1\./);
    assert.equal(row.id_number_check, 'ok');
    const open = stores.crypto.decryptRow('person', row);
    assert.deepEqual([open.id_number, open.name, open.phone, open.local_patient_id], CLEAR);
  } finally {
    await stores.close();
  }
  const bytes = parquetBytes(join(dataDir, 'lake'));
  for (const v of CLEAR) assert.ok(!bytes.includes(Buffer.from(v)), `no Parquet file holds ${v} in the clear`);
});

test('a missing, loose or replaced key, or a lost keyring, stops the node before it writes', async () => {
  const kek = defaultKekFile(dataDir);
  const saved = join(root, 'kek.saved');
  renameSync(kek, saved);
  await assertRefused('MER_KEY_MISSING', /does not exist/);

  writeFileSync(kek, randomBytes(32), { mode: 0o600 });
  await assertRefused('MER_KEY_WRONG', /key-encryption key/);

  renameSync(saved, kek);
  chmodSync(kek, 0o644);
  await assertRefused('MER_KEY_PERMISSIONS', /chmod 600/);
  chmodSync(kek, 0o600);

  const ring = join(dataDir, 'keys', 'keyring.json');
  renameSync(ring, `${ring}.away`);
  await assertRefused('MER_KEY_MISSING', /lake holds data/);
  renameSync(`${ring}.away`, ring);

  const stores = await openNodeStores({ dataDir, databaseUrl: undefined });
  await stores.close();
});
