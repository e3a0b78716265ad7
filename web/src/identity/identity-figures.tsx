/**
 * The patient index at a glance: persons (global ids), records, persons seen at two or more hospitals, the
 * review queue by status, records per hospital as a bar chart, and the last linkage run with what it did at
 * each hospital. Counts only: the hub holds tokens and record ids, never a name or an ID number.
 */
import { CheckCircleOutlined, CloseCircleOutlined, WarningOutlined } from '@ant-design/icons';
import { Card, Col, Descriptions, Empty, Row, Statistic, Table, type TableProps, Tag, Tooltip, Typography } from 'antd';
import { useMemo } from 'react';
import type { IdentitySummary, NodeInfo, SweepNodeResult } from '../api-types.ts';
import { EChart, type EChartOption } from '../components/echart.tsx';
import { formatDateTime, formatInteger, parseTimestamp } from '../i18n/format.ts';
import { type Translate, useLang, useT } from '../i18n/i18n-context.tsx';
import type { Lang } from '../i18n/messages.ts';
import { durationText } from '../ingest/ingest-text.tsx';
import { pctText } from '../quality/quality-helpers.ts';
import { sharedPct, sweepTotals, totalRecords } from './identity-helpers.ts';

const BAR_ROW_PX = 56;

/** Records per hospital, one horizontal bar each, largest first. */
function recordsOption(t: Translate, rows: { name: string; records: number }[]): EChartOption {
  return {
    grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'value', minInterval: 1, axisLabel: { show: false }, splitLine: { lineStyle: { type: 'dashed' } } },
    yAxis: {
      type: 'category',
      data: rows.map((r) => r.name),
      inverse: true,
      axisTick: { show: false },
      axisLabel: { width: 150, overflow: 'break', lineHeight: 16 },
    },
    series: [
      {
        type: 'bar',
        name: t('identity.records'),
        data: rows.map((r) => r.records),
        barMaxWidth: 22,
        itemStyle: { color: '#1668dc', borderRadius: [0, 4, 4, 0] },
        label: { show: true, position: 'right', color: '#595959' },
      },
    ],
  };
}

function sweepColumns(
  t: Translate,
  lang: Lang,
  nameOf: (node: string) => string,
): TableProps<SweepNodeResult>['columns'] {
  const n = (v: number) => formatInteger(v, lang);
  return [
    {
      title: t('identity.sweep.col.hospital'),
      key: 'node',
      render: (_, r) => (
        <span style={{ display: 'inline-block', minWidth: 160, maxWidth: 240 }}>
          {r.error ? (
            <Tooltip title={`${r.error.message} (${r.error.code})`}>
              <CloseCircleOutlined style={{ color: '#cf1322', marginInlineEnd: 6 }} />
            </Tooltip>
          ) : (
            <CheckCircleOutlined style={{ color: '#389e0d', marginInlineEnd: 6 }} />
          )}
          {nameOf(r.node)}
        </span>
      ),
    },
    { title: t('identity.sweep.col.records'), dataIndex: 'records', align: 'right', render: n },
    { title: t('identity.sweep.col.added'), dataIndex: 'added', align: 'right', render: n },
    { title: t('identity.sweep.col.newGlobals'), dataIndex: 'newGlobals', align: 'right', render: n },
    { title: t('identity.sweep.col.attached'), dataIndex: 'attached', align: 'right', render: n },
    { title: t('identity.sweep.col.merges'), dataIndex: 'merges', align: 'right', render: n },
    { title: t('identity.sweep.col.reviews'), dataIndex: 'reviewsQueued', align: 'right', render: n },
  ];
}

/** The figures and the last run; `nodes` names the hospitals (their codes when the list is not at hand). */
export function IdentityFigures({
  summary,
  nodes,
  loading,
}: {
  summary: IdentitySummary | null;
  nodes: readonly NodeInfo[];
  loading: boolean;
}) {
  const t = useT();
  const { lang } = useLang();
  const nameOf = useMemo(() => {
    const names = new Map(nodes.map((n) => [n.name, n.displayName]));
    return (node: string) => names.get(node) ?? node;
  }, [nodes]);
  const rows = useMemo(
    () =>
      Object.entries(summary?.recordsByHospital ?? {})
        .map(([node, records]) => ({ name: nameOf(node), records }))
        .sort((a, b) => b.records - a.records),
    [summary, nameOf],
  );
  const option = useMemo(() => recordsOption(t, rows), [t, rows]);
  const cols = useMemo(() => sweepColumns(t, lang, nameOf), [t, lang, nameOf]);
  const waiting = loading && !summary;
  const sweep = summary?.lastSweep ?? null;
  const started = parseTimestamp(sweep?.startedAt);
  const finished = parseTimestamp(sweep?.finishedAt);
  const totals = sweep ? sweepTotals(sweep.nodes) : null;
  const shared = summary ? sharedPct(summary) : null;

  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 16 }}>
      <Row gutter={[16, 16]}>
        <Col xs={12} lg={6}>
          <Card size="small">
            <Statistic
              data-testid="identity-persons"
              title={t('identity.persons')}
              value={summary?.persons ?? 0}
              loading={waiting}
              formatter={(v) => formatInteger(Number(v), lang)}
            />
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('identity.personsHint')}
            </Typography.Text>
          </Card>
        </Col>
        <Col xs={12} lg={6}>
          <Card size="small">
            <Statistic
              title={t('identity.records')}
              value={summary ? totalRecords(summary) : 0}
              loading={waiting}
              formatter={(v) => formatInteger(Number(v), lang)}
            />
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('identity.hospitalsN', { n: Object.keys(summary?.recordsByHospital ?? {}).length })}
            </Typography.Text>
          </Card>
        </Col>
        <Col xs={12} lg={6}>
          <Card size="small">
            <Statistic
              data-testid="identity-shared"
              title={t('identity.shared')}
              value={summary?.sharedPersons ?? 0}
              loading={waiting}
              formatter={(v) => formatInteger(Number(v), lang)}
              suffix={
                shared === null ? undefined : (
                  <Typography.Text type="secondary" style={{ fontSize: 14 }}>
                    {pctText(shared)}
                  </Typography.Text>
                )
              }
            />
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('identity.sharedHint')}
            </Typography.Text>
          </Card>
        </Col>
        <Col xs={12} lg={6}>
          <Card size="small">
            <Statistic
              data-testid="identity-pending"
              title={t('identity.pendingReviews')}
              value={summary?.reviews.pending ?? 0}
              loading={waiting}
              valueStyle={summary && summary.reviews.pending > 0 ? { color: '#d48806' } : undefined}
              prefix={summary && summary.reviews.pending > 0 ? <WarningOutlined /> : undefined}
            />
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('identity.decided', {
                accepted: summary?.reviews.accepted ?? 0,
                rejected: summary?.reviews.rejected ?? 0,
              })}
            </Typography.Text>
          </Card>
        </Col>
      </Row>

      <Row gutter={[16, 16]}>
        <Col xs={24} xl={9}>
          <Card title={t('identity.byHospital')} style={{ height: '100%' }}>
            {rows.length > 0 ? (
              <EChart option={option} height={40 + BAR_ROW_PX * rows.length} ariaLabel={t('identity.chartLabel')} />
            ) : (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={summary ? t('identity.noRecords') : ' '} />
            )}
          </Card>
        </Col>
        <Col xs={24} xl={15}>
          <Card title={t('identity.lastSweep')} style={{ height: '100%' }} data-testid="identity-last-sweep">
            {sweep && totals ? (
              <div style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
                <Descriptions size="small" column={{ xs: 1, md: 3 }}>
                  <Descriptions.Item label={t('identity.sweep.finished')}>
                    {finished === null ? '—' : formatDateTime(finished, lang)}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('identity.sweep.duration')}>
                    {started === null || finished === null ? '—' : durationText(t, Math.max(0, finished - started))}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('identity.sweep.outcome')}>
                    {totals.failed > 0 ? (
                      <Tag color="warning">{t('identity.sweep.failedN', { n: totals.failed })}</Tag>
                    ) : (
                      <Tag color="success">{t('identity.sweep.allOk')}</Tag>
                    )}
                  </Descriptions.Item>
                </Descriptions>
                <div data-testid="identity-sweep-table">
                  <Table<SweepNodeResult>
                    size="small"
                    rowKey="node"
                    columns={cols}
                    dataSource={sweep.nodes}
                    pagination={false}
                    summary={() => (
                      <Table.Summary.Row>
                        <Table.Summary.Cell index={0}>
                          <Typography.Text strong>{t('identity.sweep.total')}</Typography.Text>
                        </Table.Summary.Cell>
                        <Table.Summary.Cell index={1} align="right">
                          {formatInteger(totals.records, lang)}
                        </Table.Summary.Cell>
                        <Table.Summary.Cell index={2} />
                        <Table.Summary.Cell index={3} align="right">
                          {formatInteger(totals.newGlobals, lang)}
                        </Table.Summary.Cell>
                        <Table.Summary.Cell index={4} />
                        <Table.Summary.Cell index={5} align="right">
                          {formatInteger(totals.merges, lang)}
                        </Table.Summary.Cell>
                        <Table.Summary.Cell index={6} align="right">
                          {formatInteger(totals.reviewsQueued, lang)}
                        </Table.Summary.Cell>
                      </Table.Summary.Row>
                    )}
                  />
                </div>
              </div>
            ) : (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={summary ? t('identity.noSweep') : ' '} />
            )}
          </Card>
        </Col>
      </Row>
    </div>
  );
}
