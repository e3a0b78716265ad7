/**
 * A minimal PDF 1.4 writer for report pages drawn in the browser: each page is one JPEG image (DCTDecode, so the
 * JPEG bytes go in unchanged) scaled to fit an A4 page, and the file is the classic layout — header, numbered
 * objects, a cross-reference table with every object's byte offset, trailer, startxref. Text is part of the
 * page images (the browser's fonts draw Chinese), so the writer needs no font embedding. Pure: bytes in, bytes out.
 *
 * ```
 * %PDF-1.4
 * 1 0 obj Catalog → 2 0 obj Pages [page…] · 3 0 obj Info
 * per page: Page (MediaBox A4, /Im0) · Contents ("q w 0 0 h x y cm /Im0 Do Q") · Image XObject (DCTDecode)
 * xref (offsets) · trailer << /Size /Root /Info >> · startxref · %%EOF
 * ```
 * See docs/decisions/0014-pdf-report-in-browser.md.
 */

/** A4 width in PDF points (1/72 inch). */
export const A4_WIDTH_PT = 595.28;
/** A4 height in PDF points. */
export const A4_HEIGHT_PT = 841.89;
/** Most pages one report may have. */
export const PDF_PAGES_MAX = 200;

/** One page: a JPEG image (its size is read from the JPEG itself). */
export interface PdfPageImage {
  jpeg: Uint8Array;
}

/** The document information dictionary's fields (any language: written as UTF-16BE strings). */
export interface PdfInfo {
  title?: string;
  author?: string;
  subject?: string;
  /** The creation time, ISO 8601 (the caller's clock; the writer has none). */
  createdAt?: string;
}

/** The pixel size and components of a JPEG, read from its start-of-frame marker. */
export interface JpegSize {
  width: number;
  height: number;
  components: 1 | 3 | 4;
}

/** Reads a baseline or progressive JPEG's size; throws when the bytes are not a JPEG with a frame header. */
export function jpegSize(bytes: Uint8Array): JpegSize {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new Error('not a JPEG: no start-of-image marker');
  let i = 2;
  while (i + 4 <= bytes.length) {
    if (bytes[i] !== 0xff) throw new Error(`not a JPEG: no marker at byte ${i}`);
    const marker = bytes[i + 1] as number;
    if (marker === 0xff) {
      i += 1;
      continue;
    }
    const length = ((bytes[i + 2] as number) << 8) | (bytes[i + 3] as number);
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (i + 9 >= bytes.length) break;
      const height = ((bytes[i + 5] as number) << 8) | (bytes[i + 6] as number);
      const width = ((bytes[i + 7] as number) << 8) | (bytes[i + 8] as number);
      const components = bytes[i + 9] as number;
      if (width === 0 || height === 0) throw new Error('JPEG frame has no size');
      if (components !== 1 && components !== 3 && components !== 4) {
        throw new Error(`JPEG with ${components} components`);
      }
      return { width, height, components };
    }
    i += 2 + length;
  }
  throw new Error('not a JPEG: no start-of-frame marker');
}

const encoder = new TextEncoder();

/** A PDF text string: ASCII as a literal, anything else as UTF-16BE hex with a byte-order mark. */
export function pdfString(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return `(${text.replace(/[\\()]/g, (c) => `\\${c}`)})`;
  let hex = 'FEFF';
  for (let i = 0; i < text.length; i++) hex += text.charCodeAt(i).toString(16).padStart(4, '0').toUpperCase();
  return `<${hex}>`;
}

/** An ISO time as a PDF date `D:YYYYMMDDHHmmSSZ` (UTC). */
function pdfDate(iso: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/.exec(iso);
  return m ? `D:${m[1]}${m[2]}${m[3]}${m[4]}${m[5]}${m[6]}Z` : null;
}

const fmt = (n: number) => (Math.round(n * 100) / 100).toString();

/** Writes the PDF: one A4 page per image, each image centred and scaled to fit the page. */
export function writePdf(pages: readonly PdfPageImage[], info: PdfInfo = {}): Uint8Array {
  if (pages.length === 0) throw new Error('a PDF needs at least one page');
  if (pages.length > PDF_PAGES_MAX) throw new Error(`a report has at most ${PDF_PAGES_MAX} pages`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const push = (part: string | Uint8Array) => {
    const bytes = typeof part === 'string' ? encoder.encode(part) : part;
    chunks.push(bytes);
    size += bytes.length;
  };
  const offsets: number[] = [];
  const object = (id: number, body: string, stream?: Uint8Array) => {
    offsets[id] = size;
    push(`${id} 0 obj\n${body}\n`);
    if (stream) {
      push('stream\n');
      push(stream);
      push('\nendstream\n');
    }
    push('endobj\n');
  };

  // Binary comment: marks the file as binary for transfer tools.
  push('%PDF-1.4\n');
  push(new Uint8Array([0x25, 0xe2, 0xe3, 0xcf, 0xd3, 0x0a]));

  const first = 4;
  const pageIds = pages.map((_, i) => first + i * 3);
  object(1, '<< /Type /Catalog /Pages 2 0 R >>');
  object(2, `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages.length} >>`);
  const infoFields = [
    info.title === undefined ? '' : `/Title ${pdfString(info.title)}`,
    info.author === undefined ? '' : `/Author ${pdfString(info.author)}`,
    info.subject === undefined ? '' : `/Subject ${pdfString(info.subject)}`,
    '/Producer (Meridian)',
    info.createdAt === undefined || pdfDate(info.createdAt) === null
      ? ''
      : `/CreationDate (${pdfDate(info.createdAt)})`,
  ].filter((f) => f !== '');
  object(3, `<< ${infoFields.join(' ')} >>`);

  pages.forEach((page, i) => {
    const pageId = pageIds[i] as number;
    const { width, height, components } = jpegSize(page.jpeg);
    const scale = Math.min(A4_WIDTH_PT / width, A4_HEIGHT_PT / height);
    const w = width * scale;
    const h = height * scale;
    const x = (A4_WIDTH_PT - w) / 2;
    const y = (A4_HEIGHT_PT - h) / 2;
    const content = encoder.encode(`q ${fmt(w)} 0 0 ${fmt(h)} ${fmt(x)} ${fmt(y)} cm /Im0 Do Q`);
    const colorSpace = components === 1 ? '/DeviceGray' : components === 3 ? '/DeviceRGB' : '/DeviceCMYK';
    object(
      pageId,
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${A4_WIDTH_PT} ${A4_HEIGHT_PT}] ` +
        `/Resources << /XObject << /Im0 ${pageId + 2} 0 R >> >> /Contents ${pageId + 1} 0 R >>`,
    );
    object(pageId + 1, `<< /Length ${content.length} >>`, content);
    object(
      pageId + 2,
      `<< /Type /XObject /Subtype /Image /Width ${width} /Height ${height} /ColorSpace ${colorSpace} ` +
        `/BitsPerComponent 8 /Filter /DCTDecode /Length ${page.jpeg.length} >>`,
      page.jpeg,
    );
  });

  const count = first + pages.length * 3;
  const xref = size;
  let table = `xref\n0 ${count}\n0000000000 65535 f \n`;
  for (let id = 1; id < count; id++) table += `${String(offsets[id]).padStart(10, '0')} 00000 n \n`;
  push(table);
  push(`trailer\n<< /Size ${count} /Root 1 0 R /Info 3 0 R >>\nstartxref\n${xref}\n%%EOF\n`);

  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
