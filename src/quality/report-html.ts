/**
 * The quality report as one self-contained HTML page for a data steward: inline CSS and inline SVG charts
 * (results by category, worst rules, trends, quarantine), no scripts and no external assets, in zh-CN or
 * English. Pure; every value from the report is escaped, since rule text and positions come from stewards and
 * hospital files.
 */
import type { QualityReport, ReportLanguage } from './report.ts';
import type { QuarantineCount, RuleResult, TrendPoint } from './results.ts';
import type { Category } from './rules.ts';

const TEXT = {
  'zh-CN': {
    title: '数据质量报告',
    nodeReport: '节点报告（全部数据）',
    loadReport: '加载批次报告',
    node: '节点',
    load: '加载批次',
    run: '运行编号',
    ruleSet: '规则集版本',
    asOf: '参考日期',
    started: '开始',
    finished: '结束',
    summary: '概览',
    score: '通过率',
    passed: '通过',
    failed: '未通过',
    notApplicable: '不适用',
    errors: '运行错误',
    quarantined: '加载时隔离的记录',
    categories: '按类别',
    worst: '最差规则',
    noWorst: '所有适用规则均通过。',
    trends: '趋势',
    noTrends: '没有未通过的规则，无需趋势。',
    quarantine: '加载隔离（按原因）',
    noQuarantine: '本次没有被隔离的记录。',
    rules: '全部规则',
    rule: '规则',
    table: '表',
    severity: '严重度',
    failing: '不合格',
    denominator: '检查数',
    pct: '不合格比例',
    threshold: '阈值',
    status: '结果',
    code: '原因码',
    field: '字段',
    bound: '界限',
    spec: '映射版本',
    count: '记录数',
    sample: '溯源样例',
    completeness: '完整性',
    conformance: '一致性',
    plausibility: '合理性',
    error: '错误',
    warning: '警告',
    info: '提示',
    row: '行',
    person: '患者',
    record: '来源记录',
    unit: '计数单位',
  },
  en: {
    title: 'Data quality report',
    nodeReport: 'Node report (all data)',
    loadReport: 'Load report',
    node: 'Node',
    load: 'Load',
    run: 'Run',
    ruleSet: 'Rule-set version',
    asOf: 'As of',
    started: 'Started',
    finished: 'Finished',
    summary: 'Summary',
    score: 'Pass rate',
    passed: 'Passed',
    failed: 'Failed',
    notApplicable: 'Not applicable',
    errors: 'Errors',
    quarantined: 'Records quarantined at load',
    categories: 'By category',
    worst: 'Worst rules',
    noWorst: 'Every applicable rule passes.',
    trends: 'Trends',
    noTrends: 'No failing rule, so no trend to show.',
    quarantine: 'Quarantine at load, by reason',
    noQuarantine: 'No record was quarantined.',
    rules: 'All rules',
    rule: 'Rule',
    table: 'Table',
    severity: 'Severity',
    failing: 'Failing',
    denominator: 'Checked',
    pct: 'Failing %',
    threshold: 'Threshold',
    status: 'Result',
    code: 'Reason',
    field: 'Field',
    bound: 'Bound',
    spec: 'Mapping version',
    count: 'Records',
    sample: 'Lineage sample',
    completeness: 'Completeness',
    conformance: 'Conformance',
    plausibility: 'Plausibility',
    error: 'error',
    warning: 'warning',
    info: 'info',
    row: 'rows',
    person: 'persons',
    record: 'source records',
    unit: 'Counted in',
  },
} as const;

type Text = (typeof TEXT)[ReportLanguage];

const COLORS = { passed: '#389e0d', failed: '#cf1322', notApplicable: '#bfbfbf', errors: '#d48806' } as const;
const CSS = `body{font-family:-apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;margin:24px;color:#1f1f1f;max-width:1200px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;border-bottom:1px solid #e5e5e5;padding-bottom:4px;margin-top:28px}
.meta{color:#595959;font-size:13px}.meta span{margin-right:16px}.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{border:1px solid #e5e5e5;border-radius:6px;padding:10px 14px;min-width:110px}.card b{display:block;font-size:22px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#fafafa}td.n{text-align:right;font-variant-numeric:tabular-nums}.pass{color:${COLORS.passed}}.fail{color:${COLORS.failed};font-weight:600}
.na{color:#8c8c8c}.err{color:${COLORS.errors}}code{font-size:12px}details{font-size:12px}svg text{font-size:12px}`;

/** Renders the report as a self-contained HTML page. */
export function renderReportHtml(report: QualityReport, lang: ReportLanguage): string {
  const t = TEXT[lang];
  const byId = new Map(report.results.map((r) => [r.ruleId, r]));
  const worst = report.worst.flatMap((id) => byId.get(id) ?? []);
  return [
    '<!DOCTYPE html>',
    `<html lang="${esc(lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>${esc(t.title)} · ${esc(report.node ?? '')} · ${esc(report.run.runId)}</title><style>${CSS}</style></head><body>`,
    header(report, t),
    section('summary', t.summary, summaryCards(report, t)),
    section('categories', t.categories, categoryChart(report, t)),
    section('worst', t.worst, worst.length === 0 ? `<p>${esc(t.noWorst)}</p>` : worstRules(worst, t, lang)),
    section(
      'trends',
      t.trends,
      report.trends.length === 0
        ? `<p>${esc(t.noTrends)}</p>`
        : report.trends.map((tr) => trendChart(tr.ruleId, tr.points, t)).join(''),
    ),
    section(
      'quarantine',
      t.quarantine,
      report.quarantine.byReason.length === 0
        ? `<p>${esc(t.noQuarantine)}</p>`
        : quarantineTable(report.quarantine.byReason, t),
    ),
    section('rules', t.rules, rulesTable(report.results, t, lang)),
    '</body></html>',
  ].join('\n');
}

function header(report: QualityReport, t: Text): string {
  const r = report.run;
  const meta: [string, string][] = [
    [t.node, report.node ?? '—'],
    ...(r.loadId === null ? [] : ([[t.load, r.loadId]] as [string, string][])),
    [t.run, r.runId],
    [t.ruleSet, `${report.ruleSetVersion.slice(0, 12)}…`],
    [t.asOf, r.asOf],
    [t.started, r.startedAt],
    [t.finished, r.finishedAt ?? '—'],
  ];
  return `<header><h1>${esc(t.title)} — ${esc(report.scope === 'load' ? t.loadReport : t.nodeReport)}</h1><p class="meta">${meta
    .map(
      ([k, v]) =>
        `<span${k === t.ruleSet ? ` title="${esc(report.ruleSetVersion)}"` : ''}>${esc(k)}: <b>${esc(v)}</b></span>`,
    )
    .join('')}</p></header>`;
}

function section(id: string, title: string, body: string): string {
  return `<section id="${esc(id)}"><h2>${esc(title)}</h2>${body}</section>`;
}

function summaryCards(report: QualityReport, t: Text): string {
  const s = report.totals;
  const cards: [string, string, string][] = [
    [t.score, s.score === null ? '—' : `${s.score}%`, ''],
    [t.passed, String(s.passed), 'pass'],
    [t.failed, String(s.failed), s.failed > 0 ? 'fail' : ''],
    [t.notApplicable, String(s.notApplicable), 'na'],
    [t.errors, String(s.errors), s.errors > 0 ? 'err' : ''],
    [t.quarantined, String(report.quarantine.total), ''],
  ];
  return `<div class="cards">${cards.map(([k, v, cls]) => `<div class="card"><b class="${cls}">${esc(v)}</b>${esc(k)}</div>`).join('')}</div>`;
}

/** Horizontal stacked bars: passed, failed, not applicable, errors per category. */
function categoryChart(report: QualityReport, t: Text): string {
  const width = 720;
  const labelW = 120;
  const barW = width - labelW - 160;
  const rowH = 30;
  const rows = report.categories.map((c, i) => {
    const y = i * rowH + 8;
    const parts: [number, string, string][] = [
      [c.passed, COLORS.passed, t.passed],
      [c.failed, COLORS.failed, t.failed],
      [c.notApplicable, COLORS.notApplicable, t.notApplicable],
      [c.errors, COLORS.errors, t.errors],
    ];
    let x = labelW;
    const rects = parts
      .filter(([n]) => n > 0)
      .map(([n, color, label]) => {
        const w = c.rules > 0 ? (n / c.rules) * barW : 0;
        const rect = `<rect x="${fmt(x)}" y="${y}" width="${fmt(w)}" height="20" fill="${color}"><title>${esc(label)}: ${n}</title></rect>`;
        x += w;
        return rect;
      })
      .join('');
    const score = c.score === null ? '—' : `${c.score}%`;
    return `<text x="0" y="${y + 15}">${esc(t[c.category as Category])}</text>${rects}<text x="${labelW + barW + 8}" y="${y + 15}">${c.passed}/${c.passed + c.failed} · ${esc(score)}</text>`;
  });
  const legend = (
    [
      [COLORS.passed, t.passed],
      [COLORS.failed, t.failed],
      [COLORS.notApplicable, t.notApplicable],
      [COLORS.errors, t.errors],
    ] as const
  )
    .map(
      ([color, label], i) =>
        `<rect x="${labelW + i * 120}" y="${report.categories.length * rowH + 12}" width="12" height="12" fill="${color}"/><text x="${labelW + i * 120 + 16}" y="${report.categories.length * rowH + 23}">${esc(label)}</text>`,
    )
    .join('');
  const height = report.categories.length * rowH + 36;
  return `<svg role="img" aria-label="${esc(t.categories)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${rows.join('')}${legend}</svg>`;
}

function worstRules(worst: readonly RuleResult[], t: Text, lang: ReportLanguage): string {
  const width = 720;
  const labelW = 300;
  const barW = width - labelW - 80;
  const rowH = 24;
  const maxPct = Math.max(...worst.map((r) => r.pct), 1);
  const bars = worst
    .map((r, i) => {
      const y = i * rowH + 4;
      const w = (r.pct / maxPct) * barW;
      const tx = labelW + (r.thresholdPct / maxPct) * barW;
      const threshold =
        r.thresholdPct <= maxPct
          ? `<line x1="${fmt(tx)}" x2="${fmt(tx)}" y1="${y - 2}" y2="${y + 18}" stroke="#1f1f1f" stroke-dasharray="3,2"/>`
          : '';
      return `<text x="0" y="${y + 13}">${esc(shorten(r.ruleId, 44))}</text><rect x="${labelW}" y="${y}" width="${fmt(w)}" height="16" fill="${COLORS.failed}"><title>${esc(r.ruleId)}: ${fmtPct(r.pct)}</title></rect>${threshold}<text x="${fmt(labelW + w + 6)}" y="${y + 13}">${esc(fmtPct(r.pct))}</text>`;
    })
    .join('');
  const height = worst.length * rowH + 8;
  const chart = `<svg role="img" aria-label="${esc(t.worst)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${bars}</svg>`;
  const rows = worst
    .map(
      (r) =>
        `<tr><td><code>${esc(r.ruleId)}</code><br>${esc(r.description[lang === 'en' ? 'en' : 'zh'])}</td><td>${esc(r.table)}</td><td>${esc(t[r.severity])}</td><td class="n">${r.failing}</td><td class="n">${r.denominator}</td><td class="n fail">${esc(fmtPct(r.pct))}</td><td class="n">${esc(fmtPct(r.thresholdPct))}</td></tr>`,
    )
    .join('');
  return `${chart}<table><thead><tr><th>${esc(t.rule)}</th><th>${esc(t.table)}</th><th>${esc(t.severity)}</th><th>${esc(t.failing)}</th><th>${esc(t.denominator)}</th><th>${esc(t.pct)}</th><th>${esc(t.threshold)}</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** Failing percentage per run as bars, with the threshold in force as a dashed line. */
function trendChart(ruleId: string, points: readonly TrendPoint[], t: Text): string {
  const width = 360;
  const height = 90;
  const chartH = 60;
  const maxPct = Math.max(...points.map((p) => Math.max(p.pct, p.thresholdPct)), 1);
  const barW = points.length > 0 ? Math.min(24, (width - 20) / points.length - 2) : 0;
  const bars = points
    .map((p, i) => {
      const h = (p.pct / maxPct) * chartH;
      const x = 10 + i * (barW + 2);
      const color = p.passed === false ? COLORS.failed : p.passed ? COLORS.passed : COLORS.notApplicable;
      return `<rect x="${fmt(x)}" y="${fmt(10 + chartH - h)}" width="${fmt(barW)}" height="${fmt(h)}" fill="${color}"><title>${esc(p.startedAt)} ${esc(p.loadId ?? '')}: ${esc(fmtPct(p.pct))} (${p.failing}/${p.denominator})</title></rect>`;
    })
    .join('');
  const last = points.at(-1);
  const ty = last ? 10 + chartH - (last.thresholdPct / maxPct) * chartH : 0;
  const line = last
    ? `<line x1="8" x2="${width - 8}" y1="${fmt(ty)}" y2="${fmt(ty)}" stroke="#1f1f1f" stroke-dasharray="3,2"><title>${esc(t.threshold)} ${esc(fmtPct(last.thresholdPct))}</title></line>`
    : '';
  return `<figure><figcaption><code>${esc(ruleId)}</code></figcaption><svg role="img" aria-label="${esc(t.trends)} ${esc(ruleId)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${bars}${line}<text x="10" y="${height - 4}">${points.length} × · max ${esc(fmtPct(maxPct))}</text></svg></figure>`;
}

function quarantineTable(groups: readonly QuarantineCount[], t: Text): string {
  const rows = groups
    .map(
      (g) =>
        `<tr><td><code>${esc(g.code)}</code></td><td>${esc(g.table ?? '—')}</td><td>${esc(g.field ?? '—')}</td><td>${esc(g.bound ?? '—')}</td><td>${esc(g.mappingVersion ?? '—')}</td><td class="n">${g.count}</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>${esc(t.code)}</th><th>${esc(t.table)}</th><th>${esc(t.field)}</th><th>${esc(t.bound)}</th><th>${esc(t.spec)}</th><th>${esc(t.count)}</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function rulesTable(results: readonly RuleResult[], t: Text, lang: ReportLanguage): string {
  const rows = results
    .map((r) => {
      const [cls, label] =
        r.status === 'error'
          ? ['err', t.errors]
          : r.passed === null
            ? ['na', t.notApplicable]
            : r.passed
              ? ['pass', t.passed]
              : ['fail', t.failed];
      const sample =
        r.sample.length === 0
          ? ''
          : `<details><summary>${esc(t.sample)} (${r.sample.length})</summary>${r.sample
              .map(
                (s) =>
                  `<div><code>${esc(s.source_position ?? '')}</code> · ${esc((s.source_sha256 ?? '').slice(0, 12))} · ${esc(s.mapping_version ?? '')} · ${esc(s.load_id ?? '')}</div>`,
              )
              .join('')}</details>`;
      const note = r.note ? `<div class="na">${esc(r.note)}</div>` : '';
      return `<tr><td><code>${esc(r.ruleId)}</code><br>${esc(r.description[lang === 'en' ? 'en' : 'zh'])}${note}${sample}</td><td>${esc(t[r.category])} / ${esc(r.subcategory)}</td><td>${esc(r.table)}</td><td>${esc(t[r.severity])}</td><td>${esc(t[r.countBy])}</td><td class="n">${r.failing}</td><td class="n">${r.denominator}</td><td class="n">${esc(fmtPct(r.pct))}</td><td class="n">${esc(fmtPct(r.thresholdPct))}</td><td class="${cls}">${esc(label)}</td></tr>`;
    })
    .join('');
  return `<table><thead><tr><th>${esc(t.rule)}</th><th>${esc(t.categories)}</th><th>${esc(t.table)}</th><th>${esc(t.severity)}</th><th>${esc(t.unit)}</th><th>${esc(t.failing)}</th><th>${esc(t.denominator)}</th><th>${esc(t.pct)}</th><th>${esc(t.threshold)}</th><th>${esc(t.status)}</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** Escapes text for HTML element content and double-quoted attributes. */
function esc(s: string): string {
  return s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function fmt(n: number): string {
  return String(Math.round(n * 10) / 10);
}

function fmtPct(n: number): string {
  return `${n < 0.1 && n > 0 ? n.toFixed(3) : n.toFixed(2)}%`;
}

function shorten(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
