/**
 * Draws a report on A4 canvases in the browser (150 dpi) and turns them into a PDF with pdf.ts: a title block,
 * then sections of facts (label: value), wrapped paragraphs, tables (header repeated on each new page, cells
 * cut with an ellipsis) and chart images, with a footer (generated time, page n / N) on every page. The
 * browser's own fonts draw Chinese, so the PDF needs no embedded font.
 */
import { writePdf } from './pdf.ts';

/** Page width in pixels (A4 at 150 dpi). */
const PAGE_W = 1240;
/** Page height in pixels. */
const PAGE_H = 1754;
/** Page margin in pixels. */
const MARGIN = 96;
/** JPEG quality of each page. */
const JPEG_QUALITY = 0.9;
/** Most table rows one report prints (the CSV export has them all). */
const TABLE_ROWS_MAX = 400;
/** The fonts: the portal's stack, Chinese fonts included. */
const FONT_FAMILY =
  "-apple-system, 'Segoe UI', 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC', 'Noto Sans SC', 'WenQuanYi Micro Hei', Arial, sans-serif";

/** One section of a report. */
export type ReportSection =
  | { kind: 'facts'; heading: string; items: readonly { label: string; value: string }[] }
  | { kind: 'paragraphs'; heading: string; lines: readonly string[] }
  | {
      kind: 'table';
      heading: string;
      columns: readonly string[];
      rows: readonly (readonly (string | number)[])[];
      note?: string;
    }
  | { kind: 'image'; heading: string; dataUrl: string };

/** A whole report: title, subtitle lines, sections, and the footer text (generated time). */
export interface ReportContent {
  title: string;
  subtitle: readonly string[];
  sections: readonly ReportSection[];
  footer: string;
  /** Page label, with {n} and {total}. */
  pageLabel: string;
}

const font = (size: number, weight: 'normal' | 'bold' = 'normal') => `${weight} ${size}px ${FONT_FAMILY}`;

/** Splits text into lines no wider than `width`: at spaces for Latin words, between any two CJK characters. */
export function wrapText(measure: (s: string) => number, text: string, width: number): string[] {
  const tokens =
    text.match(/[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+\s*|\s+/g) ?? [];
  const lines: string[] = [];
  let line = '';
  for (const token of tokens) {
    if (measure(line + token) <= width || line === '') {
      line += token;
      continue;
    }
    lines.push(line.trimEnd());
    line = token.trimStart();
  }
  if (line.trim() !== '' || lines.length === 0) lines.push(line.trimEnd());
  return lines;
}

/** Cuts text to fit `width`, ending it with an ellipsis when cut. */
function ellipsize(ctx: CanvasRenderingContext2D, text: string, width: number): string {
  if (ctx.measureText(text).width <= width) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ctx.measureText(`${text.slice(0, mid)}…`).width <= width) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}

function loadImage(src: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('chart image did not load'));
    img.src = src;
  });
}

class Pager {
  readonly pages: HTMLCanvasElement[] = [];
  ctx!: CanvasRenderingContext2D;
  y = 0;

  constructor() {
    this.newPage();
  }

  newPage(): void {
    const canvas = document.createElement('canvas');
    canvas.width = PAGE_W;
    canvas.height = PAGE_H;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('this browser cannot draw on a canvas');
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, PAGE_W, PAGE_H);
    ctx.textBaseline = 'top';
    this.pages.push(canvas);
    this.ctx = ctx;
    this.y = MARGIN;
  }

  /** Starts a new page unless `height` pixels still fit above the footer. */
  ensure(height: number): void {
    if (this.y + height > PAGE_H - MARGIN - 40) this.newPage();
  }

  text(text: string, size: number, opts: { bold?: boolean; color?: string; gap?: number } = {}): void {
    const ctx = this.ctx;
    ctx.font = font(size, opts.bold ? 'bold' : 'normal');
    const lines = wrapText((s) => ctx.measureText(s).width, text, PAGE_W - 2 * MARGIN);
    for (const line of lines) {
      this.ensure(size * 1.45);
      this.ctx.font = font(size, opts.bold ? 'bold' : 'normal');
      this.ctx.fillStyle = opts.color ?? '#1f1f1f';
      this.ctx.fillText(line, MARGIN, this.y);
      this.y += size * 1.45;
    }
    this.y += opts.gap ?? 0;
  }

  heading(text: string): void {
    this.ensure(90);
    this.y += 18;
    this.text(text, 28, { bold: true, color: '#1668dc', gap: 4 });
    this.ctx.fillStyle = '#d9d9d9';
    this.ctx.fillRect(MARGIN, this.y, PAGE_W - 2 * MARGIN, 2);
    this.y += 14;
  }

  facts(items: readonly { label: string; value: string }[]): void {
    const labelW = 300;
    for (const { label, value } of items) {
      const ctx = this.ctx;
      ctx.font = font(22);
      const lines = wrapText((s) => ctx.measureText(s).width, value, PAGE_W - 2 * MARGIN - labelW);
      this.ensure(lines.length * 32);
      this.ctx.font = font(22, 'bold');
      this.ctx.fillStyle = '#595959';
      this.ctx.fillText(ellipsize(this.ctx, label, labelW - 16), MARGIN, this.y);
      this.ctx.font = font(22);
      this.ctx.fillStyle = '#1f1f1f';
      for (const line of lines) {
        this.ctx.fillText(line, MARGIN + labelW, this.y);
        this.y += 32;
      }
    }
  }

  table(columns: readonly string[], rows: readonly (readonly (string | number)[])[]): void {
    const width = PAGE_W - 2 * MARGIN;
    const rowH = 34;
    const ctx = this.ctx;
    ctx.font = font(19);
    // Column widths in proportion to their longest text, at least 80 px each.
    const natural = columns.map((c, i) =>
      Math.max(
        80,
        ctx.measureText(c).width + 16,
        ...rows.slice(0, 50).map((r) => ctx.measureText(String(r[i] ?? '')).width + 16),
      ),
    );
    const total = natural.reduce((a, b) => a + b, 0);
    const widths = natural.map((w) => (w / total) * width);
    const drawRow = (cells: readonly (string | number)[], header: boolean, shade: boolean) => {
      this.ctx.fillStyle = header ? '#f0f5ff' : shade ? '#fafafa' : '#ffffff';
      this.ctx.fillRect(MARGIN, this.y, width, rowH);
      this.ctx.font = font(19, header ? 'bold' : 'normal');
      this.ctx.fillStyle = '#1f1f1f';
      let x = MARGIN;
      cells.forEach((cell, i) => {
        const w = widths[i] ?? 80;
        const text = ellipsize(this.ctx, String(cell), w - 12);
        const numeric = typeof cell === 'number';
        this.ctx.textAlign = numeric ? 'right' : 'left';
        this.ctx.fillText(text, numeric ? x + w - 6 : x + 6, this.y + 8);
        x += w;
      });
      this.ctx.textAlign = 'left';
      this.ctx.fillStyle = '#f0f0f0';
      this.ctx.fillRect(MARGIN, this.y + rowH - 1, width, 1);
      this.y += rowH;
    };
    this.ensure(rowH * 2);
    drawRow(columns, true, false);
    rows.slice(0, TABLE_ROWS_MAX).forEach((row, i) => {
      if (this.y + rowH > PAGE_H - MARGIN - 40) {
        this.newPage();
        drawRow(columns, true, false);
      }
      drawRow(row, false, i % 2 === 1);
    });
    this.y += 12;
  }

  image(img: HTMLImageElement): void {
    const width = PAGE_W - 2 * MARGIN;
    const height = Math.min((img.naturalHeight / img.naturalWidth) * width, PAGE_H - 2 * MARGIN - 80);
    const w = (img.naturalWidth / img.naturalHeight) * height;
    this.ensure(height + 12);
    this.ctx.drawImage(img, MARGIN + (width - w) / 2, this.y, w, height);
    this.y += height + 12;
  }
}

/** Draws the report on A4 canvases, one per page, footers included. */
export async function drawReport(content: ReportContent): Promise<HTMLCanvasElement[]> {
  const images = new Map<string, HTMLImageElement>();
  for (const s of content.sections) if (s.kind === 'image') images.set(s.dataUrl, await loadImage(s.dataUrl));
  const pager = new Pager();
  pager.text(content.title, 40, { bold: true, gap: 8 });
  for (const line of content.subtitle) pager.text(line, 22, { color: '#595959' });
  pager.y += 8;
  for (const s of content.sections) {
    pager.heading(s.heading);
    switch (s.kind) {
      case 'facts':
        pager.facts(s.items);
        break;
      case 'paragraphs':
        for (const line of s.lines) pager.text(line, 21, { gap: 4 });
        break;
      case 'table':
        pager.table(s.columns, s.rows);
        if (s.note) pager.text(s.note, 18, { color: '#8c8c8c' });
        break;
      case 'image': {
        const img = images.get(s.dataUrl);
        if (img) pager.image(img);
        break;
      }
    }
  }
  const total = pager.pages.length;
  pager.pages.forEach((canvas, i) => {
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.font = font(17);
    ctx.fillStyle = '#8c8c8c';
    ctx.textBaseline = 'top';
    ctx.fillText(ellipsize(ctx, content.footer, PAGE_W - 2 * MARGIN - 200), MARGIN, PAGE_H - MARGIN + 20);
    ctx.textAlign = 'right';
    ctx.fillText(
      content.pageLabel.replace('{n}', String(i + 1)).replace('{total}', String(total)),
      PAGE_W - MARGIN,
      PAGE_H - MARGIN + 20,
    );
    ctx.textAlign = 'left';
  });
  return pager.pages;
}

function canvasJpeg(canvas: HTMLCanvasElement): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    canvas.toBlob(
      (blob) => {
        if (!blob) {
          reject(new Error('the page could not be encoded as JPEG'));
          return;
        }
        blob.arrayBuffer().then((b) => resolve(new Uint8Array(b)), reject);
      },
      'image/jpeg',
      JPEG_QUALITY,
    );
  });
}

/** The report as PDF bytes: drawn pages, encoded as JPEG, wrapped by the PDF writer. */
export async function reportPdf(content: ReportContent, createdAt: string): Promise<Uint8Array> {
  const canvases = await drawReport(content);
  const pages = [];
  for (const canvas of canvases) pages.push({ jpeg: await canvasJpeg(canvas) });
  return writePdf(pages, { title: content.title, createdAt });
}

/** Saves bytes or text as a file through the browser's download. */
export function downloadFile(name: string, data: Uint8Array | string, type: string): void {
  const blob = new Blob([typeof data === 'string' ? data : (data as Uint8Array<ArrayBuffer>)], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  // The download has started from the click; the object URL is no longer needed.
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}

/** Saves a data: URL (a chart's PNG) as a file. */
export function downloadDataUrl(name: string, dataUrl: string): void {
  const a = document.createElement('a');
  a.href = dataUrl;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
}
