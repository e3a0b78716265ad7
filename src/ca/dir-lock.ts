/** A bounded lock file that serializes changes to a CA directory across processes. */
import { open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MeridianError } from '../errors/registry.ts';

/** How long a change waits for another process holding the CA lock. */
const LOCK_WAIT_MS_MAX = 10_000;
/** A lock older than this is left over from a crashed process and may be broken. */
const LOCK_STALE_MS = 60_000;
/** Pause between attempts to take the lock. */
const LOCK_RETRY_MS = 25;

/** Runs `fn` while holding `<dir>/.lock`, so two processes never change the same CA at once. */
export async function withDirLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lockPath = join(dir, '.lock');
  const deadline = Date.now() + LOCK_WAIT_MS_MAX;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`, 'utf8');
      } finally {
        await handle.close();
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const info = await stat(lockPath).catch(() => null);
    if (info && Date.now() - info.mtimeMs > LOCK_STALE_MS) {
      await rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      throw new MeridianError('MER_CA_BUSY', `the CA directory ${dir} is locked by another process (${lockPath})`, {
        lockPath,
      });
    }
    await sleep(LOCK_RETRY_MS);
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}
