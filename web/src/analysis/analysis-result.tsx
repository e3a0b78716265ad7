/**
 * One analysis result (分析结果), per kind: GLM and Cox as a forest plot (ratios with 95% CI on a log axis) and a
 * coefficient table; Kaplan–Meier as step curves with confidence bands, numbers at risk, medians and the log-rank
 * test; descriptive statistics as a summary table and histograms; FedAvg as training curves (loss and AUC per
 * round). Every result shows its ledger trail and flags a partial result (missing hospitals, dropouts); each can
 * be exported as CSV, as a PNG of its chart, and as a PDF report drawn in the browser (report/).
 */
import { FileExcelOutlined, FileImageOutlined, FilePdfOutlined, WarningOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Descriptions, Result, Segmented, Space, Table, Tag, Typography } from 'antd';
import type { EChartsType } from 'echarts/core';
import { type ReactNode, useMemo, useRef, useState } from 'react';
import type { AnalysisRecord, CoxAnswer, DescriptiveAnswer, FedAvgAnswer, GlmAnswer, KmAnswer } from '../api-types.ts';
import { formatDateTime, parseTimestamp } from '../i18n/format.ts';
import { type Translate, useLang, useT } from '../i18n/i18n-context.tsx';
import { downloadDataUrl, downloadFile, type ReportSection, reportPdf } from '../report/report-canvas.ts';
import { AnalysisChart } from './analysis-chart.tsx';
import {
  type AnalysisChartOption,
  forestHeight,
  forestOption,
  histogramOption,
  kmOption,
  trainingOption,
} from './charts.ts';
import { toCsv } from './csv.ts';
import { LedgerTrailView } from './ledger-trail.tsx';
import {
  atRiskAt,
  atRiskTimes,
  countText,
  coxForest,
  type EffectScale,
  formatEffect,
  formatP,
  glmForest,
  glmScale,
  histogramBars,
  INTERCEPT,
  kmCurves,
  ledgerSteps,
  quantileText,
  resultCsvRows,
  resultFacts,
  trainingHistory,
} from './result-data.ts';

/** Props of a result: the analysis record, and what the report names (project, cohort, hospitals, parameters). */
export interface AnalysisResultProps {
  analysis: AnalysisRecord;
  projectTitle?: string;
  cohortName?: string;
  /** The hospitals the analysis asked (so a hospital without a receipt shows). */
  hospitals?: readonly string[];
  /** The parameters it ran with, shown in the report. */
  parameters?: Record<string, unknown>;
}

/** What a chart of this result is, for the PNG name and the report. */
interface ChartView {
  option: AnalysisChartOption;
  height: number;
  label: string;
}

const scaleKey = (s: EffectScale) => `analysis.scale.${s}` as const;

/** One analysis result with its charts, tables, ledger trail and exports. */
export function AnalysisResult(props: AnalysisResultProps) {
  const { analysis, projectTitle, cohortName } = props;
  const hospitals = props.hospitals ?? analysis.hospitals;
  const parameters = props.parameters ?? analysis.body?.parameters;
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const chart = useRef<EChartsType | null>(null);
  const [exporting, setExporting] = useState(false);
  const [column, setColumn] = useState(0);
  const view = useMemo(() => chartView(t, analysis, column), [t, analysis, column]);
  const fileBase = `meridian-${analysis.kind}-${analysis.analysisId}`;
  const created = parseTimestamp(analysis.createdAt);

  if (analysis.status === 'failed' || !analysis.result) {
    return (
      <Card data-testid="analysis-result">
        <Result
          status="error"
          title={t('analysis.result.failed', { kind: t(`analysis.kind.${analysis.kind}`) })}
          subTitle={
            analysis.error ? (
              <span>
                {analysis.error.message} <Typography.Text code>{analysis.error.code}</Typography.Text>
              </span>
            ) : null
          }
        />
      </Card>
    );
  }
  const answer = analysis.result;
  const asked = hospitals ?? [...Object.keys(answer.ledger.receipts), ...answer.missing];
  const facts = resultFacts(analysis);

  const exportCsv = () => downloadFile(`${fileBase}.csv`, toCsv(resultCsvRows(analysis)), 'text/csv;charset=utf-8');
  const chartPng = () => chart.current?.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: '#ffffff' }) ?? null;
  const exportPng = () => {
    const url = chartPng();
    if (url) downloadDataUrl(`${fileBase}.png`, url);
  };
  const exportPdf = async () => {
    setExporting(true);
    try {
      const now = new Date();
      const rows = resultCsvRows(analysis);
      const sections: ReportSection[] = [
        {
          kind: 'facts',
          heading: t('analysis.report.summary'),
          items: [
            { label: t('analysis.report.kind'), value: t(`analysis.kind.${analysis.kind}`) },
            { label: t('analysis.report.analysisId'), value: analysis.analysisId },
            { label: t('analysis.report.requestId'), value: analysis.requestId },
            { label: t('analysis.report.hospitals'), value: asked.join(', ') },
            ...facts.map((f) => ({ label: t(`analysis.fact.${f.key}`), value: f.value })),
            ...(answer.partial
              ? [
                  {
                    label: t('analysis.report.partial'),
                    value: t('analysis.partial.missing', { hospitals: answer.missing.join(', ') }),
                  },
                ]
              : []),
          ],
        },
      ];
      if (parameters) {
        sections.push({
          kind: 'paragraphs',
          heading: t('analysis.report.parameters'),
          lines: Object.entries(parameters).map(([k, v]) => `${k}: ${JSON.stringify(v)}`),
        });
      }
      const png = chartPng();
      if (png && view) sections.push({ kind: 'image', heading: view.label, dataUrl: png });
      sections.push({
        kind: 'table',
        heading: t('analysis.report.table'),
        columns: (rows[0] ?? []).map(String),
        rows: rows.slice(1),
        note: t('analysis.report.tableNote'),
      });
      sections.push({
        kind: 'table',
        heading: t('analysis.report.trail'),
        columns: [
          t('analysis.trail.col.step'),
          t('analysis.trail.col.hospital'),
          t('analysis.trail.col.height'),
          t('analysis.trail.col.tx'),
        ],
        rows: ledgerSteps(answer).map((s) => [
          t(`analysis.trail.step.${s.step}`),
          s.hospital ?? '',
          s.height ?? '',
          s.txHash ?? s.note ?? '',
        ]),
      });
      const bytes = await reportPdf(
        {
          title: `${t(`analysis.kind.${analysis.kind}`)} · ${t('analysis.report.title')}`,
          subtitle: [
            `${t('analysis.report.project')}: ${projectTitle ?? '—'}`,
            `${t('analysis.report.cohort')}: ${cohortName ?? analysis.cohortId}`,
            `${t('analysis.report.ranBy')}: ${analysis.createdBy} · ${created === null ? analysis.createdAt : formatDateTime(created, lang)}`,
          ],
          sections,
          footer: t('analysis.report.footer', { at: formatDateTime(now.getTime(), lang) }),
          pageLabel: t('analysis.report.page', { n: '{n}', total: '{total}' }),
        },
        now.toISOString(),
      );
      downloadFile(`${fileBase}.pdf`, bytes, 'application/pdf');
    } catch (e) {
      void message.error(t('analysis.export.failed', { reason: e instanceof Error ? e.message : String(e) }));
    } finally {
      setExporting(false);
    }
  };

  return (
    <div data-testid="analysis-result" style={{ display: 'flex', flexDirection: 'column', gap: 16 }}>
      <Card
        size="small"
        title={
          <Space>
            {t(`analysis.kind.${analysis.kind}`)}
            <Tag color={answer.partial ? 'orange' : 'green'}>
              {answer.partial ? t('analysis.result.partial') : t('analysis.result.complete')}
            </Tag>
          </Space>
        }
        extra={
          <Space wrap>
            <Button size="small" icon={<FileExcelOutlined />} onClick={exportCsv} data-testid="export-csv">
              CSV
            </Button>
            <Button
              size="small"
              icon={<FileImageOutlined />}
              onClick={exportPng}
              disabled={!view}
              data-testid="export-png"
            >
              PNG
            </Button>
            <Button
              size="small"
              type="primary"
              icon={<FilePdfOutlined />}
              loading={exporting}
              onClick={() => void exportPdf()}
              data-testid="export-pdf"
            >
              {t('analysis.export.pdf')}
            </Button>
          </Space>
        }
      >
        <Descriptions
          size="small"
          column={{ xs: 1, sm: 2, md: 3 }}
          items={[
            { key: 'by', label: t('analysis.report.ranBy'), children: analysis.createdBy },
            {
              key: 'at',
              label: t('analysis.result.at'),
              children: created === null ? analysis.createdAt : formatDateTime(created, lang),
            },
            {
              key: 'request',
              label: t('analysis.report.requestId'),
              children: <Typography.Text code>{analysis.requestId}</Typography.Text>,
            },
            ...facts.map((f) => ({ key: f.key, label: t(`analysis.fact.${f.key}`), children: f.value })),
          ]}
        />
        {answer.partial || answer.dropouts.length > 0 ? (
          <Alert
            data-testid="analysis-partial"
            style={{ marginTop: 12 }}
            type="warning"
            showIcon
            icon={<WarningOutlined />}
            title={t('analysis.partial.title')}
            description={
              <div>
                {answer.missing.length > 0 ? (
                  <div>{t('analysis.partial.missing', { hospitals: answer.missing.join(', ') })}</div>
                ) : null}
                {answer.dropouts.map((d) => (
                  <div key={`${d.hospital}-${d.round}`}>
                    {t('analysis.partial.dropout', { hospital: d.hospital, round: d.round })}{' '}
                    <Typography.Text code>{d.code}</Typography.Text> {d.message}
                  </div>
                ))}
              </div>
            }
          />
        ) : null}
      </Card>

      {analysis.kind === 'descriptive' && analysis.result.numeric.length > 1 ? (
        <Segmented<number>
          value={column}
          onChange={setColumn}
          options={analysis.result.numeric.map((n, i) => ({ value: i, label: n.column }))}
        />
      ) : null}
      {view ? (
        <Card size="small" title={view.label}>
          <AnalysisChart
            option={view.option}
            height={view.height}
            ariaLabel={view.label}
            testId={analysis.kind === 'glm' || analysis.kind === 'cox' ? 'forest-plot' : `chart-${analysis.kind}`}
            onChart={(c) => {
              chart.current = c;
            }}
          />
        </Card>
      ) : null}
      <Card size="small" title={t('analysis.report.table')}>
        <KindTables analysis={analysis} />
      </Card>
      <Card size="small" title={t('analysis.report.trail')}>
        <LedgerTrailView answer={answer} hospitals={asked} />
      </Card>
    </div>
  );
}

function chartView(t: Translate, analysis: AnalysisRecord, column: number): ChartView | null {
  if (!analysis.result) return null;
  switch (analysis.kind) {
    case 'glm': {
      const rows = glmForest(analysis.result);
      const scale = glmScale(analysis.result);
      return {
        option: forestOption(rows, scale, t(scaleKey(scale))),
        height: forestHeight(rows.length),
        label: t('analysis.chart.forest'),
      };
    }
    case 'cox': {
      const rows = coxForest(analysis.result);
      return {
        option: forestOption(rows, 'hazardRatio', t(scaleKey('hazardRatio'))),
        height: forestHeight(rows.length),
        label: t('analysis.chart.forest'),
      };
    }
    case 'km':
      return {
        option: kmOption(
          kmCurves(analysis.result),
          { time: t('analysis.km.time'), survival: t('analysis.km.survival') },
          analysis.result.grid.maxDays,
        ),
        height: 360,
        label: t('analysis.chart.km'),
      };
    case 'descriptive': {
      const n = analysis.result.numeric[column] ?? analysis.result.numeric[0];
      if (!n) return null;
      return {
        option: histogramOption(histogramBars(n), analysis.result.minCell),
        height: 300,
        label: t('analysis.chart.histogram', { column: n.column }),
      };
    }
    case 'fedavg':
      return {
        option: trainingOption(trainingHistory(analysis.result), {
          round: t('analysis.fedavg.round'),
          trainLoss: t('analysis.fedavg.trainLoss'),
          loss: t('analysis.fedavg.loss'),
          auc: 'AUC',
        }),
        height: 320,
        label: t('analysis.chart.training'),
      };
  }
}

function num(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined ? '—' : Number.isFinite(v) ? v.toFixed(digits) : String(v);
}

function KindTables({ analysis }: { analysis: AnalysisRecord }): ReactNode {
  if (!analysis.result) return null;
  switch (analysis.kind) {
    case 'glm':
      return <GlmTable answer={analysis.result} />;
    case 'cox':
      return <CoxTable answer={analysis.result} />;
    case 'km':
      return <KmTables answer={analysis.result} />;
    case 'descriptive':
      return <DescriptiveTables answer={analysis.result} />;
    case 'fedavg':
      return <FedAvgTable answer={analysis.result} />;
  }
}

function GlmTable({ answer }: { answer: GlmAnswer }) {
  const t = useT();
  const scale = glmScale(answer);
  const ratio = scale !== 'coefficient';
  return (
    <Table
      size="small"
      rowKey="name"
      pagination={false}
      data-testid="glm-table"
      dataSource={answer.result.coefficients}
      columns={[
        { title: t('analysis.col.term'), dataIndex: 'name' },
        { title: t('analysis.col.estimate'), key: 'e', align: 'right', render: (_, c) => num(c.estimate, 4) },
        { title: t('analysis.col.se'), key: 'se', align: 'right', render: (_, c) => num(c.standardError, 4) },
        ...(ratio
          ? [
              {
                title: `${t(scaleKey(scale))} (95% CI)`,
                key: 'r',
                align: 'right' as const,
                render: (_: unknown, c: GlmAnswer['result']['coefficients'][number]) =>
                  c.name === INTERCEPT
                    ? '—'
                    : `${formatEffect(Math.exp(c.estimate))} (${formatEffect(Math.exp(c.lower))}–${formatEffect(Math.exp(c.upper))})`,
              },
            ]
          : [
              {
                title: '95% CI',
                key: 'ci',
                align: 'right' as const,
                render: (_: unknown, c: GlmAnswer['result']['coefficients'][number]) =>
                  `${num(c.lower)} – ${num(c.upper)}`,
              },
            ]),
        { title: t('analysis.col.p'), key: 'p', align: 'right', render: (_, c) => formatP(c.pValue) },
      ]}
    />
  );
}

function CoxTable({ answer }: { answer: CoxAnswer }) {
  const t = useT();
  return (
    <>
      <Table
        size="small"
        rowKey="name"
        pagination={false}
        dataSource={answer.result.coefficients}
        columns={[
          { title: t('analysis.col.term'), dataIndex: 'name' },
          { title: t('analysis.col.estimate'), key: 'e', align: 'right', render: (_, c) => num(c.estimate, 4) },
          { title: t('analysis.col.se'), key: 'se', align: 'right', render: (_, c) => num(c.standardError, 4) },
          {
            title: `${t('analysis.scale.hazardRatio')} (95% CI)`,
            key: 'hr',
            align: 'right',
            render: (_, c) => `${formatEffect(c.hazardRatio)} (${formatEffect(c.lower)}–${formatEffect(c.upper)})`,
          },
          { title: t('analysis.col.p'), key: 'p', align: 'right', render: (_, c) => formatP(c.pValue) },
        ]}
      />
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {t(answer.stratified ? 'analysis.cox.stratified' : 'analysis.cox.unstratified')} ·{' '}
        {t('analysis.cox.ties', { ties: answer.result.ties })}
      </Typography.Text>
    </>
  );
}

function KmTables({ answer }: { answer: KmAnswer }) {
  const t = useT();
  const curves = kmCurves(answer);
  const times = atRiskTimes(answer);
  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
      {answer.withheld.length > 0 ? (
        <Alert
          type="info"
          showIcon
          title={t('analysis.km.withheld', { minCell: answer.minCell })}
          description={answer.withheld.map((w) => <div key={w}>{w}</div>)}
        />
      ) : null}
      <Typography.Text strong>{t('analysis.km.atRisk')}</Typography.Text>
      <Table
        size="small"
        rowKey="group"
        pagination={false}
        data-testid="km-at-risk"
        dataSource={curves}
        scroll={{ x: true }}
        columns={[
          { title: t('analysis.km.group'), dataIndex: 'group', fixed: 'left' },
          ...times.map((time) => ({
            title: `${time}`,
            key: `t${time}`,
            align: 'right' as const,
            render: (_: unknown, c: (typeof curves)[number]) => atRiskAt(c, time) ?? '—',
          })),
        ]}
      />
      <Table
        size="small"
        rowKey="group"
        pagination={false}
        dataSource={curves}
        columns={[
          { title: t('analysis.km.group'), dataIndex: 'group' },
          { title: 'n', dataIndex: 'n', align: 'right' },
          {
            title: t('analysis.km.median'),
            key: 'median',
            align: 'right',
            render: (_, c) =>
              c.median.time === null
                ? t('analysis.km.notReached')
                : `${c.median.time} (${c.median.lower ?? '—'}–${c.median.upper ?? '—'})`,
          },
          {
            title: t('analysis.km.tail'),
            key: 'tail',
            render: (_, c) => (c.tailAfter === null ? '—' : t('analysis.km.tailAfter', { days: c.tailAfter })),
          },
        ]}
      />
      {answer.logRank ? (
        <Typography.Text>
          {t('analysis.km.logRank')}: χ² = {answer.logRank.chiSquare.toFixed(2)}, df = {answer.logRank.df}, p ={' '}
          {formatP(answer.logRank.pValue)}
        </Typography.Text>
      ) : null}
    </div>
  );
}

function DescriptiveTables({ answer }: { answer: DescriptiveAnswer }) {
  const t = useT();
  const c = (v: number | { suppressed: true }) => countText(v, answer.minCell);
  const qs = answer.numeric[0]?.quantiles.map((q) => q.q) ?? [];
  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
      <Table
        size="small"
        rowKey="column"
        pagination={false}
        dataSource={answer.numeric}
        scroll={{ x: true }}
        columns={[
          { title: t('analysis.col.variable'), dataIndex: 'column' },
          { title: 'n', key: 'n', align: 'right', render: (_, n) => c(n.n) },
          { title: t('analysis.col.missing'), key: 'm', align: 'right', render: (_, n) => c(n.missing) },
          { title: t('analysis.col.mean'), key: 'mean', align: 'right', render: (_, n) => num(n.mean, 2) },
          { title: 'SD', key: 'sd', align: 'right', render: (_, n) => num(n.sd, 2) },
          ...qs.map((q, i) => ({
            title: `Q${Math.round(q * 100)}`,
            key: `q${q}`,
            align: 'right' as const,
            render: (_: unknown, n: DescriptiveAnswer['numeric'][number]) => {
              const q = n.quantiles[i];
              return q ? quantileText(q) : '—';
            },
          })),
        ]}
      />
      {answer.categorical.map((cat) => (
        <Table
          key={cat.column}
          size="small"
          rowKey="level"
          pagination={false}
          title={() => <Typography.Text strong>{cat.column}</Typography.Text>}
          dataSource={[
            ...cat.levels.map((l) => ({ level: l.level, count: c(l.count) })),
            { level: t('analysis.desc.other'), count: c(cat.other) },
            { level: t('analysis.desc.missing'), count: c(cat.missing) },
          ]}
          columns={[
            { title: t('analysis.col.level'), dataIndex: 'level' },
            { title: t('analysis.col.count'), dataIndex: 'count', align: 'right' },
          ]}
        />
      ))}
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {t('analysis.desc.note', { minCell: answer.minCell })}
      </Typography.Text>
    </div>
  );
}

function FedAvgTable({ answer }: { answer: FedAvgAnswer }) {
  const t = useT();
  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
      <Descriptions
        size="small"
        column={{ xs: 1, sm: 2, md: 4 }}
        items={[
          {
            key: 'model',
            label: t('analysis.fedavg.model'),
            children:
              answer.model.kind === 'mlp'
                ? t('analysis.fedavg.mlp', { hidden: answer.model.hidden, activation: answer.model.activation })
                : t('analysis.fedavg.logistic'),
          },
          {
            key: 'features',
            label: t('analysis.fedavg.features'),
            children: answer.features.map((f) => f.name).join(', '),
          },
          { key: 'seed', label: t('analysis.fedavg.seed'), children: answer.seed },
          { key: 'weights', label: t('analysis.fedavg.weights'), children: answer.weights.length },
        ]}
      />
      <Table
        size="small"
        rowKey="round"
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        dataSource={answer.history}
        columns={[
          { title: t('analysis.fedavg.round'), dataIndex: 'round', align: 'right' },
          { title: t('analysis.fedavg.trainLoss'), key: 'tl', align: 'right', render: (_, h) => num(h.trainLoss, 4) },
          { title: t('analysis.fedavg.loss'), key: 'l', align: 'right', render: (_, h) => num(h.loss, 4) },
          {
            title: 'AUC',
            key: 'auc',
            align: 'right',
            render: (_, h) =>
              h.auc === null ? '—' : `${num(h.auc)}${h.aucError === null ? '' : ` ± ${num(h.aucError)}`}`,
          },
        ]}
      />
    </div>
  );
}
