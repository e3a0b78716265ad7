/**
 * A FIFO async mutex with a bounded wait queue and an optional bounded wait. PGlite is one connection, so
 * every query and every transaction takes this lock; the lake uses one to keep a batch's existence check
 * and its write together.
 */

/** Releases a held lock; calling it twice is a programmer error and throws. */
export type Release = () => void;

/** Options for {@link Mutex}. */
export interface MutexOptions {
  /** Callers allowed to wait at once; one more gets `onQueueFull()` thrown instead of queueing. */
  waitersMax: number;
  /** Builds the error thrown when the wait queue is full. */
  onQueueFull: () => Error;
  /** Longest wait for the lock; a caller waiting longer gets `onWaitTimeout()` thrown. Default: no limit. */
  waitTimeoutMs?: number;
  /** Builds the error thrown when a wait times out. */
  onWaitTimeout?: () => Error;
}

interface Waiter {
  grant(release: Release): void;
}

/** A FIFO async mutex whose wait queue (and optionally each wait) is bounded. */
export class Mutex {
  readonly #options: MutexOptions;
  readonly #waiters: Waiter[] = [];
  #held = false;

  constructor(options: MutexOptions) {
    this.#options = options;
  }

  /** True while someone holds the lock. */
  get held(): boolean {
    return this.#held;
  }

  /** Waits for the lock (first come, first served) and returns its release function. */
  acquire(): Promise<Release> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve(this.#releaser());
    }
    if (this.#waiters.length >= this.#options.waitersMax) return Promise.reject(this.#options.onQueueFull());
    return new Promise((resolve, reject) => {
      const { waitTimeoutMs, onWaitTimeout } = this.#options;
      const timer =
        waitTimeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
              reject(onWaitTimeout?.() ?? new Error(`Waited ${waitTimeoutMs} ms for a lock`));
            }, waitTimeoutMs);
      const waiter: Waiter = {
        grant: (release) => {
          clearTimeout(timer);
          resolve(release);
        },
      };
      this.#waiters.push(waiter);
    });
  }

  /** Runs `fn` while holding the lock. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  #releaser(): Release {
    let released = false;
    return () => {
      if (released) throw new Error('Mutex released twice');
      released = true;
      const next = this.#waiters.shift();
      if (next) next.grant(this.#releaser());
      else this.#held = false;
    };
  }
}
