/** A least-recently-used map with a fixed capacity, for the ledger's caches of verified and parsed values. */

/** A least-recently-used map with a fixed capacity. */
export class BoundedLru<K, V> {
  readonly #map = new Map<K, V>();
  readonly #capacity: number;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('an LRU capacity is a positive integer');
    this.#capacity = capacity;
  }

  /** The value at `key` (and marks it most recently used), or undefined. */
  get(key: K): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }

  /** Stores `value` at `key`, evicting the least recently used entry when full. */
  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.#capacity) {
      const oldest = this.#map.keys().next();
      if (oldest.done !== true) this.#map.delete(oldest.value);
    }
  }

  /** Number of entries held. */
  get size(): number {
    return this.#map.size;
  }
}
