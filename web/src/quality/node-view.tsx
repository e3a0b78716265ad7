/**
 * One hospital's data quality: its runs, the chosen run's score overall and per Kahn category, the trend of
 * each category over runs, and every rule worst first with its failing count and share, threshold and
 * severity. The hospital's own steward also changes thresholds inline (pass/fail follows at once from the
 * stored counts, then from the node, with nothing re-run), runs the checks now, and drills into failing rows.
 */
import { FileTextOutlined, PlayCircleOutlined, ReloadOutlined } from '@ant-design/icons';
import {
  App as AntApp,
  Button,
  Card,
  Col,
  Empty,
  InputNumber,
  Progress,
  Row,
  Segmented,
  Select,
  Space,
  Statistic,
  Table,
  type TableProps,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { type HTMLAttributes, useCallback, useMemo, useState } from 'react';
import { isApiError } from '../api.ts';
import type {
  OverviewNode,
  QualityRunsResponse,
  QualityTrendResponse,
  RuleResultView,
  RunResultsResponse,
  RunSummaryView,
  ThresholdResponse,
} from '../api-types.ts';
import { errorHeadline } from '../components/error-text.tsx';
import { useFetch } from '../components/use-fetch.ts';
import { formatDateTime, formatInteger, parseTimestamp } from '../i18n/format.ts';
import { type Translate, useLang, useT } from '../i18n/i18n-context.tsx';
import type { Lang } from '../i18n/messages.ts';
import { ErrorAlert } from '../ingest/ingest-text.tsx';
import { useSession } from '../session/session-context.tsx';
import { QualityChart, trendOption } from './quality-chart.tsx';
import {
  CATEGORY_KEYS,
  newestCompleted,
  passedUnder,
  pctText,
  qualityPath,
  scoreColor,
  worstFirst,
} from './quality-helpers.ts';
import { CategoryText, NodeStateTag, OutcomeTag, ScoreText, SeverityTag } from './quality-text.tsx';
import { ReportModal } from './report-modal.tsx';
import { RuleDrawer } from './rule-drawer.tsx';

/** Runs listed in the run picker. */
const RUNS_LIMIT = 50;
/** Runs in the trend chart. */
const TREND_RUNS = 20;
/** How long "run now" may take before the portal stops waiting (the node keeps going). */
const RUN_NOW_TIMEOUT_MS = 10 * 60_000;

function runLabel(run: { startedAt: string; loadId: string | null }, t: Translate, lang: Lang): string {
  const ms = parseTimestamp(run.startedAt);
  const when = ms === null ? run.startedAt : formatDateTime(ms, lang);
  return `${when} · ${run.loadId ? t('quality.run.load', { id: run.loadId }) : t('quality.run.onDemand')}`;
}

/** The threshold of one rule: an inline editor for the steward, the number for everyone else. */
function ThresholdCell({
  t,
  result,
  editable,
  saving,
  onSave,
}: {
  t: Translate;
  result: RuleResultView;
  editable: boolean;
  saving: boolean;
  onSave: (pct: number) => void;
}) {
  const [draft, setDraft] = useState<number | null>(null);
  if (!editable) return <span style={{ fontVariantNumeric: 'tabular-nums' }}>{pctText(result.thresholdPct, 2)}</span>;
  const commit = () => {
    if (draft !== null && draft !== result.thresholdPct) onSave(draft);
    setDraft(null);
  };
  return (
    <InputNumber<number>
      data-testid={`threshold-${result.ruleId}`}
      size="small"
      min={0}
      max={100}
      step={0.5}
      precision={2}
      suffix="%"
      style={{ width: 104 }}
      disabled={saving}
      value={draft ?? result.thresholdPct}
      aria-label={t('quality.col.threshold')}
      onChange={(v) => setDraft(typeof v === 'number' ? v : null)}
      onBlur={commit}
      onPressEnter={commit}
    />
  );
}

function ruleColumns(opts: {
  t: Translate;
  lang: Lang;
  editable: boolean;
  saving: string | null;
  onThreshold: (r: RuleResultView, pct: number) => void;
  open: (r: RuleResultView) => void;
}): TableProps<RuleResultView>['columns'] {
  const { t, lang } = opts;
  return [
    {
      title: t('quality.col.rule'),
      key: 'rule',
      render: (_, r) => (
        <div style={{ maxWidth: 420 }}>
          <Typography.Text>{lang === 'en' ? r.description.en : r.description.zh}</Typography.Text>
          <div>
            <Typography.Text type="secondary" style={{ fontSize: 12, fontFamily: 'monospace' }}>
              {r.ruleId}
            </Typography.Text>
          </div>
        </div>
      ),
    },
    {
      title: t('quality.col.category'),
      key: 'category',
      render: (_, r) => <CategoryText t={t} category={r.category} subcategory={r.subcategory} />,
    },
    {
      title: t('quality.col.table'),
      key: 'table',
      render: (_, r) => <Typography.Text style={{ fontSize: 12, whiteSpace: 'nowrap' }}>{r.table}</Typography.Text>,
    },
    {
      title: t('quality.col.severity'),
      key: 'severity',
      render: (_, r) => <SeverityTag t={t} severity={r.severity} />,
    },
    {
      title: t('quality.col.failing'),
      key: 'failing',
      align: 'right',
      render: (_, r) => (
        <div style={{ whiteSpace: 'nowrap', fontVariantNumeric: 'tabular-nums' }}>
          <Typography.Text strong type={r.failing > 0 ? 'danger' : undefined}>
            {formatInteger(r.failing, lang)}
          </Typography.Text>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {' '}
            / {formatInteger(r.denominator, lang)}
          </Typography.Text>
        </div>
      ),
    },
    {
      title: t('quality.col.pct'),
      key: 'pct',
      align: 'right',
      render: (_, r) => (
        <span
          data-testid={`pct-${r.ruleId}`}
          style={{
            fontVariantNumeric: 'tabular-nums',
            color: r.passed === false ? '#cf1322' : undefined,
            fontWeight: r.passed === false ? 600 : undefined,
          }}
        >
          {r.status === 'evaluated' && r.denominator > 0 ? pctText(r.pct, 2) : '—'}
        </span>
      ),
    },
    {
      title: (
        <Tooltip title={t('quality.thresholdHelp')}>
          <span style={{ borderBottom: '1px dotted #8c8c8c' }}>{t('quality.col.threshold')}</span>
        </Tooltip>
      ),
      key: 'threshold',
      align: 'right',
      render: (_, r) => (
        <ThresholdCell
          key={`${r.ruleId}|${r.thresholdPct}`}
          t={t}
          result={r}
          editable={opts.editable}
          saving={opts.saving === r.ruleId}
          onSave={(pct) => opts.onThreshold(r, pct)}
        />
      ),
    },
    {
      title: t('quality.col.outcome'),
      key: 'outcome',
      render: (_, r) => (
        <span data-testid={`outcome-${r.ruleId}`}>
          <OutcomeTag t={t} result={r} />
        </span>
      ),
    },
    {
      title: '',
      key: 'open',
      align: 'right',
      render: (_, r) => (
        <Button type="link" size="small" data-testid={`rule-open-${r.ruleId}`} onClick={() => opts.open(r)}>
          {t('quality.details')}
        </Button>
      ),
    },
  ];
}

/** One hospital's quality; `steward` says whether the user is this hospital's own data steward. */
export function NodeView({
  node,
  nodes,
  onNode,
  steward,
}: {
  node: string;
  nodes: readonly OverviewNode[];
  onNode: (node: string) => void;
  steward: boolean;
}) {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const { message } = AntApp.useApp();

  const loadRuns = useCallback(
    (signal: AbortSignal) =>
      api.request<QualityRunsResponse>(`${qualityPath(node, 'runs')}?limit=${RUNS_LIMIT}`, { signal }),
    [api, node],
  );
  const runs = useFetch(loadRuns);
  const [picked, setPicked] = useState<string | null>(null);
  const runId = picked ?? newestCompleted(runs.data?.runs ?? [])?.runId ?? null;

  const loadResults = useCallback(
    (signal: AbortSignal) => api.request<RunResultsResponse>(qualityPath(node, 'runs', runId ?? ''), { signal }),
    [api, node, runId],
  );
  const results = useFetch(runId ? loadResults : null);
  const loadTrend = useCallback(
    (signal: AbortSignal) =>
      api.request<QualityTrendResponse>(`${qualityPath(node, 'trend')}?limit=${TREND_RUNS}`, { signal }),
    [api, node],
  );
  const trend = useFetch(loadTrend);

  const [filter, setFilter] = useState<'failing' | 'all'>('failing');
  const [open, setOpen] = useState<RuleResultView | null>(null);
  const [reportOpen, setReportOpen] = useState(false);
  const [saving, setSaving] = useState<string | null>(null);
  const [pending, setPending] = useState<ReadonlyMap<string, number>>(new Map());
  const [running, setRunning] = useState(false);

  const rows = useMemo(() => {
    const all = (results.data?.results ?? []).map((r) => {
      const threshold = pending.get(r.ruleId);
      return threshold === undefined ? r : { ...r, thresholdPct: threshold, passed: passedUnder(r, threshold) };
    });
    const ordered = worstFirst(all);
    return filter === 'failing' ? ordered.filter((r) => r.passed === false || r.status === 'error') : ordered;
  }, [results.data, pending, filter]);

  const saveThreshold = useCallback(
    async (rule: RuleResultView, pct: number) => {
      setSaving(rule.ruleId);
      setPending((prev) => new Map(prev).set(rule.ruleId, pct));
      try {
        const answer = await api.request<ThresholdResponse>(qualityPath(node, 'thresholds'), {
          method: 'POST',
          body: { ruleId: rule.ruleId, thresholdPct: pct },
        });
        void message.success(
          t('quality.thresholdSaved', {
            rule: rule.ruleId,
            pct: pctText(answer.thresholdPct, 2),
            runs: answer.trend.length,
          }),
        );
        results.reload();
        trend.reload();
      } catch (e) {
        void message.error(isApiError(e) ? errorHeadline(t, e, e.message) : String(e));
      } finally {
        setPending((prev) => {
          const next = new Map(prev);
          next.delete(rule.ruleId);
          return next;
        });
        setSaving(null);
      }
    },
    [api, node, message, t, results, trend],
  );

  const runNow = useCallback(async () => {
    setRunning(true);
    try {
      const summary = await api.request<RunSummaryView>(qualityPath(node, 'run'), {
        method: 'POST',
        body: {},
        timeoutMs: RUN_NOW_TIMEOUT_MS,
      });
      void message.success(t('quality.ranNow', { failed: summary.failed, rules: summary.rules }));
      setPicked(null);
      runs.reload();
      trend.reload();
    } catch (e) {
      void message.error(isApiError(e) ? errorHeadline(t, e, e.message) : String(e));
    } finally {
      setRunning(false);
    }
  }, [api, node, message, t, runs, trend]);

  const columns = useMemo(
    () =>
      ruleColumns({
        t,
        lang,
        editable: steward,
        saving,
        onThreshold: (r, pct) => void saveThreshold(r, pct),
        open: setOpen,
      }),
    [t, lang, steward, saving, saveThreshold],
  );
  const chart = useMemo(() => trendOption(t, lang, trend.data?.points ?? []), [t, lang, trend.data]);

  const current = nodes.find((n) => n.node === node);
  const data = results.data;
  const errorsFailing = (data?.results ?? []).filter((r) => r.passed === false && r.severity === 'error').length;
  const quarantined = (data?.quarantine ?? []).reduce((n, q) => n + q.count, 0);
  const runOptions = (runs.data?.runs ?? []).map((r) => ({
    value: r.runId,
    disabled: r.status !== 'completed',
    label: `${runLabel(r, t, lang)}${r.status === 'completed' ? '' : ` · ${t(`quality.runStatus.${r.status}`)}`}`,
  }));
  const failingCount = (data?.results ?? []).filter((r) => r.passed === false || r.status === 'error').length;

  return (
    <div data-testid="quality-node" style={{ display: 'flex', flexDirection: 'column', gap: 16 }}>
      <Card size="small">
        <div
          style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', gap: 12, flexWrap: 'wrap' }}
        >
          <Space wrap>
            <Typography.Text type="secondary">{t('ingest.node')}</Typography.Text>
            <Select
              data-testid="quality-node-picker"
              style={{ minWidth: 260 }}
              value={node}
              onChange={(v: string) => {
                setPicked(null);
                onNode(v);
              }}
              options={nodes.map((n) => ({ value: n.node, label: `${n.displayName} (${n.node})` }))}
            />
            {current ? <NodeStateTag t={t} state={current.state} /> : null}
            {steward ? <Tag color="blue">{t('quality.yourHospital')}</Tag> : null}
          </Space>
          <Space wrap>
            <Typography.Text type="secondary">{t('quality.run')}</Typography.Text>
            <Select
              data-testid="quality-run-picker"
              style={{ minWidth: 300 }}
              value={runId ?? undefined}
              placeholder={t('quality.noRun')}
              loading={runs.loading}
              onChange={(v: string) => setPicked(v)}
              options={runOptions}
            />
            <Tooltip title={t('ingest.refresh')}>
              <Button
                icon={<ReloadOutlined />}
                aria-label={t('ingest.refresh')}
                onClick={() => {
                  runs.reload();
                  results.reload();
                  trend.reload();
                }}
              />
            </Tooltip>
            <Button
              data-testid="quality-report"
              icon={<FileTextOutlined />}
              disabled={!runId}
              onClick={() => setReportOpen(true)}
            >
              {t('quality.report.open')}
            </Button>
            {steward ? (
              <Button
                data-testid="quality-run-now"
                type="primary"
                icon={<PlayCircleOutlined />}
                loading={running}
                onClick={() => void runNow()}
              >
                {t('quality.runNow')}
              </Button>
            ) : null}
          </Space>
        </div>
      </Card>

      {runs.error ? <ErrorAlert t={t} error={runs.error} title={t('quality.runsFailed')} /> : null}
      {results.error ? <ErrorAlert t={t} error={results.error} title={t('quality.resultsFailed')} /> : null}
      {runs.data && !runId ? (
        <Card>
          <Empty description={t('quality.noRuns')} />
        </Card>
      ) : null}

      <Row gutter={[16, 16]}>
        <Col xs={24} xl={10}>
          <Row gutter={[16, 16]}>
            <Col span={12}>
              <Card size="small" style={{ height: '100%' }}>
                <Statistic
                  title={t('quality.overall')}
                  loading={!data}
                  value={data?.totals.score ?? '—'}
                  formatter={() => (
                    <span data-testid="quality-score">
                      <ScoreText score={data?.totals.score ?? null} size={30} />
                    </span>
                  )}
                />
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {data
                    ? t('quality.passedOf', {
                        passed: data.totals.passed,
                        checked: data.totals.passed + data.totals.failed,
                      })
                    : ' '}
                </Typography.Text>
              </Card>
            </Col>
            <Col span={12}>
              <Card size="small" style={{ height: '100%' }}>
                <Statistic
                  title={t('quality.failingRules')}
                  loading={!data}
                  value={data?.totals.failed ?? 0}
                  styles={{ content: { color: (data?.totals.failed ?? 0) > 0 ? '#cf1322' : '#389e0d' } }}
                />
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {t('quality.ofWhichErrors', { n: errorsFailing })}
                </Typography.Text>
              </Card>
            </Col>
            {CATEGORY_KEYS.map((c) => {
              const o = data?.categories.find((x) => x.category === c);
              return (
                <Col span={8} key={c}>
                  <Card size="small" data-testid={`category-${c}`}>
                    <Typography.Text type="secondary">{t(`quality.category.${c}`)}</Typography.Text>
                    <div style={{ margin: '4px 0' }}>
                      <ScoreText score={o?.score ?? null} size={22} />
                    </div>
                    <Progress
                      percent={o?.score ?? 0}
                      showInfo={false}
                      size="small"
                      strokeColor={scoreColor(o?.score ?? null)}
                    />
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {o ? t('quality.passedOf', { passed: o.passed, checked: o.passed + o.failed }) : ' '}
                    </Typography.Text>
                  </Card>
                </Col>
              );
            })}
            <Col span={24}>
              <Card size="small">
                <Space size="large" wrap>
                  <Statistic title={t('quality.rulesRun')} value={data?.totals.rules ?? 0} />
                  <Statistic title={t('quality.notApplicable')} value={data?.totals.notApplicable ?? 0} />
                  <Statistic title={t('quality.quarantined')} value={formatInteger(quarantined, lang)} />
                  <div>
                    <Typography.Text type="secondary">{t('quality.col.ruleSet')}</Typography.Text>
                    <div>
                      <Typography.Text code>{data?.run.ruleSetVersion.slice(0, 12) ?? '—'}</Typography.Text>
                    </div>
                  </div>
                </Space>
              </Card>
            </Col>
          </Row>
        </Col>
        <Col xs={24} xl={14}>
          <Card title={t('quality.trend')} size="small" style={{ height: '100%' }}>
            {trend.error ? <ErrorAlert t={t} error={trend.error} title={t('quality.trendFailed')} /> : null}
            {(trend.data?.points.length ?? 0) > 0 ? (
              <QualityChart option={chart} height={300} ariaLabel={t('quality.trendLabel')} />
            ) : (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={trend.data ? t('quality.noTrend') : ' '} />
            )}
          </Card>
        </Col>
      </Row>

      <Card
        title={t('quality.rules')}
        extra={
          <Segmented<'failing' | 'all'>
            data-testid="quality-filter"
            size="small"
            value={filter}
            onChange={setFilter}
            options={[
              { value: 'failing', label: t('quality.filter.failing', { n: failingCount }) },
              { value: 'all', label: t('quality.filter.all', { n: data?.results.length ?? 0 }) },
            ]}
          />
        }
        styles={{ body: { padding: 0 } }}
      >
        <Table<RuleResultView>
          data-testid="quality-rules"
          rowKey="ruleId"
          size="middle"
          columns={columns}
          dataSource={rows}
          loading={results.loading && !data}
          pagination={rows.length > 15 ? { pageSize: 15, size: 'small' } : false}
          locale={{ emptyText: data ? t('quality.allPass') : ' ' }}
          onRow={(r) =>
            ({
              'data-testid': `rule-row-${r.ruleId}`,
              onDoubleClick: () => setOpen(r),
            }) as HTMLAttributes<HTMLElement>
          }
        />
      </Card>

      {runId ? (
        <RuleDrawer node={node} runId={runId} result={open} drill={steward} onClose={() => setOpen(null)} />
      ) : null}
      <ReportModal node={node} runId={reportOpen ? runId : null} onClose={() => setReportOpen(false)} />
    </div>
  );
}
