/**
 * The node side of dropout recovery for the masked analyses (src/federation/secure-agg/recovery.ts has the rules,
 * docs/federation.md the protocol): per task, a pairwise key s_u, a share-encryption key c_u and a self-mask seed
 * b_u; the setup round's sealed Shamir shares of s_u and b_u for every other hospital; the data rounds' check of
 * the participant set; and the recovery round's answer, which reveals of each peer one kind of share only.
 *
 *   round 0   { recovery: true } ─► { publicKey S_u, encryptionKey C_u, seedCommitment H(b_u) }
 *   round 1   { keys }           ─► { threshold t, boxes: seal(c_u, C_v, [s_u(x_v), b_u(x_v)]) for every v ≠ u }
 *   round r   { keys, participants P, … } ─► x_u + PRG(b_u, r) ± pair masks over P
 *   recovery  { recover: { round, survivors S, dropped D }, boxes to u } ─► { b: b_v(x_u) for v ∈ S, s: s_d(x_u) for d ∈ D }
 */
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { MeridianError } from '../../errors/registry.ts';
import { type FederatedTask, TASK_HOSPITALS_MAX, taskHashOf } from '../protocol.ts';
import {
  acceptRecovery,
  fieldElementFromBytes,
  fieldElementToBytes,
  openShareBox,
  privateKeyFromScalar,
  publicKeyFromRaw,
  publicKeyToRaw,
  type RecoveryState,
  recoveryStart,
  recoveryThreshold,
  scalarOfPrivateKey,
  sealShareBox,
  shamirSplit,
} from '../secure-agg/index.ts';

const Hex32Schema = z.string().regex(/^[0-9a-f]{64}$/);
/** A sealed box: 12-byte nonce, two 32-byte shares, 16-byte tag. */
const BoxSchema = z.string().regex(/^[0-9a-f]{184}$/);
const HospitalSchema = z.string().min(2).max(63);

/** What round 0 asks when the hub recovers dropouts. */
export const RecoveryKeyInputSchema = z.strictObject({ recovery: z.literal(true) });

/** What a node answers in the setup round: the threshold and one sealed box of its shares per other hospital. */
export const SetupAnswerSchema = z.strictObject({
  threshold: z.number().int().min(2).max(TASK_HOSPITALS_MAX),
  boxes: z.array(z.strictObject({ to: HospitalSchema, box: BoxSchema })).max(TASK_HOSPITALS_MAX - 1),
});

/** A setup round's answer. */
export type SetupAnswer = z.infer<typeof SetupAnswerSchema>;

/** The hub's recovery request to one survivor: the round, who answered it, who did not, the boxes sealed to it. */
export const RecoveryInputSchema = z.strictObject({
  recover: z.strictObject({
    round: z.number().int().min(2).max(10_000),
    survivors: z.array(HospitalSchema).min(1).max(TASK_HOSPITALS_MAX),
    dropped: z.array(HospitalSchema).max(TASK_HOSPITALS_MAX),
  }),
  boxes: z.array(z.strictObject({ from: HospitalSchema, box: BoxSchema })).max(TASK_HOSPITALS_MAX - 1),
});

/** A recovery round's input. */
export type RecoveryInput = z.infer<typeof RecoveryInputSchema>;

/** What a survivor reveals: its shares of the survivors' seeds (b) and of the dropped hospitals' keys (s). */
export const RecoveryAnswerSchema = z.strictObject({
  b: z.array(z.strictObject({ of: HospitalSchema, share: Hex32Schema })).max(TASK_HOSPITALS_MAX),
  s: z.array(z.strictObject({ of: HospitalSchema, share: Hex32Schema })).max(TASK_HOSPITALS_MAX),
});

/** A recovery round's answer. */
export type RecoveryAnswer = z.infer<typeof RecoveryAnswerSchema>;

/** A peer's published keys, as the node verified them from the signed round-0 answers. */
export interface PeerKeys {
  readonly publicKey: KeyObject;
  readonly encryptionKey: KeyObject;
}

/** A node's secrets for one task and what it agreed to. */
export interface RecoveryKeys {
  /** The pairwise X25519 key, re-imported with the top scalar bit cleared (the form that is shared). */
  readonly maskKey: KeyObject;
  readonly maskKeyHex: string;
  readonly scalar: bigint;
  readonly encryptionKey: KeyObject;
  readonly encryptionKeyHex: string;
  readonly seed: Buffer;
  readonly seedCommitment: string;
  setup?: { readonly answer: SetupAnswer; readonly own: { readonly s: bigint; readonly b: bigint } };
  peers?: ReadonlyMap<string, PeerKeys>;
  rules?: RecoveryState;
}

/** Draws attempts of one secret before giving up (each fails with odds 19/2^255). */
const DRAWS_MAX = 8;

function drawElement(): bigint {
  for (let i = 0; i < DRAWS_MAX; i++) {
    const bytes = randomBytes(32);
    bytes[31] = (bytes[31] as number) & 0x7f;
    const v = fieldElementFromBytes(bytes);
    if (v !== undefined) return v;
  }
  throw new MeridianError('MER_INTERNAL', 'no field element in eight draws of the secure random source');
}

/** The self-mask seed commitment a node publishes in round 0: SHA-256 of the seed's 32 bytes. */
export function seedCommitment(seed: Uint8Array): string {
  return createHash('sha256').update(seed).digest('hex');
}

/** Fresh per-task secrets: the pairwise key (its scalar a field element), the encryption key and the seed. */
export function newRecoveryKeys(): RecoveryKeys {
  for (let i = 0; i < DRAWS_MAX; i++) {
    const { privateKey } = generateKeyPairSync('x25519');
    const scalar = scalarOfPrivateKey(privateKey);
    if (scalar === undefined) continue;
    const maskKey = privateKeyFromScalar(scalar);
    const encryption = generateKeyPairSync('x25519');
    const seed = fieldElementToBytes(drawElement());
    return {
      maskKey,
      maskKeyHex: publicKeyHexOf(maskKey),
      scalar,
      encryptionKey: encryption.privateKey,
      encryptionKeyHex: publicKeyToRaw(encryption.publicKey).toString('hex'),
      seed,
      seedCommitment: seedCommitment(seed),
    };
  }
  throw new MeridianError('MER_INTERNAL', 'no X25519 key with a field-element scalar in eight draws');
}

function publicKeyHexOf(privateKey: KeyObject): string {
  return publicKeyToRaw(createPublicKey(privateKey)).toString('hex');
}

/** The setup answer (made once per task, then repeated): each other hospital's shares of s_u and b_u, sealed. */
export function setupAnswer(opts: {
  keys: RecoveryKeys;
  task: FederatedTask;
  node: string;
  peers: ReadonlyMap<string, PeerKeys>;
}): SetupAnswer {
  const { keys, task, node } = opts;
  if (keys.setup !== undefined) return keys.setup.answer;
  const threshold = recoveryThreshold(task.hospitals.length);
  const xs = task.hospitals.map((_, i) => i + 1);
  const draw = () => Array.from({ length: threshold - 1 }, drawElement);
  const sShares = shamirSplit({ secret: keys.scalar, coefficients: draw(), xs });
  const bShares = shamirSplit({ secret: fieldElementFromBytes(keys.seed) as bigint, coefficients: draw(), xs });
  const taskHash = taskHashOf(task);
  const boxes: SetupAnswer['boxes'] = [];
  let own = { s: 0n, b: 0n };
  task.hospitals.forEach((h, i) => {
    const s = (sShares[i] as { y: bigint }).y;
    const b = (bShares[i] as { y: bigint }).y;
    if (h === node) {
      own = { s, b };
      return;
    }
    const peer = opts.peers.get(h) as PeerKeys;
    const box = sealShareBox({
      privateKey: keys.encryptionKey,
      peerPublicKey: peer.encryptionKey,
      labels: { taskHash, from: node, to: h },
      plaintext: Buffer.concat([fieldElementToBytes(s), fieldElementToBytes(b)]),
      iv: randomBytes(12),
    });
    boxes.push({ to: h, box: box.toString('hex') });
  });
  const answer = { threshold, boxes };
  keys.setup = { answer, own };
  keys.peers = opts.peers;
  keys.rules = recoveryStart({ self: node, hospitals: task.hospitals });
  return answer;
}

/** A survivor's answer to a recovery request it accepts (see recovery.ts for when it refuses). */
export function recoveryAnswer(opts: {
  keys: RecoveryKeys;
  task: FederatedTask;
  node: string;
  input: RecoveryInput;
}): RecoveryAnswer {
  const { keys, task, node, input } = opts;
  if (keys.setup === undefined || keys.peers === undefined || keys.rules === undefined) {
    throw new MeridianError('MER_FED_INVALID_TASK', `${node} handed out no shares for task ${task.taskId}`, {
      taskId: task.taskId,
    });
  }
  const next = acceptRecovery(keys.rules, input.recover);
  const taskHash = taskHashOf(task);
  const sharesFrom = (peer: string): { s: bigint; b: bigint } => {
    if (peer === node) return keys.setup?.own as { s: bigint; b: bigint };
    const box = input.boxes.find((x) => x.from === peer);
    const peerKeys = keys.peers?.get(peer);
    if (box === undefined || peerKeys === undefined) {
      throw new MeridianError('MER_FED_INVALID_TASK', `the recovery request lacks the share box from ${peer}`, {
        peer,
      });
    }
    const plain = openShareBox({
      privateKey: keys.encryptionKey,
      peerPublicKey: peerKeys.encryptionKey,
      labels: { taskHash, from: peer, to: node },
      box: Buffer.from(box.box, 'hex'),
    });
    const s = fieldElementFromBytes(plain.subarray(0, 32));
    const b = fieldElementFromBytes(plain.subarray(32, 64));
    if (plain.length !== 64 || s === undefined || b === undefined) {
      throw new MeridianError('MER_FED_BAD_ANSWER', `the share box from ${peer} holds no shares`, { peer });
    }
    return { s, b };
  };
  const hex = (v: bigint) => fieldElementToBytes(v).toString('hex');
  const answer: RecoveryAnswer = {
    b: input.recover.survivors.map((v) => ({ of: v, share: hex(sharesFrom(v).b) })),
    s: input.recover.dropped.map((d) => ({ of: d, share: hex(sharesFrom(d).s) })),
  };
  keys.rules = next;
  return answer;
}

/** Refuses a data round whose peer keys differ from those the node handed its shares out under. */
export function requireSetupKeys(keys: RecoveryKeys, peers: readonly { id: string; publicKey: KeyObject }[]): void {
  for (const p of peers) {
    const known = keys.peers?.get(p.id);
    if (known === undefined || !publicKeyToRaw(known.publicKey).equals(publicKeyToRaw(p.publicKey))) {
      throw new MeridianError('MER_FED_BAD_ANSWER', `the round carries another key for ${p.id} than the setup round`, {
        node: p.id,
      });
    }
  }
}

/** Peer keys from verified key answers (every hospital must have published its encryption key). */
export function peerKeysOf(
  answers: ReadonlyMap<string, { publicKey: string; encryptionKey?: string | undefined }>,
): Map<string, PeerKeys> {
  const out = new Map<string, PeerKeys>();
  for (const [node, a] of answers) {
    if (a.encryptionKey === undefined) {
      throw new MeridianError('MER_FED_BAD_ANSWER', `the key answer of ${node} has no share-encryption key`, { node });
    }
    out.set(node, {
      publicKey: publicKeyFromRaw(Buffer.from(a.publicKey, 'hex')),
      encryptionKey: publicKeyFromRaw(Buffer.from(a.encryptionKey, 'hex')),
    });
  }
  return out;
}
