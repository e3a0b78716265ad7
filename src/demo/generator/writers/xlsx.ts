/**
 * A streaming single-sheet .xlsx writer (Office Open XML SpreadsheetML): inline strings, numbers, and
 * numbers with a date format (Excel serial days, as hospital spreadsheets hold dates). Rows go straight
 * into the compressed sheet entry, so a sheet of any length needs constant memory. Deterministic bytes.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import type { WrittenFile } from './text-sink.ts';
import { ZipWriter } from './zip.ts';

/** One cell: text, a number, a date-formatted serial, or empty. */
export type XlsxCell = { t: 's'; v: string } | { t: 'n'; v: number } | { t: 'd'; v: number } | null;

/** Characters of sheet XML buffered before compression. */
const FLUSH_CHARS_MAX = 1 << 19;

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const NS_MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const NS_REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const NS_PKG_REL = 'http://schemas.openxmlformats.org/package/2006/relationships';

/** Writes one workbook with one sheet. */
export class XlsxWriter {
  readonly path: string;
  #zip: ZipWriter;
  #row = 0;
  #buf: string[] = [];
  #pending = 0;

  constructor(path: string, sheetName: string) {
    this.path = path;
    this.#zip = new ZipWriter(path);
    const add = (name: string, xml: string): void => this.#zip.addFile(name, Buffer.from(XML_HEAD + xml, 'utf8'));
    add(
      '[Content_Types].xml',
      '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' +
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
        '</Types>',
    );
    add(
      '_rels/.rels',
      `<Relationships xmlns="${NS_PKG_REL}"><Relationship Id="rId1" Type="${NS_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    );
    add(
      'xl/workbook.xml',
      `<workbook xmlns="${NS_MAIN}" xmlns:r="${NS_REL}"><sheets><sheet name="${escapeXml(sheetName)}" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    );
    add(
      'xl/_rels/workbook.xml.rels',
      `<Relationships xmlns="${NS_PKG_REL}">` +
        `<Relationship Id="rId1" Type="${NS_REL}/worksheet" Target="worksheets/sheet1.xml"/>` +
        `<Relationship Id="rId2" Type="${NS_REL}/styles" Target="styles.xml"/></Relationships>`,
    );
    add(
      'xl/styles.xml',
      `<styleSheet xmlns="${NS_MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>` +
        '<fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts>' +
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
        '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' +
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>' +
        '<cellStyles count="1"><cellStyle name="常规" xfId="0" builtinId="0"/></cellStyles></styleSheet>',
    );
    this.#zip.beginEntry('xl/worksheets/sheet1.xml');
    this.#push(`${XML_HEAD}<worksheet xmlns="${NS_MAIN}" xmlns:r="${NS_REL}"><sheetData>`);
  }

  /** Appends one row. */
  addRow(cells: readonly XlsxCell[]): void {
    this.#row++;
    let xml = `<row r="${this.#row}">`;
    cells.forEach((cell, i) => {
      if (cell === null) return;
      const ref = columnName(i) + this.#row;
      if (cell.t === 's')
        xml += `<c r="${ref}" t="inlineStr"><is><t xml:space="preserve">${escapeXml(cell.v)}</t></is></c>`;
      else if (cell.t === 'n') xml += `<c r="${ref}"><v>${cell.v}</v></c>`;
      else xml += `<c r="${ref}" s="1"><v>${cell.v}</v></c>`;
    });
    this.#push(`${xml}</row>`);
  }

  /** Finishes the workbook and returns its size and SHA-256. */
  close(): WrittenFile {
    this.#push('</sheetData></worksheet>');
    this.#flush();
    this.#zip.endEntry();
    this.#zip.close();
    return hashFile(this.path);
  }

  #push(xml: string): void {
    this.#buf.push(xml);
    this.#pending += xml.length;
    if (this.#pending >= FLUSH_CHARS_MAX) this.#flush();
  }

  #flush(): void {
    if (this.#buf.length === 0) return;
    this.#zip.writeEntry(Buffer.from(this.#buf.join(''), 'utf8'));
    this.#buf = [];
    this.#pending = 0;
  }
}

/** "A", "B", …, "Z", "AA", … for a zero-based column index. */
export function columnName(index: number): string {
  let n = index + 1;
  let s = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : '&quot;'));
}

/** Size and SHA-256 of a file on disk, read in bounded chunks. */
export function hashFile(path: string): WrittenFile {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(1 << 20);
  let bytes = 0;
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    hash.update(buf.subarray(0, n));
    bytes += n;
  }
  closeSync(fd);
  return { bytes, sha256: hash.digest('hex') };
}
