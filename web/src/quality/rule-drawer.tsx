/**
 * One rule of one run in a drawer: what it checks, its counts against the threshold, and, for the hospital's
 * own data steward, the failing rows' lineage (ODS file, position in it, mapping version, load; never values),
 * loaded from the hub's steward-only, audited route when the drawer opens.
 */
import { Alert, Button, Descriptions, Drawer, Empty, Progress, Spin, Table, Typography } from 'antd';
import { useCallback, useState } from 'react';
import type { RuleResultView, SampleResponse } from '../api-types.ts';
import { useFetch } from '../components/use-fetch.ts';
import { formatInteger } from '../i18n/format.ts';
import { useLang, useT } from '../i18n/i18n-context.tsx';
import { ErrorAlert } from '../ingest/ingest-text.tsx';
import { LineageDrawer, type LineageTarget } from '../lineage/lineage-drawer.tsx';
import { useSession } from '../session/session-context.tsx';
import { pctText, qualityPath } from './quality-helpers.ts';
import { CategoryText, OutcomeTag, SeverityTag } from './quality-text.tsx';

const DRAWER_WIDTH_PX = 820;

type Lineage = SampleResponse['sample'][number];

/** The drawer; `result` null keeps it closed. `drill` says whether the user is this node's steward. */
export function RuleDrawer({
  node,
  runId,
  result,
  drill,
  onClose,
}: {
  node: string;
  runId: string;
  result: RuleResultView | null;
  drill: boolean;
  onClose: () => void;
}) {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const ruleId = result?.ruleId ?? '';
  const load = useCallback(
    (signal: AbortSignal) =>
      api.request<SampleResponse>(qualityPath(node, 'runs', runId, 'rules', ruleId, 'sample'), { signal }),
    [api, node, runId, ruleId],
  );
  const sample = useFetch(result && drill && result.sampled > 0 ? load : null);
  const [trace, setTrace] = useState<LineageTarget | null>(null);

  return (
    <Drawer
      open={result !== null}
      onClose={onClose}
      size={DRAWER_WIDTH_PX}
      destroyOnHidden
      title={
        result ? (
          <span>
            {t('quality.drawer.title')} <Typography.Text code>{result.ruleId}</Typography.Text>
          </span>
        ) : null
      }
    >
      {result ? (
        <div data-testid="rule-drawer" style={{ display: 'flex', flexDirection: 'column', gap: 16 }}>
          <Typography.Title level={5} style={{ margin: 0 }}>
            {lang === 'en' ? result.description.en : result.description.zh}
          </Typography.Title>
          <Descriptions
            size="small"
            column={2}
            bordered
            items={[
              {
                key: 'category',
                label: t('quality.col.category'),
                children: <CategoryText t={t} category={result.category} subcategory={result.subcategory} />,
              },
              {
                key: 'table',
                label: t('quality.col.table'),
                children: <Typography.Text code>{result.table}</Typography.Text>,
              },
              {
                key: 'severity',
                label: t('quality.col.severity'),
                children: <SeverityTag t={t} severity={result.severity} />,
              },
              { key: 'countBy', label: t('quality.drawer.countBy'), children: t(`quality.countBy.${result.countBy}`) },
              {
                key: 'failing',
                label: t('quality.col.failing'),
                children: t('quality.drawer.failingOf', {
                  failing: formatInteger(result.failing, lang),
                  denominator: formatInteger(result.denominator, lang),
                }),
              },
              { key: 'outcome', label: t('quality.col.outcome'), children: <OutcomeTag t={t} result={result} /> },
            ]}
          />
          <div>
            <Typography.Text type="secondary">
              {t('quality.drawer.against', { pct: pctText(result.pct, 2), threshold: pctText(result.thresholdPct, 2) })}
            </Typography.Text>
            <Progress
              percent={Math.min(100, result.pct)}
              success={{ percent: Math.min(result.pct, result.thresholdPct), strokeColor: '#faad14' }}
              strokeColor={result.passed === false ? '#cf1322' : '#389e0d'}
              showInfo={false}
            />
          </div>
          {result.note ? <Alert type="info" showIcon title={result.note} /> : null}

          <Typography.Title level={5} style={{ margin: 0 }}>
            {t('quality.drawer.lineage')}
          </Typography.Title>
          {!drill ? (
            <Alert type="info" showIcon title={t('quality.drawer.stewardOnly')} data-testid="lineage-hidden" />
          ) : result.sampled === 0 ? (
            <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('quality.drawer.noFailing')} />
          ) : (
            <>
              {sample.error ? (
                <ErrorAlert t={t} error={sample.error} title={t('quality.drawer.lineageFailed')} />
              ) : null}
              {sample.loading && !sample.data ? (
                <div style={{ padding: 32, textAlign: 'center' }}>
                  <Spin />
                </div>
              ) : null}
              {sample.data ? (
                <>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {t('quality.drawer.sampleOf', {
                      shown: sample.data.sample.length,
                      failing: formatInteger(sample.data.failing, lang),
                    })}
                  </Typography.Text>
                  <Table<Lineage>
                    data-testid="lineage-table"
                    size="small"
                    rowKey={(r) => `${r.source_sha256}|${r.source_position}|${r.load_id}`}
                    dataSource={sample.data.sample}
                    pagination={false}
                    columns={[
                      {
                        title: t('quality.lineage.position'),
                        key: 'position',
                        render: (_, r) => <Typography.Text code>{r.source_position ?? '—'}</Typography.Text>,
                      },
                      {
                        title: t('quality.lineage.file'),
                        key: 'file',
                        render: (_, r) =>
                          r.source_sha256 ? (
                            <Typography.Text
                              type="secondary"
                              style={{ fontFamily: 'monospace', fontSize: 12 }}
                              copyable={{ text: r.source_sha256 }}
                            >
                              {r.source_sha256.slice(0, 12)}…
                            </Typography.Text>
                          ) : (
                            '—'
                          ),
                      },
                      {
                        title: t('quality.lineage.mapping'),
                        key: 'mapping',
                        render: (_, r) => r.mapping_version ?? '—',
                      },
                      {
                        title: t('quality.lineage.load'),
                        key: 'load',
                        render: (_, r) => (
                          <Typography.Text style={{ fontSize: 12 }}>{r.load_id ?? '—'}</Typography.Text>
                        ),
                      },
                      {
                        title: '',
                        key: 'trace',
                        render: (_, r) =>
                          r.source_sha256 && r.source_position ? (
                            <Button
                              size="small"
                              data-testid="lineage-trace"
                              onClick={() =>
                                setTrace({
                                  node,
                                  sha256: r.source_sha256 as string,
                                  position: r.source_position as string,
                                  mappingVersion: r.mapping_version,
                                })
                              }
                            >
                              {t('lineage.trace')}
                            </Button>
                          ) : null,
                      },
                    ]}
                  />
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {t('quality.drawer.audited')}
                  </Typography.Text>
                </>
              ) : null}
            </>
          )}
        </div>
      ) : null}
      <LineageDrawer target={trace} onClose={() => setTrace(null)} />
    </Drawer>
  );
}
