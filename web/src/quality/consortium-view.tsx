/**
 * The consortium's quality at a glance: every hospital's newest run as the pass rate of its rules per Kahn
 * category (a heatmap and a table), whether they ran the same rule set, and which hospitals could not answer.
 * Aggregates only: no rule, row or lineage of any hospital is shown here.
 */
import {
  Alert,
  Button,
  Card,
  Col,
  Empty,
  Row,
  Statistic,
  Table,
  type TableProps,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { useMemo } from 'react';
import type { ApiError } from '../api.ts';
import type { OverviewNode, QualityOverviewResponse } from '../api-types.ts';
import { formatDateTime, parseTimestamp } from '../i18n/format.ts';
import { type Translate, useLang, useT } from '../i18n/i18n-context.tsx';
import type { Lang } from '../i18n/messages.ts';
import { ErrorAlert } from '../ingest/ingest-text.tsx';
import { heatmapOption, QualityChart } from './quality-chart.tsx';
import { CATEGORY_KEYS, ruleSetCount } from './quality-helpers.ts';
import { NodeStateTag, ScoreBar, ScoreText } from './quality-text.tsx';

const HEATMAP_ROW_PX = 52;

function columns(t: Translate, lang: Lang, open: (node: string) => void): TableProps<OverviewNode>['columns'] {
  return [
    {
      title: t('quality.col.hospital'),
      key: 'hospital',
      render: (_, n) => (
        <div>
          <Typography.Text strong>{n.displayName}</Typography.Text>
          <div>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {n.node}
            </Typography.Text>
          </div>
        </div>
      ),
    },
    {
      title: t('quality.col.state'),
      key: 'state',
      render: (_, n) =>
        n.error ? (
          <Tooltip title={n.error.message}>
            <span>
              <NodeStateTag t={t} state={n.state} />
            </span>
          </Tooltip>
        ) : (
          <NodeStateTag t={t} state={n.state} />
        ),
    },
    {
      title: t('quality.col.overall'),
      key: 'overall',
      render: (_, n) => <ScoreBar score={n.totals?.score ?? null} />,
    },
    ...CATEGORY_KEYS.map((c) => ({
      title: t(`quality.category.${c}`),
      key: c,
      render: (_: unknown, n: OverviewNode) => {
        const o = n.categories.find((x) => x.category === c);
        if (!o) return <Typography.Text type="secondary">—</Typography.Text>;
        return (
          <Tooltip title={t('quality.passedOf', { passed: o.passed, checked: o.passed + o.failed })}>
            <span data-testid={`overview-${n.node}-${c}`} style={{ whiteSpace: 'nowrap' }}>
              <ScoreText score={o.score} size={15} />
              <Typography.Text type="secondary" style={{ fontSize: 12, marginInlineStart: 6 }}>
                {o.failed > 0 ? t('quality.failedN', { n: o.failed }) : ''}
              </Typography.Text>
            </span>
          </Tooltip>
        );
      },
    })),
    {
      title: t('quality.col.lastRun'),
      key: 'run',
      render: (_, n) => {
        const ms = parseTimestamp(n.run?.startedAt);
        return ms === null ? '—' : <span style={{ whiteSpace: 'nowrap' }}>{formatDateTime(ms, lang)}</span>;
      },
    },
    {
      title: t('quality.col.ruleSet'),
      key: 'ruleSet',
      render: (_, n) =>
        n.run ? (
          <Tooltip title={n.run.ruleSetVersion}>
            <Typography.Text code style={{ whiteSpace: 'nowrap' }}>
              {n.run.ruleSetVersion.slice(0, 8)}
            </Typography.Text>
          </Tooltip>
        ) : (
          '—'
        ),
    },
    {
      title: '',
      key: 'open',
      align: 'right',
      render: (_, n) => (
        <Button type="link" size="small" data-testid={`overview-open-${n.node}`} onClick={() => open(n.node)}>
          {t('quality.openNode')}
        </Button>
      ),
    },
  ];
}

/** The consortium view; `onOpen` switches to one hospital's view. */
export function ConsortiumView({
  data,
  error,
  loading,
  onOpen,
}: {
  data: QualityOverviewResponse | null;
  error: ApiError | null;
  loading: boolean;
  onOpen: (node: string) => void;
}) {
  const t = useT();
  const { lang } = useLang();
  const nodes = useMemo(() => data?.nodes ?? [], [data]);
  const scored = useMemo(() => nodes.filter((n) => n.state === 'ok'), [nodes]);
  const option = useMemo(() => heatmapOption(t, scored), [t, scored]);
  const cols = useMemo(() => columns(t, lang, onOpen), [t, lang, onOpen]);
  const scores = scored.flatMap((n) => (n.totals?.score === null || !n.totals ? [] : [n.totals.score]));
  const mean = scores.length > 0 ? scores.reduce((a, b) => a + b, 0) / scores.length : null;
  const versions = ruleSetCount(scored);

  return (
    <div data-testid="quality-consortium" style={{ display: 'flex', flexDirection: 'column', gap: 16 }}>
      {error ? <ErrorAlert t={t} error={error} title={t('quality.overviewFailed')} /> : null}
      <Row gutter={[16, 16]}>
        <Col xs={12} lg={6}>
          <Card size="small">
            <Statistic
              title={t('quality.reporting')}
              value={scored.length}
              suffix={`/ ${nodes.length}`}
              loading={loading && !data}
            />
          </Card>
        </Col>
        <Col xs={12} lg={6}>
          <Card size="small">
            <Statistic
              title={t('quality.meanScore')}
              value={mean === null ? '—' : mean.toFixed(1)}
              suffix={mean === null ? undefined : '%'}
              loading={loading && !data}
            />
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card size="small" style={{ height: '100%' }}>
            <Typography.Text type="secondary">{t('quality.ruleSets')}</Typography.Text>
            <div style={{ marginTop: 8 }}>
              {versions <= 1 ? (
                <Tag color="success">{t('quality.comparable')}</Tag>
              ) : (
                <Tag color="warning">{t('quality.notComparable', { n: versions })}</Tag>
              )}
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {t('quality.scoreMeaning')}
              </Typography.Text>
            </div>
          </Card>
        </Col>
      </Row>

      <Card title={t('quality.heatmap')}>
        {scored.length > 0 ? (
          <QualityChart
            option={option}
            height={96 + HEATMAP_ROW_PX * scored.length}
            ariaLabel={t('quality.heatmapLabel')}
          />
        ) : (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={data ? t('quality.noScores') : ' '} />
        )}
      </Card>

      {nodes.some((n) => n.state !== 'ok') ? <Alert type="info" showIcon title={t('quality.someMissing')} /> : null}

      <Card title={t('quality.byHospital')} styles={{ body: { padding: 0 } }}>
        <Table<OverviewNode>
          data-testid="overview-table"
          rowKey="node"
          size="middle"
          columns={cols}
          dataSource={nodes}
          loading={loading && !data}
          pagination={false}
          locale={{ emptyText: data ? t('quality.noNodes') : ' ' }}
        />
      </Card>
    </div>
  );
}
