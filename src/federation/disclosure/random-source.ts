/**
 * Randomness enters disclosure control only as an argument: a `RandomBytes` function. Releases use
 * `cryptoRandomBytes` (the OS CSPRNG); tests and replayable simulations use `seededRandomBytes`, an AES-256-CTR
 * keystream, so every sample is reproducible from its seed. `RandomDraws` turns bytes into exact uniform
 * integers (rejection sampling, no modulo bias), rational Bernoulli trials and open-interval doubles.
 */
import assert from 'node:assert/strict';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';

/** A source of independent uniform random bytes: each call returns `length` fresh bytes. */
export type RandomBytes = (length: number) => Uint8Array;

/** Bytes fetched from the source at a time (a draw needs at most a few; the rest waits in the buffer). */
const CHUNK_BYTES = 256;

/** Largest bound `uniformInt` takes on its number path (above it, bigint). */
const UINT32_RANGE = 2 ** 32;

/** The production source: the operating system's CSPRNG through node:crypto. */
export const cryptoRandomBytes: RandomBytes = (length) => randomBytes(length);

/** A deterministic byte stream from a seed (AES-256-CTR keystream under SHA-256 of it): for tests, never for releases. */
export function seededRandomBytes(seed: string): RandomBytes {
  const key = createHash('sha256').update(`meridian/seeded-random/v1\u0000${seed}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return (length) => cipher.update(Buffer.alloc(length));
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** Exact draws from a byte source: uniform integers, fair coins, rational Bernoulli trials, doubles in (0, 1). */
export class RandomDraws {
  readonly #source: RandomBytes;
  #buffer: Uint8Array = new Uint8Array(0);
  #position = 0;

  constructor(source: RandomBytes) {
    this.#source = source;
  }

  #byte(): number {
    if (this.#position >= this.#buffer.length) {
      const fresh = this.#source(CHUNK_BYTES);
      assert.equal(fresh.length, CHUNK_BYTES, 'the random source returned fewer bytes than asked');
      this.#buffer = fresh;
      this.#position = 0;
    }
    return this.#buffer[this.#position++] as number;
  }

  /** A uniform integer in [0, n) for a whole n from 1 to 2^32, by masked rejection (no modulo bias). */
  uniformInt(n: number): number {
    assert.ok(Number.isInteger(n) && n >= 1 && n <= UINT32_RANGE, `uniformInt bound ${n} is not in [1, 2^32]`);
    if (n === 1) return 0;
    const bits = Math.ceil(Math.log2(n));
    const range = 2 ** bits;
    const bytes = Math.ceil(bits / 8);
    for (;;) {
      let v = 0;
      for (let i = 0; i < bytes; i++) v = v * 256 + this.#byte();
      v %= range; // range is a power of two dividing 256^bytes, so this keeps v uniform
      if (v < n) return v;
    }
  }

  /** A uniform bigint in [0, n) for any n ≥ 1, by masked rejection. */
  uniformBigInt(n: bigint): bigint {
    assert.ok(n >= 1n, `uniformBigInt bound ${n} is below 1`);
    if (n <= BigInt(UINT32_RANGE)) return BigInt(this.uniformInt(Number(n)));
    const bits = bitLength(n - 1n);
    const bytes = Math.ceil(bits / 8);
    const mask = (1n << BigInt(bits)) - 1n;
    for (;;) {
      let v = 0n;
      for (let i = 0; i < bytes; i++) v = (v << 8n) | BigInt(this.#byte());
      v &= mask;
      if (v < n) return v;
    }
  }

  /** True with probability exactly num/den (0 ≤ num ≤ den, den ≥ 1). */
  bernoulli(num: bigint, den: bigint): boolean {
    assert.ok(den >= 1n && num >= 0n && num <= den, `bernoulli(${num}/${den}) is not a probability`);
    return this.uniformBigInt(den) < num;
  }

  /** A fair coin. */
  bit(): boolean {
    return this.uniformInt(2) === 1;
  }

  /** A uniform double in the open interval (0, 1) on the grid (k + 1/2)/2^53. */
  uniformOpen(): number {
    const high = this.uniformInt(2 ** 26);
    const low = this.uniformInt(2 ** 27);
    return (high * 2 ** 27 + low + 0.5) / 2 ** 53;
  }
}
