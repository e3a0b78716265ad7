import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import fc from 'fast-check';
import { caPaths, identityPaths, initCa, issueIdentity, verifyCertificate } from '../../src/ca/index.ts';
import { type ErrorCode, isMeridianError } from '../../src/errors/registry.ts';
import {
  canonicalBytes,
  parseSignedTransaction,
  parseTxBody,
  publicKeyHex,
  SIGNING_PURPOSES,
  type SignedTransaction,
  signForPurpose,
  signingMessage,
  signTransaction,
  TX_BODY_BYTES_MAX,
  type TxBody,
  toPrivateKey,
  toPublicKey,
  txContentHash,
  txDedupKey,
  txHash,
  verifyForPurpose,
  verifyTransaction,
} from '../../src/ledger/index.ts';
import { parseCanonicalSignedTransaction, verifyTransactionBytes } from '../../src/ledger/transaction.ts';
import { tempDir } from '../ca/helpers.ts';
import { CHAIN_ID, keyFor, nonceFor, tx } from './fixtures.ts';

const body = (over: Partial<TxBody> = {}): TxBody => ({
  chainId: CHAIN_ID,
  kind: 'request.approve',
  institution: 'hospital-a',
  nonce: nonceFor('b'),
  payload: { requestId: 'req-9', decision: 'approve' },
  user: { id: 'u-1', role: 'ethics' },
  ...over,
});
const KEY_A = keyFor('institution:hospital-a');
/** JSON values a payload may hold: canonical JSON refuses the key `__proto__` at any depth (SPEC I1). */
const signableJson = fc.jsonValue({ maxDepth: 3 }).filter((v) => !JSON.stringify(v).includes('"__proto__"'));
const L = (1n << 252n) + 27742317777372353535851937790883648493n;

function malformed(fn: () => unknown, code: ErrorCode = 'MER_LEDGER_MALFORMED_TX'): string {
  try {
    fn();
  } catch (e) {
    assert.ok(isMeridianError(e, code), `expected ${code}, got ${String(e)}`);
    return (e as Error).message;
  }
  assert.fail(`expected ${code}`);
}

test('I7: a signature made for one purpose never verifies for another', () => {
  const payload = Buffer.from('the same bytes');
  for (const purpose of SIGNING_PURPOSES) {
    const signature = signForPurpose({ purpose, payload, privateKey: KEY_A });
    for (const other of SIGNING_PURPOSES) {
      assert.equal(verifyForPurpose({ purpose: other, payload, signature, publicKey: KEY_A }), purpose === other);
    }
    // Nor does it verify as a plain (undomained) Ed25519 signature of the payload.
    assert.ok(signingMessage(purpose, payload).toString().startsWith(`meridian/v1/${purpose}\n`));
  }
  const raw = sign(null, payload, KEY_A).toString('hex');
  for (const purpose of SIGNING_PURPOSES)
    assert.equal(verifyForPurpose({ purpose, payload, signature: raw, publicKey: KEY_A }), false);
});

test('I7: signatures have one encoding (S + L is refused) and the wrong length or key fails', () => {
  const payload = Buffer.from('x');
  const sig = Buffer.from(signForPurpose({ purpose: 'tx', payload, privateKey: KEY_A }), 'hex');
  let s = 0n;
  for (let i = 31; i >= 0; i -= 1) s = (s << 8n) | BigInt(sig[32 + i] as number);
  let t = s + L;
  const malleated = Buffer.from(sig);
  for (let i = 0; i < 32; i += 1) {
    malleated[32 + i] = Number(t & 0xffn);
    t >>= 8n;
  }
  const v = (signature: string, publicKey: KeyObject | string = KEY_A) =>
    verifyForPurpose({ purpose: 'tx', payload, signature, publicKey });
  assert.ok(v(sig.toString('hex')));
  assert.equal(v(malleated.toString('hex')), false);
  assert.equal(v(sig.toString('hex').slice(2)), false);
  assert.equal(v(sig.toString('hex').toUpperCase()), false);
  assert.equal(v(sig.toString('hex'), keyFor('someone else')), false);
});

test('I7: keys are read from KeyObjects, PEM and raw hex; other key types are refused with MER_LEDGER_BAD_KEY', () => {
  const pub = toPublicKey(KEY_A);
  const pem = pub.export({ type: 'spki', format: 'pem' }).toString();
  const hex = publicKeyHex(KEY_A);
  assert.match(hex, /^[0-9a-f]{64}$/);
  assert.equal(publicKeyHex(pem), hex);
  assert.equal(publicKeyHex(toPublicKey(hex)), hex);
  const privPem = KEY_A.export({ type: 'pkcs8', format: 'pem' }).toString();
  assert.equal(publicKeyHex(toPrivateKey(privPem)), hex);
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  for (const bad of [ec.publicKey, 'not a key', 'ab'.repeat(31)]) {
    assert.throws(
      () => toPublicKey(bad),
      (e) => isMeridianError(e, 'MER_LEDGER_BAD_KEY'),
    );
  }
  assert.throws(
    () => toPrivateKey(ec.privateKey),
    (e) => isMeridianError(e, 'MER_LEDGER_BAD_KEY'),
  );
  assert.throws(
    () => toPrivateKey(pub),
    (e) => isMeridianError(e, 'MER_LEDGER_BAD_KEY'),
  );
});

test('I9: the keys the consortium CA issues sign transactions that verify with signing.pub.pem and the certificate', async (t) => {
  const dir = await tempDir(t, 'meridian-ledger-');
  await initCa({ dir });
  await issueIdentity({ dir, name: 'hospital-a', role: 'node' });
  const paths = identityPaths(dir, 'hospital-a');
  const signed = signTransaction(body(), await readFile(paths.signingKey, 'utf8'));
  assert.ok(verifyTransaction(signed, await readFile(paths.signingPub, 'utf8')));
  const cert = await verifyCertificate({
    caPem: await readFile(caPaths(dir).cert, 'utf8'),
    certPem: await readFile(paths.signingCert, 'utf8'),
  });
  assert.ok(verifyTransaction(signed, cert.publicKeyPem));
  assert.equal(verifyTransaction(signed, KEY_A), false);
});

test('I9: any change to any body field invalidates the signature', () => {
  const signed = signTransaction(body(), KEY_A);
  assert.ok(verifyTransaction(signed, KEY_A));
  const variants: TxBody[] = [
    body({ chainId: 'other-chain' }),
    body({ kind: 'request.refuse' }),
    body({ institution: 'hospital-b' }),
    body({ nonce: nonceFor('c') }),
    body({ payload: { requestId: 'req-9', decision: 'refuse' } }),
    body({ payload: { requestId: 'req-9', decision: 'approve', extra: 1 } }),
    body({ user: { id: 'u-2', role: 'ethics' } }),
    body({ user: { id: 'u-1', role: 'admin' } }),
    body({ user: undefined }),
  ].map((b) => (b.user === undefined ? (({ user: _u, ...rest }) => rest)(b) : b));
  for (const b of variants) assert.equal(verifyTransaction({ body: b, signature: signed.signature }, KEY_A), false);
  // Key order does not matter: the signature covers the canonical form.
  const reordered = JSON.parse(
    JSON.stringify({ ...signed, body: Object.fromEntries(Object.entries(signed.body).reverse()) }),
  );
  assert.ok(verifyTransaction(reordered, KEY_A));
});

test('I9: random payloads sign and verify, survive a JSON round trip, and a flipped signature bit fails (property)', () => {
  fc.assert(
    fc.property(
      fc.dictionary(
        fc.string({ maxLength: 8 }).filter((k) => k !== '__proto__'),
        signableJson,
        {
          maxKeys: 6,
        },
      ),
      fc.nat({ max: 511 }),
      (payload, bit) => {
        const signed = signTransaction(body({ payload: payload as TxBody['payload'] }), KEY_A);
        const wire = parseSignedTransaction(JSON.parse(JSON.stringify(signed)));
        assert.ok(verifyTransaction(wire, KEY_A));
        assert.equal(txHash(wire), txHash(signed));
        const sig = Buffer.from(signed.signature, 'hex');
        sig[bit >> 3] = (sig[bit >> 3] as number) ^ (1 << (bit & 7));
        assert.equal(verifyTransaction({ ...signed, signature: sig.toString('hex') }, KEY_A), false);
      },
    ),
    { numRuns: 100 },
  );
});

test('I8: the schema refuses malformed bodies naming the field (MER_LEDGER_MALFORMED_TX)', () => {
  const good = signTransaction(body(), KEY_A);
  const cases: [string, unknown, RegExp][] = [
    ['not an object', 'tx', /top level/],
    ['no signature', { body: good.body }, /signature/],
    ['short signature', { ...good, signature: 'ab' }, /signature/],
    ['extra key', { ...good, extra: 1 }, /top level|extra/],
    ['extra body key', { ...good, body: { ...good.body, time: 1 } }, /body/],
    ['nonce too short', { ...good, body: { ...good.body, nonce: 'abc' } }, /body\.nonce/],
    ['nonce uppercase', { ...good, body: { ...good.body, nonce: good.body.nonce.toUpperCase() } }, /body\.nonce/],
    ['bad kind', { ...good, body: { ...good.body, kind: 'Request Approve' } }, /body\.kind/],
    ['bad institution', { ...good, body: { ...good.body, institution: 'Hospital A' } }, /body\.institution/],
    ['bad chain id', { ...good, body: { ...good.body, chainId: '' } }, /body\.chainId/],
    ['payload array', { ...good, body: { ...good.body, payload: [1] } }, /body\.payload/],
    ['payload NaN', { ...good, body: { ...good.body, payload: { x: Number.NaN } } }, /body\.payload/],
    [
      'payload too deep',
      { ...good, body: { ...good.body, payload: JSON.parse(`${'['.repeat(70)}${']'.repeat(70)}`) } },
      /payload/,
    ],
    ['user without role', { ...good, body: { ...good.body, user: { id: 'u' } } }, /body\.user\.role/],
    ['user role', { ...good, body: { ...good.body, user: { id: 'u', role: 'Chief Doctor' } } }, /body\.user\.role/],
    ['user id control char', { ...good, body: { ...good.body, user: { id: 'u\n', role: 'x' } } }, /body\.user\.id/],
  ];
  for (const [name, input, where] of cases)
    assert.match(
      malformed(() => parseSignedTransaction(input)),
      where,
      name,
    );
  malformed(() => signTransaction({ ...body(), nonce: 'x' }, KEY_A));
  malformed(() => parseTxBody({ ...body(), payload: { x: 1n } }));
});

test('I8: a body whose canonical form exceeds the limit is refused with MER_LEDGER_TX_TOO_LARGE', () => {
  const fits = body({ payload: { blob: '' } });
  const overhead = canonicalBytes(fits).length;
  const exact = body({ payload: { blob: 'x'.repeat(TX_BODY_BYTES_MAX - overhead) } });
  assert.equal(canonicalBytes(exact).length, TX_BODY_BYTES_MAX);
  assert.doesNotThrow(() => signTransaction(exact, KEY_A));
  const over = body({ payload: { blob: 'x'.repeat(TX_BODY_BYTES_MAX - overhead + 1) } });
  malformed(() => signTransaction(over, KEY_A), 'MER_LEDGER_TX_TOO_LARGE');
  malformed(() => parseSignedTransaction({ body: over, signature: 'ab'.repeat(64) }), 'MER_LEDGER_TX_TOO_LARGE');
});

test('I10: txHash covers body and signature, content hash the body only; dedup key = institution/purpose/content', () => {
  const a = tx({ label: 'same' });
  const b = tx({ label: 'same' });
  const other = tx({ label: 'other' });
  assert.equal(txHash(a), txHash(b), 'Ed25519 is deterministic: same body, same key, same envelope');
  assert.notEqual(txHash(a), txHash(other));
  assert.match(txHash(a), /^[0-9a-f]{64}$/);
  assert.equal(txDedupKey(a), `hospital-a/tx/${txContentHash(a.body)}`);
  // Re-signing the same content by anyone yields the same dedup key: a replay cannot pass as new.
  const forged: SignedTransaction = { body: a.body, signature: 'ab'.repeat(64) };
  assert.equal(txDedupKey(forged), txDedupKey(a));
  assert.notEqual(txHash(forged), txHash(a));
  assert.notEqual(txDedupKey(other), txDedupKey(a));
  // The content hash, the envelope hash and the canonical bytes' plain SHA-256 are all different (domains).
  assert.notEqual(txContentHash(a.body), txHash(a));
});

test('I9: checking from the canonical bytes gives the same verdict and body bytes as serializing again (property)', () => {
  fc.assert(
    fc.property(
      fc.dictionary(
        fc.string({ maxLength: 8 }).filter((k) => k !== '__proto__'),
        signableJson,
        { maxKeys: 6 },
      ),
      (payload) => {
        const signed = signTransaction(body({ payload: payload as TxBody['payload'] }), KEY_A);
        const wire = JSON.parse(JSON.stringify(signed)) as unknown;
        const { tx: checked, bodyBytes } = parseCanonicalSignedTransaction(wire, canonicalBytes(wire));
        assert.deepEqual(bodyBytes, canonicalBytes(signed.body));
        assert.ok(verifyTransactionBytes(bodyBytes, checked.signature, KEY_A));
        assert.equal(verifyTransactionBytes(bodyBytes, checked.signature, keyFor('institution:hospital-b')), false);
      },
    ),
    { numRuns: 100 },
  );
  const good = signTransaction(body(), KEY_A);
  for (const bad of [{ ...good, extra: 1 }, { ...good, body: { ...good.body, nonce: 'abc' } }, { body: good.body }]) {
    const viaSerializing = malformed(() => parseSignedTransaction(bad));
    assert.equal(
      malformed(() => parseCanonicalSignedTransaction(bad, canonicalBytes(bad))),
      viaSerializing,
    );
  }
  const huge = { ...good, body: { ...good.body, payload: { blob: 'x'.repeat(TX_BODY_BYTES_MAX) } } };
  malformed(() => parseCanonicalSignedTransaction(huge, canonicalBytes(huge)), 'MER_LEDGER_TX_TOO_LARGE');
  malformed(() => parseSignedTransaction(huge), 'MER_LEDGER_TX_TOO_LARGE');
});
