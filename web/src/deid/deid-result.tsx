/**
 * One de-identification preview, as a steward reads it: the k-anonymity verdict with the figures behind it
 * (records examined, classes, the rows suppression would remove), the smallest equivalence classes as a bar
 * chart against the target k, the rule every field gets, and a few rows exactly as a release would carry them.
 */
import { CheckCircleFilled, ExclamationCircleFilled } from '@ant-design/icons';
import { Card, Col, Empty, Row, Space, Statistic, Table, type TableProps, Tag, Tooltip, Typography } from 'antd';
import { MarkLineComponent, type MarkLineComponentOption } from 'echarts/components';
import { type ComposeOption, use } from 'echarts/core';
import { useMemo } from 'react';
import type { PrivacyPreview } from '../api-types.ts';
import { EChart, type EChartOption } from '../components/echart.tsx';
import { formatInteger } from '../i18n/format.ts';
import { type Translate, useLang, useT } from '../i18n/i18n-context.tsx';
import type { Lang } from '../i18n/messages.ts';
import { pctText } from '../quality/quality-helpers.ts';
import {
  cellText,
  type GeneralizeStep,
  meetsTarget,
  RULE_KINDS,
  type RuleKind,
  releasedColumns,
  ruleCounts,
  ruleKind,
  ruleSteps,
  smallestClassRows,
  suppressionPct,
} from './deid-helpers.ts';

use([MarkLineComponent]);

type Field = PrivacyPreview['fields'][number];
type ChartOption = ComposeOption<MarkLineComponentOption> & EChartOption;

const CLASS_ROW_PX = 30;
/** The sample table's row key (not a column name any table has). */
const ROW_KEY = '#row';
const RULE_COLORS: Record<RuleKind, string> = {
  keep: 'green',
  generalize: 'gold',
  pseudonymize: 'blue',
  shift: 'purple',
  scrub: 'magenta',
  drop: 'default',
};
const LEVEL_COLORS = ['', 'default', 'blue', 'gold', 'orange', 'red'] as const;

/** One generalization step in words. */
export function stepText(t: Translate, step: GeneralizeStep): string {
  switch (step.generalize) {
    case 'year':
      return t('deid.step.year');
    case 'age_band':
      return t('deid.step.ageBand', { width: step.width, top: step.topAge });
    case 'region':
      return t(step.digits === 2 ? 'deid.step.province' : 'deid.step.city');
    case 'code_prefix':
      return t('deid.step.codePrefix', { n: step.length });
    case 'rare':
      return t('deid.step.rare', { min: step.min, other: step.other });
  }
}

/** The smallest classes, smallest at the top, red below the target k, with the target marked. */
function classesOption(t: Translate, preview: PrivacyPreview): ChartOption {
  const rows = smallestClassRows(preview);
  return {
    grid: { left: 8, right: 56, top: 28, bottom: 8, containLabel: true },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      valueFormatter: (v) => t('deid.recordsN', { n: typeof v === 'number' ? v : 0 }),
    },
    xAxis: {
      type: 'value',
      minInterval: 1,
      max: (v: { max: number }) => Math.max(v.max, preview.k.target) + 1,
      splitLine: { lineStyle: { type: 'dashed' } },
    },
    yAxis: {
      type: 'category',
      inverse: true,
      data: rows.map((r) => r.label),
      axisTick: { show: false },
      axisLabel: { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', fontSize: 12 },
    },
    series: [
      {
        type: 'bar',
        name: t('deid.classSize'),
        barMaxWidth: 18,
        data: rows.map((r) => ({
          value: r.size,
          itemStyle: { color: r.below ? '#ff4d4f' : '#52c41a', borderRadius: [0, 4, 4, 0] },
        })),
        label: { show: true, position: 'right', color: '#595959' },
        markLine: {
          silent: true,
          symbol: 'none',
          lineStyle: { type: 'dashed', color: '#1668dc', width: 1.5 },
          label: { formatter: `k = ${preview.k.target}`, position: 'start', color: '#1668dc', fontWeight: 600 },
          data: [{ xAxis: preview.k.target }],
        },
      },
    ],
  };
}

function ruleColumns(t: Translate, lang: Lang): TableProps<Field>['columns'] {
  return [
    {
      title: t('deid.col.field'),
      key: 'field',
      width: 220,
      render: (_, f) => (
        <Typography.Text strong code style={{ whiteSpace: 'nowrap' }}>
          {f.column}
        </Typography.Text>
      ),
    },
    {
      title: t('deid.col.meaning'),
      key: 'meaning',
      ellipsis: { showTitle: false },
      render: (_, f) => {
        const text = lang === 'en' ? f.en : f.zh;
        return (
          <Tooltip title={text} placement="topLeft">
            <Typography.Text type="secondary">{text}</Typography.Text>
          </Tooltip>
        );
      },
    },
    {
      title: t('deid.col.level'),
      key: 'level',
      width: 90,
      render: (_, f) => (
        <Tooltip title={t(`deid.level.${f.level as 1 | 2 | 3 | 4 | 5}`)}>
          <Tag color={LEVEL_COLORS[f.level]}>L{f.level}</Tag>
        </Tooltip>
      ),
    },
    {
      title: t('deid.col.rule'),
      key: 'rule',
      render: (_, f) => {
        const kind = ruleKind(f.rule);
        const steps = ruleSteps(f.rule);
        return (
          <Space size={6} wrap>
            <Tag color={RULE_COLORS[kind]} style={{ margin: 0 }} data-testid={`rule-${f.column}`}>
              {t(`deid.rule.${kind}`)}
            </Tag>
            {steps.length > 0 ? (
              <Typography.Text type="secondary">{steps.map((s) => stepText(t, s)).join(' → ')}</Typography.Text>
            ) : (
              <Typography.Text type="secondary">{t(`deid.ruleHint.${kind}`)}</Typography.Text>
            )}
          </Space>
        );
      },
    },
    {
      title: t('deid.col.type'),
      key: 'type',
      width: 110,
      render: (_, f) => <Typography.Text type="secondary">{f.type}</Typography.Text>,
    },
    {
      title: t('deid.col.qi'),
      key: 'qi',
      width: 120,
      align: 'center',
      render: (_, f) => (f.quasiIdentifier ? <Tag color="geekblue">{t('deid.qi')}</Tag> : null),
    },
  ];
}

/** The figures, chart, rules and sample of one preview. */
export function DeidResult({ preview }: { preview: PrivacyPreview }) {
  const t = useT();
  const { lang } = useLang();
  const option = useMemo(() => classesOption(t, preview), [t, preview]);
  const rulesCols = useMemo(() => ruleColumns(t, lang), [t, lang]);
  const counts = useMemo(() => ruleCounts(preview.fields), [preview]);
  const released = useMemo(() => releasedColumns(preview), [preview]);
  const byColumn = useMemo(() => new Map(preview.fields.map((f) => [f.column, f])), [preview]);
  const sampleCols = useMemo<TableProps<Record<string, string | number | boolean | null>>['columns']>(
    () =>
      released.map((c) => {
        const f = byColumn.get(c);
        return {
          title: (
            <Tooltip title={f ? (lang === 'en' ? f.en : f.zh) : c}>
              <span
                style={{ whiteSpace: 'nowrap', fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace' }}
              >
                {c}
              </span>
            </Tooltip>
          ),
          key: c,
          ellipsis: { showTitle: false },
          width:
            ruleKind(f?.rule ?? 'keep') === 'scrub' ? 360 : ruleKind(f?.rule ?? 'keep') === 'pseudonymize' ? 150 : 120,
          render: (_, row) => {
            const text = cellText(row[c]);
            return (
              <Tooltip title={text} placement="topLeft">
                <span style={{ fontVariantNumeric: 'tabular-nums', color: row[c] === null ? '#bfbfbf' : undefined }}>
                  {text}
                </span>
              </Tooltip>
            );
          },
        };
      }),
    [released, byColumn, lang],
  );
  const sampleRows = useMemo(() => preview.sample.map((r, i) => ({ ...r, [ROW_KEY]: i })), [preview]);
  const meets = meetsTarget(preview);
  const pct = suppressionPct(preview);
  const n = (v: number) => formatInteger(v, lang);

  return (
    <div data-testid="deid-result" style={{ display: 'flex', flexDirection: 'column', gap: 16 }}>
      <Row gutter={[16, 16]}>
        <Col xs={12} lg={6}>
          <Card size="small" style={{ height: '100%' }}>
            <Statistic
              data-testid="deid-k"
              title={t('deid.kAchieved', { target: preview.k.target })}
              value={preview.k.achieved}
              valueStyle={{ color: meets ? '#389e0d' : '#cf1322' }}
              prefix={meets ? <CheckCircleFilled /> : <ExclamationCircleFilled />}
            />
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {preview.examined === 0 ? t('deid.nothing') : meets ? t('deid.meets') : t('deid.fails')}
            </Typography.Text>
          </Card>
        </Col>
        <Col xs={12} lg={6}>
          <Card size="small" style={{ height: '100%' }}>
            <Statistic
              title={t(preview.unit === 'person' ? 'deid.examinedPersons' : 'deid.examinedRows')}
              value={preview.examined}
              formatter={(v) => n(Number(v))}
            />
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {preview.truncated ? (
                <Tag color="warning">{t('deid.truncated', { total: n(preview.total) })}</Tag>
              ) : (
                t('deid.classesN', { n: n(preview.k.classes) })
              )}
            </Typography.Text>
          </Card>
        </Col>
        <Col xs={12} lg={6}>
          <Card size="small" style={{ height: '100%' }}>
            <Statistic
              data-testid="deid-suppressed"
              title={t('deid.suppressed', { target: preview.k.target })}
              value={preview.suppression.rows}
              formatter={(v) => n(Number(v))}
              suffix={
                pct === null ? undefined : (
                  <Typography.Text type="secondary" style={{ fontSize: 14 }}>
                    {pctText(pct)}
                  </Typography.Text>
                )
              }
            />
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('deid.suppressedDetail', {
                classes: n(preview.suppression.classes),
                remaining: n(preview.suppression.remaining),
              })}
            </Typography.Text>
          </Card>
        </Col>
        <Col xs={12} lg={6}>
          <Card size="small" style={{ height: '100%' }}>
            <Typography.Text type="secondary">{t('deid.rulesSummary')}</Typography.Text>
            <div style={{ marginTop: 8, display: 'flex', flexWrap: 'wrap', gap: 4 }}>
              {RULE_KINDS.filter((k) => counts[k] > 0).map((k) => (
                <Tag key={k} color={RULE_COLORS[k]} style={{ margin: 0 }}>
                  {t(`deid.rule.${k}`)} {counts[k]}
                </Tag>
              ))}
            </div>
          </Card>
        </Col>
      </Row>

      <Row gutter={[16, 16]}>
        <Col xs={24} xl={15}>
          <Card title={t('deid.smallest')} style={{ height: '100%' }}>
            <div style={{ display: 'flex', alignItems: 'center', gap: 6, flexWrap: 'wrap', marginBottom: 8 }}>
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {t('deid.classesBy')}
              </Typography.Text>
              {preview.quasiIdentifiers.map((q) => (
                <Tag key={q} color="geekblue" style={{ margin: 0 }}>
                  {q}
                </Tag>
              ))}
            </div>
            {preview.k.smallest.length > 0 ? (
              <EChart
                option={option as EChartOption}
                height={56 + CLASS_ROW_PX * preview.k.smallest.length}
                ariaLabel={t('deid.smallestLabel')}
              />
            ) : (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('deid.nothing')} />
            )}
          </Card>
        </Col>
        <Col xs={24} xl={9}>
          <Card title={t('deid.atRisk')} style={{ height: '100%' }}>
            {preview.k.belowBySize.length > 0 ? (
              <div style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
                <div data-testid="deid-at-risk">
                  <Table
                    rowKey="size"
                    size="small"
                    pagination={false}
                    dataSource={preview.k.belowBySize}
                    columns={[
                      {
                        title: t('deid.col.classSize'),
                        key: 'size',
                        render: (_, b) => <Tag color="error">{t('deid.sizeN', { n: b.size })}</Tag>,
                      },
                      { title: t('deid.col.classes'), dataIndex: 'classes', align: 'right', render: n },
                      { title: t('deid.col.records'), dataIndex: 'records', align: 'right', render: n },
                    ]}
                  />
                </div>
                <Typography.Paragraph type="secondary" style={{ margin: 0, fontSize: 12 }}>
                  {t('deid.atRiskHint')}
                </Typography.Paragraph>
              </div>
            ) : (
              <div style={{ display: 'flex', gap: 8, alignItems: 'flex-start' }}>
                <CheckCircleFilled style={{ color: '#389e0d', marginTop: 4 }} />
                <Typography.Text>{preview.examined === 0 ? t('deid.nothing') : t('deid.noneAtRisk')}</Typography.Text>
              </div>
            )}
          </Card>
        </Col>
      </Row>

      <Card title={t('deid.rules')} styles={{ body: { padding: 0 } }}>
        <div data-testid="deid-rules">
          <Table<Field>
            rowKey="column"
            size="small"
            columns={rulesCols}
            dataSource={preview.fields}
            pagination={false}
          />
        </div>
      </Card>

      <Card
        title={t('deid.sample')}
        extra={
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('deid.sampleHint', { days: preview.shiftDaysMax })}
          </Typography.Text>
        }
        styles={{ body: { padding: 0 } }}
      >
        <div data-testid="deid-sample">
          <Table<Record<string, string | number | boolean | null>>
            rowKey={ROW_KEY}
            size="small"
            columns={sampleCols}
            dataSource={sampleRows}
            pagination={false}
            scroll={{ x: 'max-content' }}
            locale={{ emptyText: t('deid.noSample') }}
          />
        </div>
      </Card>
    </div>
  );
}
