/**
 * The hospital nodes, live: `GET /api/nodes` every 2 s while the page is open. Summary counts and a bar
 * chart of rows per node sit above a table of every node. Ages ("3 s ago") are measured against the hub's
 * `generatedAt`, so a skewed browser clock does not distort them. A 403 shows the no-permission result.
 */
import { Alert, Card, Col, Result, Row, Statistic, Table, type TableProps, Tag, Tooltip, Typography } from 'antd';
import { type HTMLAttributes, useCallback, useMemo } from 'react';
import type { NodeInfo, NodesResponse } from '../api-types.ts';
import { EChart, type EChartOption } from '../components/echart.tsx';
import { ErrorDetail, errorHeadline } from '../components/error-text.tsx';
import { NoPermission } from '../components/no-permission.tsx';
import { usePoll } from '../components/use-poll.ts';
import {
  ageOf,
  formatBytes,
  formatCompact,
  formatDateTime,
  formatInteger,
  formatTime,
  parseTimestamp,
} from '../i18n/format.ts';
import { type Translate, useLang, useT } from '../i18n/i18n-context.tsx';
import type { Lang } from '../i18n/messages.ts';
import { useSession } from '../session/session-context.tsx';

/** How often the node list is refreshed. */
export const NODES_POLL_INTERVAL_MS = 2_000;

/** Most tables listed in the data-volume tooltip. */
const TABLE_TOOLTIP_MAX = 12;

const STATE_COLOR = { up: '#52c41a', down: '#ff4d4f' } as const;

function lastSeenText(t: Translate, lastSeen: string | null, nowMs: number): string {
  const then = parseTimestamp(lastSeen);
  if (then === null) return t('nodes.never');
  const { n, unit } = ageOf(then, nowMs);
  return t(`time.ago.${unit}`, { n });
}

/** How many tables a node holds. */
function tableCount(tables: NodeInfo['dataVolume']['tables']): number {
  return Object.keys(tables).length;
}

/** The largest tables of a node, one per line, for the data-volume tooltip (null when it holds none). */
function tableBreakdown(t: Translate, lang: Lang, tables: NodeInfo['dataVolume']['tables']) {
  const largest = Object.entries(tables)
    .sort(([, a], [, b]) => b.rows - a.rows)
    .slice(0, TABLE_TOOLTIP_MAX);
  if (largest.length === 0) return null;
  const hidden = Object.keys(tables).length - largest.length;
  return (
    <div style={{ fontSize: 12 }}>
      {largest.map(([name, volume]) => (
        <div key={name}>
          {name}: {t('nodes.rows', { n: formatInteger(volume.rows, lang) })} · {formatBytes(volume.bytes, lang)}
        </div>
      ))}
      {hidden > 0 ? <div>{t('nodes.moreTables', { n: hidden })}</div> : null}
    </div>
  );
}

function buildColumns(t: Translate, lang: Lang, nowMs: number): TableProps<NodeInfo>['columns'] {
  return [
    {
      title: t('nodes.col.hospital'),
      key: 'hospital',
      render: (_, node) => (
        <div>
          <Typography.Text strong>{node.displayName}</Typography.Text>
          <br />
          <Typography.Text type="secondary" code>
            {node.name}
          </Typography.Text>
        </div>
      ),
    },
    {
      title: t('nodes.col.state'),
      key: 'state',
      render: (_, node) => {
        const since = parseTimestamp(node.since);
        const tag = (
          <Tag data-testid={`node-state-${node.name}`} color={node.state === 'up' ? 'success' : 'error'}>
            {t(node.state === 'up' ? 'nodes.state.up' : 'nodes.state.down')}
          </Tag>
        );
        return since === null ? (
          tag
        ) : (
          <Tooltip title={t('nodes.stateSince', { time: formatDateTime(since, lang) })}>{tag}</Tooltip>
        );
      },
    },
    {
      title: t('nodes.col.lastSeen'),
      key: 'lastSeen',
      render: (_, node) => {
        const then = parseTimestamp(node.lastSeen);
        const text = <span data-testid={`node-last-seen-${node.name}`}>{lastSeenText(t, node.lastSeen, nowMs)}</span>;
        return then === null ? text : <Tooltip title={formatDateTime(then, lang)}>{text}</Tooltip>;
      },
    },
    {
      title: t('nodes.col.versions'),
      key: 'versions',
      render: (_, { versions }) =>
        versions === null ? (
          '—'
        ) : (
          <Typography.Text style={{ fontSize: 12 }}>
            {t('nodes.version.meridian')} {versions.meridian}
            <br />
            {t('nodes.version.node')} {versions.node}
            {versions.schema === undefined || versions.schema === null ? null : (
              <>
                <br />
                {t('nodes.version.schema')} {versions.schema}
              </>
            )}
          </Typography.Text>
        ),
    },
    {
      title: t('nodes.col.dataVolume'),
      key: 'dataVolume',
      align: 'right',
      render: (_, { dataVolume }) => (
        <div>
          <Typography.Text>{t('nodes.rows', { n: formatInteger(dataVolume.rows, lang) })}</Typography.Text>
          <br />
          <Tooltip title={tableBreakdown(t, lang, dataVolume.tables)}>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {formatBytes(dataVolume.bytes, lang)} ·{' '}
              {t('nodes.tables', { n: formatInteger(tableCount(dataVolume.tables), lang) })}
            </Typography.Text>
          </Tooltip>
        </div>
      ),
    },
    {
      title: t('nodes.col.address'),
      key: 'address',
      render: (_, node) => (node.address ? <Typography.Text code>{node.address}</Typography.Text> : '—'),
    },
  ];
}

function buildChartOption(t: Translate, lang: Lang, nodes: readonly NodeInfo[]): EChartOption {
  return {
    grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      valueFormatter: (value) => (typeof value === 'number' ? formatInteger(value, lang) : String(value)),
    },
    xAxis: {
      type: 'category',
      data: nodes.map((node) => node.displayName),
      axisLabel: { interval: 0, overflow: 'truncate', width: 120 },
    },
    yAxis: { type: 'value', axisLabel: { formatter: (value: number) => formatCompact(value, lang) } },
    series: [
      {
        type: 'bar',
        name: t('nodes.rowsSeries'),
        barMaxWidth: 48,
        data: nodes.map((node) => ({ value: node.dataVolume.rows, itemStyle: { color: STATE_COLOR[node.state] } })),
      },
    ],
  };
}

/** The live node overview. */
export function NodesPage() {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const load = useCallback((signal: AbortSignal) => api.request<NodesResponse>('/api/nodes', { signal }), [api]);
  const { data, error } = usePoll(load, NODES_POLL_INTERVAL_MS);

  const nodes = useMemo(() => [...(data?.nodes ?? [])].sort((a, b) => a.name.localeCompare(b.name)), [data]);
  const nowMs = parseTimestamp(data?.generatedAt) ?? Date.now();
  const columns = useMemo(() => buildColumns(t, lang, nowMs), [t, lang, nowMs]);
  const chartOption = useMemo(() => buildChartOption(t, lang, nodes), [t, lang, nodes]);

  if (error?.status === 403) return <NoPermission code={error.code} />;
  if (error && !data) {
    return (
      <Result
        status="error"
        title={t('nodes.loadFailed')}
        subTitle={
          <>
            <div>{errorHeadline(t, error, error.message)}</div>
            <ErrorDetail t={t} error={error} />
          </>
        }
      />
    );
  }

  const up = nodes.filter((node) => node.state === 'up').length;
  const updated = parseTimestamp(data?.generatedAt);

  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 16 }}>
      {error ? (
        <Alert
          type="warning"
          showIcon
          title={t('nodes.refreshFailed')}
          description={<ErrorDetail t={t} error={error} />}
        />
      ) : null}
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={9}>
          <Card style={{ height: '100%' }}>
            <Row gutter={16}>
              <Col span={8}>
                <Statistic
                  data-testid="nodes-up"
                  title={t('nodes.up')}
                  value={data ? up : '—'}
                  styles={{ content: { color: STATE_COLOR.up } }}
                />
              </Col>
              <Col span={8}>
                <Statistic
                  data-testid="nodes-down"
                  title={t('nodes.down')}
                  value={data ? nodes.length - up : '—'}
                  styles={{ content: { color: STATE_COLOR.down } }}
                />
              </Col>
              <Col span={8}>
                <Statistic data-testid="nodes-total" title={t('nodes.total')} value={data ? nodes.length : '—'} />
              </Col>
            </Row>
            <Typography.Paragraph type="secondary" style={{ marginTop: 24, marginBottom: 0, fontSize: 12 }}>
              {t('nodes.live', {
                seconds: NODES_POLL_INTERVAL_MS / 1000,
                time: updated === null ? '—' : formatTime(updated, lang),
              })}
            </Typography.Paragraph>
          </Card>
        </Col>
        <Col xs={24} lg={15}>
          <Card title={t('nodes.chartTitle')} size="small">
            <EChart option={chartOption} height={180} ariaLabel={t('nodes.chartLabel')} />
          </Card>
        </Col>
      </Row>
      <Card title={t('nodes.title')} styles={{ body: { padding: 0 } }}>
        <Table<NodeInfo>
          data-testid="nodes-table"
          rowKey="name"
          columns={columns}
          dataSource={nodes}
          loading={!data && !error}
          pagination={false}
          locale={{ emptyText: data ? t('nodes.empty') : ' ' }}
          onRow={(node) => ({ 'data-testid': `node-row-${node.name}` }) as HTMLAttributes<HTMLElement>}
        />
      </Card>
    </div>
  );
}
