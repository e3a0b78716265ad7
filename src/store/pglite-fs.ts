/**
 * PGlite's on-disk filesystem with a working fsync.
 *
 * PGlite 0.5 mounts the data directory through Emscripten's NODEFS, whose writes go straight to the kernel
 * (`fs.writeSync`), so a committed transaction already survives a *process* crash. But it starts Postgres
 * with `-F` (fsync off), and NODEFS has no fsync operation anyway, so nothing ever reaches stable storage
 * until the kernel flushes on its own: an OS crash or power cut can lose commits, or corrupt the cluster
 * after a checkpoint. This filesystem adds the missing fsync (a real `fsync(2)` on the file descriptor), and
 * {@link DURABLE_START_PARAMS} turns Postgres' fsync back on with `wal_sync_method=fsync` (Emscripten's
 * fdatasync is a no-op, its fsync reaches us). Every commit then flushes the WAL before it is acknowledged.
 */
import { fsyncSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { NodeFS } from '@electric-sql/pglite/nodefs';

interface NodefsStream {
  nfd?: number;
}

interface NodefsShape {
  stream_ops: { fsync?: (stream: NodefsStream) => number };
  tryFSOperation<T>(fn: () => T): T;
}

/** PGlite's default start parameters with fsync on and the WAL flushed through fsync(2). */
export const DURABLE_START_PARAMS: readonly string[] = [
  ...PGlite.defaultStartParams.filter((param) => param !== '-F'),
  '-c',
  'fsync=on',
  '-c',
  'wal_sync_method=fsync',
];

/** NodeFS whose fsync reaches the disk; counts the fsyncs so tests can see commits being flushed. */
export class DurableNodeFS extends NodeFS {
  #syncCount = 0;

  /** How many fsync(2) calls Postgres made through this filesystem. */
  get syncCount(): number {
    return this.#syncCount;
  }

  /** Mounts the directory like NodeFS, then gives NODEFS streams an fsync (checked: fails loudly if absent). */
  override async init(pg: PGlite, opts: Parameters<NodeFS['init']>[1]): ReturnType<NodeFS['init']> {
    const result = await super.init(pg, opts);
    const preRun = result.emscriptenOpts.preRun ?? [];
    result.emscriptenOpts.preRun = [...preRun, (mod: unknown) => this.#addFsync(mod)];
    return result;
  }

  #addFsync(mod: unknown): void {
    const nodefs = (mod as { NODEFS?: NodefsShape }).NODEFS;
    if (!nodefs?.stream_ops || typeof nodefs.tryFSOperation !== 'function') {
      throw new Error('PGlite changed: Emscripten NODEFS is not where DurableNodeFS expects it; fsync unavailable');
    }
    nodefs.stream_ops.fsync = (stream) =>
      nodefs.tryFSOperation(() => {
        this.#syncCount++;
        if (stream.nfd !== undefined) fsyncSync(stream.nfd);
        return 0;
      });
  }
}
