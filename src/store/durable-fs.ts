/**
 * File helpers for crash-safe writes: fsync a file or a directory, and a lock file that names the process
 * holding a data directory, so a second process (or a second open in the same process) is refused instead
 * of corrupting it.
 */
import { closeSync, fsyncSync, openSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { MeridianError } from '../errors/registry.ts';

/** Flushes a file's data and metadata to stable storage. */
export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** True when a process with this id exists (a zombie counts; EPERM means it exists under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A held directory lock; `release()` removes the lock file if it is still this process's. */
export interface DirLock {
  release(): void;
}

/**
 * Takes `lockPath` for this process (O_EXCL create, pid inside). A lock left by a dead process is taken
 * over; one held by a live process, this one included, is refused with MER_STORE_UNAVAILABLE.
 */
export function acquireDirLock(lockPath: string, what: string): DirLock {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      try {
        writeSync(fd, `${process.pid}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      return {
        release: () => {
          if (readLockFile(lockPath).trim() === String(process.pid)) unlinkSync(lockPath);
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = Number.parseInt(readLockFile(lockPath), 10);
    if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) {
      throw new MeridianError(
        'MER_STORE_UNAVAILABLE',
        `The ${what} is in use by process ${holder}${holder === process.pid ? ' (this process)' : ''}; ` +
          `if no such process runs Meridian, delete ${lockPath}`,
        { lockPath, pid: holder },
      );
    }
    rmSync(lockPath, { force: true });
  }
  throw new MeridianError('MER_STORE_UNAVAILABLE', `Could not take the lock ${lockPath}: it keeps reappearing`, {
    lockPath,
  });
}

function readLockFile(lockPath: string): string {
  try {
    return readFileSync(lockPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}
