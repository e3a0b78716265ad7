import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { A4_HEIGHT_PT, A4_WIDTH_PT, jpegSize, pdfString, writePdf } from '../../web/src/report/pdf.ts';

/** A structurally valid JPEG: SOI, an APP0 segment, a baseline frame header of the given size, filler, EOI. */
function fakeJpeg(width: number, height: number, filler = 50): Uint8Array {
  const app0 = [
    0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
  ];
  const sof = [0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x03];
  for (let c = 1; c <= 3; c++) sof.push(c, 0x11, 0x00);
  // Filler holds every byte value, "endstream" and "%%EOF" included, so a parser must trust /Length.
  const body = [
    ...new TextEncoder().encode('endstream\n%%EOF\n'),
    ...Array.from({ length: filler }, (_, i) => i % 256),
  ];
  return new Uint8Array([0xff, 0xd8, ...app0, ...sof, 0xff, 0xda, 0x00, 0x02, ...body, 0xff, 0xd9]);
}

const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

interface Parsed {
  objects: Map<number, { offset: number; dict: string; stream: Uint8Array | null }>;
  trailer: string;
  size: number;
}

/** Parses the PDF through its cross-reference table, as a reader does (never by scanning for objects). */
function parsePdf(bytes: Uint8Array): Parsed {
  const text = latin1(bytes);
  assert.ok(text.startsWith('%PDF-1.4\n'), 'header');
  assert.ok(text.endsWith('%%EOF\n'), 'ends with %%EOF');
  const startxref = /startxref\n(\d+)\n%%EOF\n$/.exec(text);
  assert.ok(startxref, 'startxref');
  const xrefAt = Number(startxref[1]);
  assert.equal(text.slice(xrefAt, xrefAt + 5), 'xref\n', 'startxref points at the xref table');
  const head = /^xref\n0 (\d+)\n/.exec(text.slice(xrefAt));
  assert.ok(head, 'xref subsection header');
  const size = Number(head[1]);
  const entriesAt = xrefAt + head[0].length;
  const objects: Parsed['objects'] = new Map();
  for (let id = 0; id < size; id++) {
    const entry = text.slice(entriesAt + id * 20, entriesAt + (id + 1) * 20);
    assert.match(entry, /^\d{10} \d{5} [fn] \n$/, `xref entry ${id} is 20 bytes`);
    if (id === 0) {
      assert.equal(entry, '0000000000 65535 f \n');
      continue;
    }
    const offset = Number(entry.slice(0, 10));
    const header = `${id} 0 obj\n`;
    assert.equal(text.slice(offset, offset + header.length), header, `object ${id} sits at its offset`);
    const dictStart = offset + header.length;
    const dictEnd = text.indexOf('\n', dictStart);
    const dict = text.slice(dictStart, dictEnd);
    let stream: Uint8Array | null = null;
    if (text.startsWith('stream\n', dictEnd + 1)) {
      const length = /\/Length (\d+)/.exec(dict);
      assert.ok(length, `object ${id} stream has /Length`);
      const from = dictEnd + 1 + 'stream\n'.length;
      stream = bytes.slice(from, from + Number(length[1]));
      assert.equal(
        text.slice(from + Number(length[1]), from + Number(length[1]) + 18),
        '\nendstream\nendobj\n',
        `object ${id} /Length matches`,
      );
    } else {
      assert.equal(text.slice(dictEnd + 1, dictEnd + 8), 'endobj\n', `object ${id} ends`);
    }
    objects.set(id, { offset, dict, stream });
  }
  const trailer = text.slice(entriesAt + size * 20);
  assert.match(trailer, /^trailer\n<< \/Size (\d+) \/Root 1 0 R \/Info 3 0 R >>\n/);
  assert.equal(Number(/\/Size (\d+)/.exec(trailer)?.[1]), size, 'trailer /Size is the xref size');
  return { objects, trailer, size };
}

test('a report PDF parses through its xref: header, offsets, /Length, trailer, page count', () => {
  const pages = [fakeJpeg(1240, 1754), fakeJpeg(1240, 1754, 300), fakeJpeg(800, 600)];
  const pdf = writePdf(
    pages.map((jpeg) => ({ jpeg })),
    { title: '逻辑回归报告 GLM', createdAt: '2026-11-25T10:00:00.000Z' },
  );
  const { objects } = parsePdf(pdf);
  const catalog = objects.get(1);
  assert.equal(catalog?.dict, '<< /Type /Catalog /Pages 2 0 R >>');
  const tree = objects.get(2)?.dict ?? '';
  assert.match(tree, /\/Count 3 /);
  const kids = [...tree.matchAll(/(\d+) 0 R/g)].map((m) => Number(m[1]));
  assert.equal(kids.length, 3);
  kids.forEach((id, i) => {
    const page = objects.get(id)?.dict ?? '';
    assert.match(page, /\/Type \/Page /);
    assert.match(page, new RegExp(`/MediaBox \\[0 0 ${A4_WIDTH_PT} ${A4_HEIGHT_PT}\\]`));
    const imageId = Number(/\/Im0 (\d+) 0 R/.exec(page)?.[1]);
    const image = objects.get(imageId);
    assert.match(image?.dict ?? '', /\/Subtype \/Image .*\/Filter \/DCTDecode/);
    assert.deepEqual(image?.stream, pages[i], 'the JPEG bytes are embedded unchanged');
    const contentId = Number(/\/Contents (\d+) 0 R/.exec(page)?.[1]);
    assert.match(
      latin1(objects.get(contentId)?.stream ?? new Uint8Array()),
      /^q [\d.]+ 0 0 [\d.]+ [\d.]+ [\d.]+ cm \/Im0 Do Q$/,
    );
  });
  const info = objects.get(3)?.dict ?? '';
  assert.match(info, /\/Title <FEFF903B8F9156DE5F5262A5544A00200047004C004D>/);
  assert.match(info, /\/CreationDate \(D:20261125100000Z\)/);
});

test('an image fills A4 keeping its aspect ratio, centred', () => {
  const { objects } = parsePdf(writePdf([{ jpeg: fakeJpeg(800, 600) }]));
  const content = latin1(objects.get(5)?.stream ?? new Uint8Array());
  const [w, , , h, x, y] = content.split(' ').slice(1, 7).map(Number) as number[];
  assert.ok(Math.abs((w as number) - A4_WIDTH_PT) < 0.01);
  assert.ok(Math.abs((w as number) / (h as number) - 800 / 600) < 0.001);
  assert.equal(x, 0);
  assert.ok(Math.abs((y as number) - (A4_HEIGHT_PT - (h as number)) / 2) < 0.01);
});

test('any number of pages and image sizes gives a PDF whose xref holds', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({ w: fc.integer({ min: 1, max: 4000 }), h: fc.integer({ min: 1, max: 4000 }), n: fc.nat(600) }),
        {
          minLength: 1,
          maxLength: 6,
        },
      ),
      (specs) => {
        const { objects, size } = parsePdf(writePdf(specs.map((s) => ({ jpeg: fakeJpeg(s.w, s.h, s.n) }))));
        assert.equal(size, 4 + specs.length * 3);
        assert.match(objects.get(2)?.dict ?? '', new RegExp(`/Count ${specs.length} `));
      },
    ),
    { numRuns: 100 },
  );
});

test('the JPEG frame header gives the image size; anything else is refused', () => {
  assert.deepEqual(jpegSize(fakeJpeg(321, 123)), { width: 321, height: 123, components: 3 });
  assert.throws(() => jpegSize(new Uint8Array([0x89, 0x50, 0x4e, 0x47])), /not a JPEG/);
  assert.throws(() => jpegSize(new Uint8Array([0xff, 0xd8, 0xff, 0xd9])), /not a JPEG/);
  assert.throws(() => writePdf([]), /at least one page/);
});

test('text strings: ASCII escaped as literals, anything else as UTF-16BE with a BOM', () => {
  assert.equal(pdfString('a (b) \\ c'), '(a \\(b\\) \\\\ c)');
  assert.equal(pdfString('队列'), '<FEFF961F5217>');
});
