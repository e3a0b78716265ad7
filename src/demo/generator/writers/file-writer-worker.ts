/**
 * Writes many small files (DICOM headers) on a worker thread, so the kernel's per-file cost of creating an
 * inode overlaps with generating the next patients on the main thread. The worker is plain JavaScript
 * (evaluated from a string, so it needs no TypeScript loader); content and names are decided on the main
 * thread, so the output is as deterministic as a synchronous write. Back-pressure: `drain(limit)` waits
 * until at most `limit` files are still queued.
 */
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { writeFileSync } = require('node:fs');
let done = 0;
let failed = null;
parentPort.on('message', (m) => {
  if (m.kind === 'file') {
    if (failed === null) {
      try { writeFileSync(m.path, m.bytes); } catch (e) { failed = String(e && e.message || e); }
    }
    done++;
    if (done % 64 === 0 || failed !== null) parentPort.postMessage({ kind: 'progress', done, failed });
  } else if (m.kind === 'sync') {
    parentPort.postMessage({ kind: 'progress', done, failed });
  }
});
`;

/** Files queued on the worker before `add` callers should drain (each is a few hundred bytes). */
export const FILE_QUEUE_MAX = 4096;

/** A queue of file writes executed on one worker thread. */
export class BackgroundFileWriter {
  #worker: Worker;
  #sent = 0;
  #done = 0;
  #failed: string | null = null;
  #waiters: { until: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  #closed = false;

  constructor() {
    this.#worker = new Worker(WORKER_SOURCE, { eval: true });
    // Unreferenced except while someone waits on it, so an abandoned generation never keeps the process alive.
    this.#worker.unref();
    this.#worker.on('message', (m: { kind: string; done: number; failed: string | null }) => {
      this.#done = m.done;
      if (m.failed !== null) this.#failed = m.failed;
      this.#settle();
    });
    this.#worker.on('error', (e) => {
      this.#failed = e.message;
      this.#settle();
    });
  }

  /** Queues one file (the bytes are copied to the worker). */
  write(path: string, bytes: Buffer): void {
    assert(!this.#closed, 'write after close');
    this.#worker.postMessage({ kind: 'file', path, bytes });
    this.#sent++;
  }

  /** Resolves when at most `limit` files are still queued; rejects if a write failed. */
  async drain(limit = FILE_QUEUE_MAX): Promise<void> {
    if (this.#failed !== null) throw new Error(`writing a file failed: ${this.#failed}`);
    if (this.#sent - this.#done <= limit) return;
    this.#worker.ref();
    try {
      await new Promise<void>((resolve, reject) => {
        this.#waiters.push({ until: this.#sent - limit, resolve, reject });
        this.#worker.postMessage({ kind: 'sync' });
      });
    } finally {
      this.#worker.unref();
    }
  }

  /** Stops the worker without waiting (after an error elsewhere). */
  abort(): void {
    this.#closed = true;
    void this.#worker.terminate();
  }

  /** Waits for every queued file, then stops the worker. */
  async close(): Promise<void> {
    try {
      await this.drain(0);
    } finally {
      this.#closed = true;
      await this.#worker.terminate();
    }
  }

  #settle(): void {
    const pending = this.#waiters;
    this.#waiters = [];
    for (const w of pending) {
      if (this.#failed !== null) w.reject(new Error(`writing a file failed: ${this.#failed}`));
      else if (this.#done >= w.until) w.resolve();
      else this.#waiters.push(w);
    }
  }
}
