import assert from 'node:assert/strict';
import { createHash, type KeyObject } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { isMeridianError } from '../../src/errors/registry.ts';
import {
  type BlockHeader,
  blockHeaderHash,
  type CommitCertificate,
  canonicalBytes,
  commitVote,
  faultTolerance,
  makeCommitCertificate,
  makeValidatorSet,
  quorumSize,
  resolveValidatorSet,
  SIGNING_PURPOSES,
  signCommit,
  signForPurpose,
  txRootOf,
  type ValidatorSet,
  validatorSetHash,
  verifyCommitCertificate,
} from '../../src/ledger/index.ts';
import { block, CHAIN_ID, fourValidators, keyFor, scenario, tx, validators } from './fixtures.ts';

const codeOf = (r: ReturnType<typeof verifyCommitCertificate>): string => (r.ok ? 'ok' : r.code);

/** The same header with field `key` changed to another value of the same type. */
function changed(header: BlockHeader, key: keyof BlockHeader): BlockHeader {
  const v = header[key];
  if (typeof v === 'number') return { ...header, [key]: v + 1 };
  const s = String(v);
  const last = s.at(-1) as string;
  return {
    ...header,
    [key]: s.slice(0, -1) + (last === 'f' ? '0' : last === 'z' ? 'a' : String.fromCharCode(last.charCodeAt(0) + 1)),
  };
}

test('I11: the header hash is domain-separated and changes when any field changes', () => {
  const { header } = scenario();
  const h = blockHeaderHash(header);
  assert.match(h, /^[0-9a-f]{64}$/);
  assert.notEqual(h, createHash('sha256').update(canonicalBytes(header)).digest('hex'));
  const keys = Object.keys(header) as (keyof BlockHeader)[];
  assert.equal(keys.length, 9);
  for (const key of keys) assert.notEqual(blockHeaderHash(changed(header, key)), h, key);
  assert.equal(blockHeaderHash(JSON.parse(JSON.stringify(header))), h);
});

test('I11: txRoot commits to the transactions in order', () => {
  const a = tx({ label: 'a' });
  const b = tx({ label: 'b' });
  assert.notEqual(txRootOf([a, b]).txRoot, txRootOf([b, a]).txRoot);
  assert.deepEqual(txRootOf([]), { txRoot: createHash('sha256').digest('hex'), txCount: 0 });
});

test('I12: quorum is ⌊2n/3⌋ + 1, i.e. 2f + 1 for n = 3f + 1, always strictly more than two thirds', () => {
  for (let f = 0; f <= 10; f += 1) {
    assert.equal(faultTolerance(3 * f + 1), f);
    assert.equal(quorumSize(3 * f + 1), 2 * f + 1);
  }
  for (let n = 1; n <= 128; n += 1) {
    const q = quorumSize(n);
    assert.ok(3 * q > 2 * n && 3 * (q - 1) <= 2 * n, `n=${n}`);
    // Two quorums intersect in more than f validators, so two conflicting certificates need > f faulty signers.
    assert.ok(2 * q - n > faultTolerance(n), `n=${n}`);
  }
});

test('I12: a certificate with a quorum of distinct valid commit signatures verifies', () => {
  const s = scenario();
  const r = verifyCommitCertificate(s.header, s.certificate, s.vals.set);
  assert.ok(r.ok);
  assert.deepEqual([...r.signers].sort(), ['hospital-a', 'hospital-c', 'hub']);
  const all = block({ vals: s.vals, txs: s.txs });
  assert.ok(verifyCommitCertificate(all.header, all.certificate, resolveValidatorSet(s.vals.set)).ok);
});

test('I12: too few, duplicate, unknown, forged, wrong-purpose or misdirected signatures are refused', () => {
  const s = scenario();
  const { header, certificate: cert } = s;
  const vals = s.vals;
  const sigOf = (name: string) => cert.signatures.find((x) => x.signer === name) as CommitCertificate['signatures'][0];
  const v = (c: CommitCertificate, h: BlockHeader = header, set: ValidatorSet = vals.set) =>
    codeOf(verifyCommitCertificate(h, c, set));

  assert.equal(v({ ...cert, signatures: cert.signatures.slice(0, 2) }), 'MER_LEDGER_INSUFFICIENT_SIGNATURES');
  assert.equal(
    v({ ...cert, signatures: [sigOf('hospital-a'), sigOf('hospital-a'), sigOf('hub')] }),
    'MER_LEDGER_DUPLICATE_SIGNATURE',
  );
  assert.equal(v({ ...cert, signatures: [...cert.signatures, sigOf('hub')] }), 'MER_LEDGER_DUPLICATE_SIGNATURE');
  const outsider = signCommit({ header, view: 0, signer: 'hospital-x', privateKey: keyFor('validator:hospital-x') });
  assert.equal(v({ ...cert, signatures: [...cert.signatures, outsider] }), 'MER_LEDGER_UNKNOWN_SIGNER');
  assert.equal(
    v({ ...cert, signatures: [...cert.signatures.slice(0, 2), outsider] }),
    'MER_LEDGER_UNKNOWN_SIGNER',
    'a non-validator cannot make up the quorum',
  );
  // Forged: random bytes, and a real signature by the wrong key under a member's name.
  const random = { signer: 'hospital-b', signature: createHash('sha512').update('forged').digest('hex') };
  assert.equal(v({ ...cert, signatures: [...cert.signatures.slice(0, 2), random] }), 'MER_LEDGER_BAD_SIGNATURE');
  const impostor = signCommit({ header, view: 0, signer: 'hospital-b', privateKey: keyFor('validator:hospital-x') });
  assert.equal(v({ ...cert, signatures: [...cert.signatures.slice(0, 2), impostor] }), 'MER_LEDGER_BAD_SIGNATURE');
  // A forged signature is refused even when the other signatures alone would make a quorum.
  assert.equal(v({ ...cert, signatures: [...cert.signatures, impostor] }), 'MER_LEDGER_BAD_SIGNATURE');
  // The right validator's signature over the same commit vote, but for another purpose.
  const payload = canonicalBytes(commitVote(header, 0));
  for (const purpose of SIGNING_PURPOSES.filter((p) => p !== 'commit')) {
    const other = {
      signer: 'hospital-b',
      signature: signForPurpose({ purpose, payload, privateKey: vals.keys.get('hospital-b') as KeyObject }),
    };
    assert.equal(
      v({ ...cert, signatures: [...cert.signatures.slice(0, 2), other] }),
      'MER_LEDGER_BAD_SIGNATURE',
      purpose,
    );
  }
  // A commit signature over the bare header hash (no vote structure), or for another view, does not count.
  const privateKey = vals.keys.get('hospital-b') as KeyObject;
  const bare = {
    signer: 'hospital-b',
    signature: signForPurpose({ purpose: 'commit', payload: Buffer.from(blockHeaderHash(header), 'hex'), privateKey }),
  };
  assert.equal(v({ ...cert, signatures: [...cert.signatures.slice(0, 2), bare] }), 'MER_LEDGER_BAD_SIGNATURE');
  const otherView = signCommit({ header, view: 1, signer: 'hospital-b', privateKey });
  assert.equal(v({ ...cert, signatures: [...cert.signatures.slice(0, 2), otherView] }), 'MER_LEDGER_BAD_SIGNATURE');
  assert.equal(v({ ...cert, view: 1 }), 'MER_LEDGER_BAD_SIGNATURE');
  const inView1 = block({ vals, txs: s.txs, view: 1, signers: ['hospital-a', 'hospital-c', 'hub'] });
  assert.equal(v(inView1.certificate), 'ok');
  // The certificate of another header (same height, other state root) does not commit this one.
  const otherHeader = { ...header, stateRoot: 'cd'.repeat(32) };
  const otherCert = block({ vals, txs: s.txs }).certificate;
  assert.equal(v(otherCert, otherHeader), 'MER_LEDGER_BAD_SIGNATURE');
  assert.equal(v({ ...cert, headerHash: blockHeaderHash(otherHeader) }), 'MER_LEDGER_BAD_SIGNATURE');
  // A header that names another validator set, and a set other than the one the header names.
  assert.equal(v(cert, { ...header, validatorSetHash: 'ee'.repeat(32) }), 'MER_LEDGER_VALIDATOR_SET_MISMATCH');
  assert.equal(
    v(cert, header, validators(['hospital-a', 'hospital-c', 'hub']).set),
    'MER_LEDGER_VALIDATOR_SET_MISMATCH',
  );
  // Malformed input is reported, not thrown.
  assert.equal(v({ ...cert, signatures: [] }), 'MER_LEDGER_MALFORMED_BLOCK');
  assert.equal(v({ ...cert, headerHash: 'x' }), 'MER_LEDGER_MALFORMED_BLOCK');
  assert.equal(v({ ...cert, view: -1 }), 'MER_LEDGER_MALFORMED_BLOCK');
  assert.equal(v(cert, { ...header, height: -1 }), 'MER_LEDGER_MALFORMED_BLOCK');
});

test('I12: for random n and random signer subsets, a certificate verifies iff more than two thirds signed (property)', () => {
  const names = Array.from({ length: 10 }, (_, i) => `v${String(i).padStart(2, '0')}`);
  const sets = Array.from({ length: 11 }, (_, n) => (n === 0 ? null : validators(names.slice(0, n))));
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 10 }).chain((n) => fc.tuple(fc.constant(n), fc.subarray(names.slice(0, n)))),
      ([n, signers]) => {
        const vals = sets[n] as ReturnType<typeof validators>;
        const { header, certificate } = block({ vals, txs: [], signers });
        const r = verifyCommitCertificate(header, certificate, vals.set);
        if (signers.length === 0) assert.equal(codeOf(r), 'MER_LEDGER_MALFORMED_BLOCK');
        else assert.equal(r.ok, 3 * signers.length > 2 * n);
      },
    ),
    { numRuns: 120 },
  );
});

test('I13: validator sets are canonical (sorted, unique names and keys, 1..128) and bound to their chain id', () => {
  const { set } = fourValidators();
  const malformedSet = (s: unknown) =>
    assert.throws(
      () => resolveValidatorSet(s as ValidatorSet),
      (e) => isMeridianError(e, 'MER_LEDGER_MALFORMED_VALIDATOR_SET'),
    );
  malformedSet({ ...set, validators: [...set.validators].reverse() });
  malformedSet({ ...set, validators: [set.validators[0], set.validators[0]] });
  malformedSet({
    ...set,
    validators: [set.validators[0], { ...set.validators[1], publicKey: set.validators[0]?.publicKey }],
  });
  malformedSet({ ...set, validators: [] });
  malformedSet({ ...set, chainId: 'Bad Chain' });
  malformedSet({ ...set, extra: true });
  malformedSet({ ...set, validators: [{ ...set.validators[0], publicKey: 'AB'.repeat(32) }] });
  const many = Array.from({ length: 129 }, (_, i) => ({
    name: `v${String(i).padStart(3, '0')}`,
    publicKey: keyFor(`m${i}`),
  }));
  assert.throws(
    () => makeValidatorSet({ chainId: CHAIN_ID, validators: many }),
    (e) => isMeridianError(e, 'MER_LEDGER_MALFORMED_VALIDATOR_SET'),
  );
  assert.equal(makeValidatorSet({ chainId: CHAIN_ID, validators: many.slice(0, 128) }).validators.length, 128);
  // makeValidatorSet sorts; the hash depends on the chain id.
  const shuffled = makeValidatorSet({
    chainId: CHAIN_ID,
    validators: ['hub', 'hospital-b', 'hospital-a', 'hospital-c'].map((name) => ({
      name,
      publicKey: keyFor(`validator:${name}`),
    })),
  });
  assert.deepEqual(shuffled, set);
  assert.notEqual(validatorSetHash({ ...set, chainId: 'meridian-staging' }), validatorSetHash(set));
  assert.equal(resolveValidatorSet(set).quorum, 3);
  // Something that merely looks resolved (quorum 1, attacker's keys) is validated again, not trusted.
  const s = scenario(['hospital-a']);
  const lookAlike = { set, hash: validatorSetHash(set), quorum: 1, keys: new Map() } as unknown as ValidatorSet;
  assert.equal(
    codeOf(verifyCommitCertificate(s.header, s.certificate, lookAlike)),
    'MER_LEDGER_MALFORMED_VALIDATOR_SET',
  );
});

test('I12: makeCommitCertificate orders signatures by signer name', () => {
  const s = scenario(['hub', 'hospital-c', 'hospital-a']);
  assert.deepEqual(
    s.certificate.signatures.map((x) => x.signer),
    ['hospital-a', 'hospital-c', 'hub'],
  );
  const again = makeCommitCertificate(s.header, 0, [...s.certificate.signatures].reverse());
  assert.deepEqual(again, s.certificate);
});
