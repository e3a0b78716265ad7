/**
 * Encryption at rest: round trip of DWD rows, tampering and field-moving detected, a wrong / missing key or a
 * loose key file refused with a clear MeridianError before anything is decrypted, plaintext never accepted
 * where a ciphertext belongs, and rotation — of the KEK and of the data key — without rewriting data: rows
 * written to a real lake before rotation still decrypt after it, and the Parquet files are byte-identical.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isMeridianError } from '../../src/errors/registry.ts';
import { lakeColumns } from '../../src/model/dwd.ts';
import {
  ENCRYPTED_FIELDS,
  FieldCrypto,
  KEYRING_FILE,
  LocalKeyFileProvider,
  parseCiphertext,
} from '../../src/privacy/index.ts';
import { openLake } from '../../src/store/index.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'field-crypto-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function fresh(): Promise<{ dir: string; keyFile: string; crypto: FieldCrypto }> {
  const dir = tempDir();
  const keyFile = join(dir, 'kek.key');
  const crypto = await FieldCrypto.create({ dir: join(dir, 'keys'), provider: LocalKeyFileProvider.create(keyFile) });
  return { dir, keyFile, crypto };
}

const PERSON = {
  person_id: '0002000001',
  patient_token: null,
  local_patient_id: '0002000001',
  id_number: '310104195601041825',
  name: '郭蕾',
  phone: null,
  gender: 'F',
  birth_date: '1956-01-04',
  year_of_birth: 1956,
  region_code: '310104',
  source_sha256: 'ab'.repeat(32),
  source_position: 'his_patient.csv:2',
  mapping_version: 'hospital-a-person@1',
  load_id: 'L1',
};

test('identifying and L4–L5 fields are the encrypted ones', () => {
  assert.deepEqual([...ENCRYPTED_FIELDS.person].sort(), ['id_number', 'local_patient_id', 'name', 'phone']);
  assert.deepEqual(ENCRYPTED_FIELDS.note, ['note_text']);
  assert.deepEqual(ENCRYPTED_FIELDS.visit_occurrence, []);
});

test('round trip: encryptRow hides every encrypted field, decryptRow restores the row', async () => {
  const { crypto } = await fresh();
  const enc = crypto.encryptRow('person', PERSON);
  for (const f of ['local_patient_id', 'id_number', 'name'])
    assert.ok(parseCiphertext(enc[f] as string)?.keyId === crypto.activeKeyId, `${f} is a ciphertext`);
  assert.equal(enc.phone, null, 'null stays null');
  assert.equal(enc.gender, 'F');
  assert.ok(!JSON.stringify(enc).includes('郭蕾') && !JSON.stringify(enc).includes('310104195601041825'));
  assert.notEqual(crypto.encrypt('person', 'name', '郭蕾'), crypto.encrypt('person', 'name', '郭蕾'), 'fresh nonce');
  assert.deepEqual(crypto.decryptRow('person', enc), PERSON);
  assert.equal(crypto.decrypt('note', 'note_text', crypto.encrypt('note', 'note_text', '')), '');
});

test('tampering, moving a ciphertext to another field, or plaintext where a ciphertext belongs: refused', async () => {
  const { crypto } = await fresh();
  const c = crypto.encrypt('person', 'name', '郭蕾');
  const parts = c.split('.');
  const body = Buffer.from(parts[3] as string, 'base64url');
  body[0] = (body[0] as number) ^ 1;
  const tampered = [...parts.slice(0, 3), body.toString('base64url'), parts[4]].join('.');
  assert.throws(
    () => crypto.decrypt('person', 'name', tampered),
    (e) => isMeridianError(e, 'MER_PRIVACY_DECRYPT_FAILED'),
  );
  assert.throws(
    () => crypto.decrypt('person', 'phone', c),
    (e) => isMeridianError(e, 'MER_PRIVACY_DECRYPT_FAILED'),
  );
  assert.throws(
    () => crypto.decrypt('note', 'name', c),
    (e) => isMeridianError(e, 'MER_PRIVACY_DECRYPT_FAILED'),
  );
  assert.throws(
    () => crypto.decryptRow('person', { ...PERSON }),
    (e) => isMeridianError(e, 'MER_PRIVACY_NOT_ENCRYPTED') && !e.message.includes('郭蕾'),
  );
  const other = await fresh();
  assert.throws(
    () => other.crypto.decrypt('person', 'name', c),
    (e) => isMeridianError(e, 'MER_KEY_UNKNOWN'),
  );
});

test('a wrong key-encryption key refuses to open the keyring (key-check value), naming both key ids', async () => {
  const { dir } = await fresh();
  const wrong = LocalKeyFileProvider.create(join(tempDir(), 'other.key'));
  await assert.rejects(
    FieldCrypto.open({ dir: join(dir, 'keys'), provider: wrong }),
    (e) => isMeridianError(e, 'MER_KEY_WRONG') && e.message.includes(wrong.kekId),
  );
  // A provider claiming the right id but holding another key fails on the key-check value itself.
  const impostor = {
    kekId: JSON.parse(readFileSync(join(dir, 'keys', KEYRING_FILE), 'utf8')).kekId,
    wrap: wrong.wrap.bind(wrong),
    unwrap: wrong.unwrap.bind(wrong),
  };
  await assert.rejects(FieldCrypto.open({ dir: join(dir, 'keys'), provider: impostor }), (e) =>
    isMeridianError(e, 'MER_KEY_WRONG'),
  );
});

test('a missing key file or keyring, a loose or wrong-length key file: refused with a clear error', async () => {
  const { dir, keyFile } = await fresh();
  assert.throws(
    () => LocalKeyFileProvider.open(join(dir, 'nope.key')),
    (e) => isMeridianError(e, 'MER_KEY_MISSING'),
  );
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  chmodSync(keyFile, 0o644);
  assert.throws(
    () => LocalKeyFileProvider.open(keyFile),
    (e) => isMeridianError(e, 'MER_KEY_PERMISSIONS') && /0644/.test(e.message) && /chmod 600/.test(e.message),
  );
  chmodSync(keyFile, 0o600);
  const short = join(dir, 'short.key');
  writeFileSync(short, Buffer.alloc(16), { mode: 0o600 });
  assert.throws(
    () => LocalKeyFileProvider.open(short),
    (e) => isMeridianError(e, 'MER_KEY_INVALID') && /16 bytes/.test(e.message),
  );
  assert.throws(
    () => LocalKeyFileProvider.open(dir),
    (e) => isMeridianError(e, 'MER_KEY_INVALID'),
  );
  assert.throws(
    () => LocalKeyFileProvider.create(keyFile),
    (e) => isMeridianError(e, 'MER_KEY_EXISTS'),
  );
  const provider = LocalKeyFileProvider.open(keyFile);
  await assert.rejects(FieldCrypto.open({ dir: join(dir, 'nokeys'), provider }), (e) =>
    isMeridianError(e, 'MER_KEY_MISSING'),
  );
  await assert.rejects(FieldCrypto.create({ dir: join(dir, 'keys'), provider }), (e) =>
    isMeridianError(e, 'MER_KEY_EXISTS'),
  );
  writeFileSync(join(dir, 'keys', KEYRING_FILE), '{"format":"meridian-keyring"}');
  await assert.rejects(FieldCrypto.open({ dir: join(dir, 'keys'), provider }), (e) =>
    isMeridianError(e, 'MER_KEY_INVALID'),
  );
});

function lakeFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.parquet'))
        out.set(p, `${createHash('sha256').update(readFileSync(p)).digest('hex')}@${statSync(p).mtimeMs}`);
    }
  };
  walk(dir);
  return out;
}

test('rotation re-wraps keys only: old lake rows still decrypt and no data file is rewritten', async () => {
  const { dir, keyFile, crypto } = await fresh();
  const keys = join(dir, 'keys');
  const lake = await openLake({ dir: join(dir, 'lake') });
  try {
    const rows = [
      PERSON,
      { ...PERSON, person_id: 'p2', local_patient_id: 'p2', name: '麦麦提·玉素甫', phone: '13845457435' },
    ];
    await lake.writeBatch({
      table: 'person',
      batchId: 'b1',
      columns: lakeColumns('person'),
      rows: rows.map((r) => crypto.encryptRow('person', r)),
    });
    const before = lakeFiles(lake.dir);
    assert.equal(before.size, 1);
    const stored = await lake.query('select * from person order by person_id');
    assert.ok(!JSON.stringify(stored).includes('麦麦提'), 'the lake holds no clear name');

    const oldKek = crypto.kekId;
    const newProvider = LocalKeyFileProvider.create(join(dir, 'kek-2.key'));
    await crypto.rotateKek(newProvider);
    const firstKey = crypto.activeKeyId;
    const newDataKey = await crypto.rotateDataKey();
    assert.notEqual(newDataKey, firstKey);
    await lake.writeBatch({
      table: 'person',
      batchId: 'b2',
      columns: lakeColumns('person'),
      rows: [crypto.encryptRow('person', { ...PERSON, person_id: 'p3' })],
    });

    await assert.rejects(
      FieldCrypto.open({ dir: keys, provider: LocalKeyFileProvider.open(keyFile) }),
      (e) => isMeridianError(e, 'MER_KEY_WRONG') && e.message.includes(oldKek),
      'the retired KEK no longer opens the keyring',
    );
    const reopened = await FieldCrypto.open({ dir: keys, provider: LocalKeyFileProvider.open(join(dir, 'kek-2.key')) });
    assert.equal(reopened.activeKeyId, newDataKey);
    const back = (await lake.query('select * from person order by person_id')).map((r) =>
      reopened.decryptRow('person', r),
    );
    assert.deepEqual(
      back.map((r) => [r.person_id, r.name]),
      [
        ['0002000001', '郭蕾'],
        ['p2', '麦麦提·玉素甫'],
        ['p3', '郭蕾'],
      ],
    );
    const after = lakeFiles(lake.dir);
    for (const [file, digest] of before) assert.equal(after.get(file), digest, `${file} was not rewritten`);
  } finally {
    await lake.close();
  }
});
