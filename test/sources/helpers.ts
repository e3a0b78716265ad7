/** Shared helpers of the source reader tests: temp dirs, collecting items, and DICOM bytes built by hand. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMeridianError } from '../../src/errors/registry.ts';
import type { SourceFile, SourceItem, SourceRecord, SourceReject } from '../../src/sources/types.ts';

/** A fresh temp directory removed after the test; `file(name, bytes)` writes a fixture and returns its path. */
export function fixtures(t: { after(fn: () => void): void }): {
  dir: string;
  file(name: string, data: string | Uint8Array): string;
} {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-sources-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    file(name, data) {
      const path = join(dir, name);
      writeFileSync(path, data);
      return path;
    },
  };
}

/** Every item of a source file, split into records and rejects. */
export async function collect<P extends object>(
  src: SourceFile<P> | Promise<SourceFile<P>>,
): Promise<{ records: SourceRecord<P>[]; rejects: SourceReject[]; items: SourceItem<P>[] }> {
  const file = await src;
  const items: SourceItem<P>[] = [];
  for await (const item of file) items.push(item);
  return {
    items,
    records: items.filter((i): i is SourceRecord<P> => i.kind === 'record'),
    rejects: items.filter((i): i is SourceReject => i.kind === 'reject'),
  };
}

/** Asserts that `p` rejects with a MeridianError of `code` whose message matches `message`. */
export async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isMeridianError(e), `expected a MeridianError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (message) assert.match(e.message, message);
    return true;
  });
}

const SHORT_VRS = new Set([
  'AE',
  'AS',
  'AT',
  'CS',
  'DA',
  'DS',
  'DT',
  'FL',
  'FD',
  'IS',
  'LO',
  'LT',
  'PN',
  'SH',
  'SL',
  'SS',
  'ST',
  'TM',
  'UI',
  'UL',
  'US',
]);

/** One explicit-VR little-endian data element; string values are padded to even length (UI with NUL). */
export function dicomElement(group: number, element: number, vr: string, value: Uint8Array | string): Buffer {
  let v = typeof value === 'string' ? Buffer.from(value, 'latin1') : Buffer.from(value);
  if (v.length % 2 === 1) v = Buffer.concat([v, Buffer.from([vr === 'UI' || vr === 'OB' ? 0 : 0x20])]);
  const tag = Buffer.alloc(4);
  tag.writeUInt16LE(group, 0);
  tag.writeUInt16LE(element, 2);
  if (SHORT_VRS.has(vr)) {
    const len = Buffer.alloc(2);
    len.writeUInt16LE(v.length, 0);
    return Buffer.concat([tag, Buffer.from(vr, 'latin1'), len, v]);
  }
  const len = Buffer.alloc(6);
  len.writeUInt32LE(v.length, 2);
  return Buffer.concat([tag, Buffer.from(vr, 'latin1'), len, v]);
}

/** A DICOM Part 10 file: 128-byte preamble, DICM, file meta group (explicit VR LE), then the data set elements. */
export function dicomFile(opts: { sopInstanceUid: string; dataSet: Buffer[]; transferSyntax?: string }): Buffer {
  const ts = opts.transferSyntax ?? '1.2.840.10008.1.2.1';
  const meta = Buffer.concat([
    dicomElement(0x0002, 0x0001, 'OB', Buffer.from([0, 1])),
    dicomElement(0x0002, 0x0002, 'UI', '1.2.840.10008.5.1.4.1.1.2'),
    dicomElement(0x0002, 0x0003, 'UI', opts.sopInstanceUid),
    dicomElement(0x0002, 0x0010, 'UI', ts),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(meta.length, 0);
  return Buffer.concat([
    Buffer.alloc(128),
    Buffer.from('DICM', 'latin1'),
    dicomElement(0x0002, 0x0000, 'UL', groupLength),
    meta,
    ...opts.dataSet,
  ]);
}
