import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import iconv from 'iconv-lite';
import { type DicomPayload, isDicomUid, openDicom } from '../../src/sources/dicom.ts';
import type { SourceRecord } from '../../src/sources/types.ts';
import { collect, dicomFile, dicomElement as el, fixtures, rejectsWith } from './helpers.ts';

const STUDY = '1.2.156.112605.14038.20240301.1';
const SERIES = '1.2.156.112605.14038.20240301.1.2';
const SOP = '1.2.156.112605.14038.20240301.1.2.3';

/** A CT header in GB18030 (Specific Character Set), then `pixelBytes` of pixel data. */
function ctFile(pixelBytes: number, extra: Buffer[] = []): Buffer {
  return dicomFile({
    sopInstanceUid: SOP,
    dataSet: [
      el(0x0008, 0x0005, 'CS', 'GB18030'),
      el(0x0008, 0x0016, 'UI', '1.2.840.10008.5.1.4.1.1.2'),
      el(0x0008, 0x0018, 'UI', SOP),
      el(0x0008, 0x0020, 'DA', '20240301'),
      el(0x0008, 0x0030, 'TM', '093000'),
      el(0x0008, 0x0050, 'SH', 'ACC0001'),
      el(0x0008, 0x0060, 'CS', 'CT'),
      el(0x0008, 0x0070, 'LO', 'GE MEDICAL SYSTEMS'),
      el(0x0008, 0x0080, 'LO', iconv.encode('第一人民医院', 'gb18030')),
      el(0x0008, 0x1030, 'LO', iconv.encode('胸部CT平扫', 'gb18030')),
      el(0x0010, 0x0010, 'PN', iconv.encode('Zhang^San=张^三', 'gb18030')),
      el(0x0010, 0x0020, 'LO', 'P001'),
      el(0x0010, 0x0030, 'DA', '19800101'),
      el(0x0010, 0x0040, 'CS', 'M'),
      el(0x0018, 0x0015, 'CS', 'CHEST'),
      el(0x0020, 0x000d, 'UI', STUDY),
      el(0x0020, 0x000e, 'UI', SERIES),
      el(0x0020, 0x0013, 'IS', '1'),
      el(0x0028, 0x0010, 'US', Buffer.from([0, 2])),
      ...extra,
      el(0x7fe0, 0x0010, 'OW', Buffer.alloc(pixelBytes, 7)),
    ],
  });
}

test('header tags (GB18030 names decoded), transfer syntax and the SHA-256 of the whole file', async (t) => {
  const fx = fixtures(t);
  const bytes = ctFile(4096);
  const path = fx.file('ct.dcm', bytes);
  const src = await openDicom(path);
  assert.deepEqual(src.info, { layout: 'part10', byteLength: bytes.length });
  const { records, rejects } = await collect(src);
  assert.deepEqual(rejects, []);
  assert.deepEqual(records, [
    {
      kind: 'record',
      position: { kind: 'file', file: path },
      header: {
        tags: {
          SpecificCharacterSet: 'GB18030',
          SOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
          SOPInstanceUID: SOP,
          StudyDate: '20240301',
          StudyTime: '093000',
          AccessionNumber: 'ACC0001',
          Modality: 'CT',
          Manufacturer: 'GE MEDICAL SYSTEMS',
          InstitutionName: '第一人民医院',
          StudyDescription: '胸部CT平扫',
          PatientName: 'Zhang^San=张^三',
          PatientID: 'P001',
          PatientBirthDate: '19800101',
          PatientSex: 'M',
          BodyPartExamined: 'CHEST',
          StudyInstanceUID: STUDY,
          SeriesInstanceUID: SERIES,
          InstanceNumber: '1',
        },
        transferSyntaxUID: '1.2.840.10008.1.2.1',
        sha256: createHash('sha256').update(bytes).digest('hex'),
        byteLength: bytes.length,
        hasPixelData: true,
      },
    },
  ]);
});

test('a large file: only the head is parsed (a 1 MiB head bound is enough for 20 MB of pixels); hash covers all', async (t) => {
  const fx = fixtures(t);
  const bytes = ctFile(20 * 1024 * 1024);
  const path = fx.file('big.dcm', bytes);
  const { records } = await collect<DicomPayload>(openDicom(path, { headBytesMax: 1024 * 1024 }));
  const header = (records[0] as SourceRecord<DicomPayload>).header;
  assert.equal(header.tags.SOPInstanceUID, SOP);
  assert.equal(header.sha256, createHash('sha256').update(bytes).digest('hex'));
});

test('a header longer than the first read is parsed once enough of it has been read', async (t) => {
  const fx = fixtures(t);
  const privateBlob = el(0x0029, 0x1010, 'OB', Buffer.alloc(200_000, 1));
  const path = fx.file('longhead.dcm', ctFile(1000, [privateBlob]));
  const { records, rejects } = await collect<DicomPayload>(openDicom(path, { chunkBytes: 16 * 1024 }));
  assert.deepEqual(rejects, []);
  assert.equal((records[0] as SourceRecord<DicomPayload>).header.tags.StudyInstanceUID, STUDY);
});

test('UTF-8 (ISO_IR 192) and undeclared non-ASCII names; a bare data set without preamble (implicit VR)', async (t) => {
  const fx = fixtures(t);
  const utf8 = dicomFile({
    sopInstanceUid: SOP,
    dataSet: [
      el(0x0008, 0x0005, 'CS', 'ISO_IR 192'),
      el(0x0008, 0x0018, 'UI', SOP),
      el(0x0010, 0x0010, 'PN', Buffer.from('李^四')),
      el(0x0020, 0x000d, 'UI', STUDY),
      el(0x0020, 0x000e, 'UI', SERIES),
    ],
  });
  const a = await collect<DicomPayload>(openDicom(fx.file('utf8.dcm', utf8)));
  assert.equal((a.records[0] as SourceRecord<DicomPayload>).header.tags.PatientName, '李^四');
  assert.equal((a.records[0] as SourceRecord<DicomPayload>).header.hasPixelData, false);

  // Implicit VR little endian: tag, 4-byte length, value.
  const implicit = (group: number, element: number, value: Buffer | string) => {
    const v = Buffer.from(value);
    const padded = v.length % 2 ? Buffer.concat([v, Buffer.from([0])]) : v;
    const h = Buffer.alloc(8);
    h.writeUInt16LE(group, 0);
    h.writeUInt16LE(element, 2);
    h.writeUInt32LE(padded.length, 4);
    return Buffer.concat([h, padded]);
  };
  const raw = Buffer.concat([
    implicit(0x0008, 0x0018, SOP),
    implicit(0x0008, 0x0060, 'MR'),
    implicit(0x0010, 0x0010, iconv.encode('王^五', 'gb18030')),
    implicit(0x0020, 0x000d, STUDY),
    implicit(0x0020, 0x000e, SERIES),
  ]);
  const src = await openDicom(fx.file('IM0001', raw));
  assert.equal(src.info.layout, 'raw');
  const b = await collect<DicomPayload>(src);
  const h = (b.records[0] as SourceRecord<DicomPayload>).header;
  assert.deepEqual([h.tags.Modality, h.tags.PatientName, h.transferSyntaxUID], ['MR', '王^五', '1.2.840.10008.1.2']);
});

test('corrupt, truncated or UID-less DICOM is a reject; non-DICOM and empty files are clear errors', async (t) => {
  const fx = fixtures(t);
  const good = ctFile(64);
  // An element whose length runs far past the end of the file.
  const corrupt = Buffer.concat([good.subarray(0, 300), Buffer.from([0x10, 0x00, 0x10, 0x00, 0x50, 0x4e, 0xff, 0x7f])]);
  const bad = await collect(openDicom(fx.file('corrupt.dcm', corrupt)));
  assert.deepEqual(
    bad.rejects.map((r) => [r.position.kind, r.reason.code]),
    [['file', 'DICOM_CORRUPT']],
  );
  const truncated = await collect(openDicom(fx.file('cut.dcm', good.subarray(0, 250))));
  assert.deepEqual(
    truncated.rejects.map((r) => r.reason.code),
    ['DICOM_CORRUPT'],
  );
  const noUid = dicomFile({
    sopInstanceUid: SOP,
    dataSet: [el(0x0008, 0x0018, 'UI', SOP), el(0x0008, 0x0060, 'CS', 'CT')],
  });
  const missing = await collect(openDicom(fx.file('nouid.dcm', noUid)));
  assert.deepEqual(
    missing.rejects.map((r) => [r.reason.code, r.reason.path]),
    [['DICOM_INVALID_UID', 'StudyInstanceUID']],
  );
  const badUid = dicomFile({
    sopInstanceUid: SOP,
    dataSet: [el(0x0008, 0x0018, 'UI', 'abc'), el(0x0020, 0x000d, 'UI', STUDY), el(0x0020, 0x000e, 'UI', SERIES)],
  });
  const invalid = await collect(openDicom(fx.file('baduid.dcm', badUid)));
  assert.match(invalid.rejects[0]?.reason.message ?? '', /SOPInstanceUID is not a valid UID \("abc"\)/);
  await rejectsWith(openDicom(fx.file('notes.txt', 'just some text, not an image')), 'MER_SOURCE_FORMAT', /not DICOM/);
  await rejectsWith(openDicom(fx.file('empty.dcm', '')), 'MER_SOURCE_EMPTY');
  assert.equal(isDicomUid('1.2.840.10008.1.2'), true);
  assert.equal(isDicomUid(`1.${'2'.repeat(70)}`), false);
});
