/** Opening and reading source files with one clear, file-naming `MeridianError` for every file-level failure. */
import { type FileHandle, open } from 'node:fs/promises';
import { MeridianError } from '../errors/registry.ts';

/** Bytes read per `read()` call when streaming a file. */
export const CHUNK_BYTES = 256 * 1024;

/** An open source file: its handle and size in bytes. */
export interface OpenedFile {
  handle: FileHandle;
  size: number;
}

/** Words for the OS errors a steward can act on (never a stack trace). */
function describeOsError(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    default:
      return typeof code === 'string' ? `${code}` : 'read error';
  }
}

/** The file-level error for an unreadable file. */
export function unreadable(file: string, e: unknown): MeridianError {
  return new MeridianError('MER_SOURCE_UNREADABLE', `Cannot read source file ${file}: ${describeOsError(e)}`, {
    file,
  });
}

/** Opens `file` for reading; unreadable, not a regular file, or zero bytes is a file-level error. */
export async function openSourceFile(file: string): Promise<OpenedFile> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (e) {
    throw unreadable(file, e);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw unreadable(file, { code: st.isDirectory() ? 'EISDIR' : 'not a regular file' });
    if (st.size === 0) throw new MeridianError('MER_SOURCE_EMPTY', `Source file ${file} is empty (0 bytes)`, { file });
    return { handle, size: st.size };
  } catch (e) {
    await handle.close();
    if (e instanceof MeridianError) throw e;
    throw unreadable(file, e);
  }
}

/** Reads up to `bytes` bytes from the start of an open file. */
export async function readHead(handle: FileHandle, bytes: number, file: string): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(bytes);
  let filled = 0;
  try {
    while (filled < bytes) {
      const { bytesRead } = await handle.read(buf, filled, bytes - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
  } catch (e) {
    throw unreadable(file, e);
  }
  return buf.subarray(0, filled);
}

/** Streams a file from `start` in chunks of `chunkBytes`; each chunk is a fresh buffer the caller may keep. */
export async function* readChunks(
  handle: FileHandle,
  file: string,
  start = 0,
  chunkBytes = CHUNK_BYTES,
): AsyncGenerator<Buffer> {
  let position = start;
  for (;;) {
    const buf = Buffer.allocUnsafe(chunkBytes);
    let bytesRead: number;
    try {
      ({ bytesRead } = await handle.read(buf, 0, chunkBytes, position));
    } catch (e) {
      throw unreadable(file, e);
    }
    if (bytesRead === 0) return;
    position += bytesRead;
    yield bytesRead === chunkBytes ? buf : buf.subarray(0, bytesRead);
  }
}
