/**
 * Mappings (映射管理): the local codes a hospital's current files use that no code map knows, most frequent
 * first, each with suggested standard codes. The steward picks a suggestion or types a code, saves (each spec
 * and code map changed becomes its next version, recorded with the steward's name), then re-runs: the
 * current files are re-mapped under the new versions and the result is shown. An admin may review any node
 * but not change it. The mapping specs in force are listed below.
 */
import { CheckOutlined, ReloadOutlined, SaveOutlined, SyncOutlined } from '@ant-design/icons';
import {
  Alert,
  App as AntApp,
  Button,
  Card,
  Input,
  Popconfirm,
  Select,
  Table,
  type TableProps,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { type HTMLAttributes, useCallback, useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { ApiError, isApiError } from '../api.ts';
import type { CodesResponse, RerunResponse, SpecsResponse, UnmappedResponse, UnmappedRow } from '../api-types.ts';
import { NoPermission } from '../components/no-permission.tsx';
import { useFetch } from '../components/use-fetch.ts';
import { formatInteger } from '../i18n/format.ts';
import { type Translate, useLang, useT } from '../i18n/i18n-context.tsx';
import type { Lang } from '../i18n/messages.ts';
import { codeEdits, isPlausibleCode, unmappedKey } from '../ingest/ingest-helpers.ts';
import { type IngestNode, NodeBar, useIngestNode } from '../ingest/ingest-node.tsx';
import { ErrorAlert } from '../ingest/ingest-text.tsx';
import { useSession } from '../session/session-context.tsx';

/** How long the page waits for a re-run: it re-maps every current file, minutes on a large hospital. */
export const RERUN_TIMEOUT_MS = 30 * 60_000;

type SpecView = SpecsResponse['specs'][number];

/** What the last save or re-run did, shown until the next one. */
type Outcome =
  | { kind: 'saved'; versions: string[]; entries: number }
  | { kind: 'rerun'; result: RerunResponse }
  | { kind: 'error'; title: string; error: ApiError };

function unmappedColumns(opts: {
  t: Translate;
  lang: Lang;
  chosen: ReadonlyMap<string, string>;
  choose: (key: string, code: string) => void;
  editable: boolean;
}): TableProps<UnmappedRow>['columns'] {
  const { t, lang, chosen, choose, editable } = opts;
  return [
    {
      title: t('mappings.col.count'),
      key: 'count',
      align: 'right',
      width: 96,
      render: (_, r) => (
        <Tooltip title={t('mappings.inFiles', { n: r.files })}>
          <Typography.Text strong>{formatInteger(r.count, lang)}</Typography.Text>
        </Tooltip>
      ),
    },
    {
      title: t('mappings.col.map'),
      key: 'map',
      render: (_, r) => (
        <div style={{ fontSize: 12 }}>
          <Typography.Text code>{r.spec}</Typography.Text>
          <br />
          <Typography.Text type="secondary">
            {t('mappings.codeMap')}: {r.codeMap}
          </Typography.Text>
        </div>
      ),
    },
    {
      title: t('mappings.col.code'),
      key: 'code',
      render: (_, r) => (
        <Typography.Text code strong>
          {r.code}
        </Typography.Text>
      ),
    },
    { title: t('mappings.col.name'), key: 'name', render: (_, r) => r.name ?? '—' },
    {
      title: t('mappings.col.suggestions'),
      key: 'suggestions',
      render: (_, r) => {
        if (r.suggestions.length === 0)
          return <Typography.Text type="secondary">{t('mappings.noSuggestions')}</Typography.Text>;
        const current = chosen.get(unmappedKey(r))?.trim();
        return (
          <div style={{ display: 'flex', flexWrap: 'wrap', gap: 4 }}>
            {r.suggestions.map((s) => {
              const selected = current === s.code;
              return (
                <Tooltip
                  key={`${s.vocabulary}:${s.code}`}
                  title={t('mappings.suggestionTip', {
                    vocabulary: s.vocabulary,
                    score: Math.round(s.score * 100),
                  })}
                >
                  <Tag
                    data-testid={`suggestion-${r.code}-${s.code}`}
                    color={selected ? 'blue' : undefined}
                    icon={selected ? <CheckOutlined /> : undefined}
                    style={{ cursor: editable ? 'pointer' : 'default', marginInlineEnd: 0, userSelect: 'none' }}
                    onClick={editable ? () => choose(unmappedKey(r), s.code) : undefined}
                  >
                    {s.code} · {s.name}
                  </Tag>
                </Tooltip>
              );
            })}
          </div>
        );
      },
    },
    {
      title: t('mappings.col.standard'),
      key: 'standard',
      width: 180,
      render: (_, r) => {
        const value = chosen.get(unmappedKey(r)) ?? '';
        const bad = value.trim() !== '' && !isPlausibleCode(value);
        return (
          <Input
            data-testid={`standard-${r.code}`}
            size="small"
            value={value}
            disabled={!editable}
            status={bad ? 'error' : undefined}
            placeholder={t('mappings.standardPlaceholder')}
            allowClear
            maxLength={100}
            onChange={(e) => choose(unmappedKey(r), e.target.value)}
          />
        );
      },
    },
  ];
}

function specColumns(t: Translate, lang: Lang): TableProps<SpecView>['columns'] {
  return [
    {
      title: t('mappings.spec.id'),
      key: 'id',
      render: (_, s) => (
        <div>
          <Typography.Text code>
            {s.id}@{s.version}
          </Typography.Text>
          {s.description ? (
            <div>
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {s.description}
              </Typography.Text>
            </div>
          ) : null}
        </div>
      ),
    },
    {
      title: t('mappings.spec.target'),
      key: 'target',
      render: (_, s) => <Typography.Text code>{s.target}</Typography.Text>,
    },
    {
      title: t('mappings.spec.codeMaps'),
      key: 'codeMaps',
      render: (_, s) => {
        const maps = Object.entries(s.codeMaps);
        if (maps.length === 0) return '—';
        return maps.map(([name, map]) => (
          <Tag key={name} style={{ marginBottom: 2 }}>
            {t('mappings.spec.entries', { name, n: formatInteger(Object.keys(map.entries).length, lang) })}
          </Tag>
        ));
      },
    },
  ];
}

/** The mappings page; what was chosen and the last outcome start afresh when the node changes. */
export function MappingsPage() {
  const ingest = useIngestNode();
  return <MappingsView key={ingest.node ?? ''} ingest={ingest} />;
}

function MappingsView({ ingest }: { ingest: IngestNode }) {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const { message } = AntApp.useApp();
  const node = ingest.node;
  const base = node ? `/api/ingest/${encodeURIComponent(node)}` : null;

  const loadUnmapped = useCallback(
    (signal: AbortSignal) => api.request<UnmappedResponse>(`${base}/unmapped`, { signal }),
    [api, base],
  );
  const unmapped = useFetch(base ? loadUnmapped : null);
  const loadSpecs = useCallback(
    (signal: AbortSignal) => api.request<SpecsResponse>(`${base}/specs`, { signal }),
    [api, base],
  );
  const specs = useFetch(base ? loadSpecs : null);

  const [chosen, setChosen] = useState<ReadonlyMap<string, string>>(new Map());
  const [source, setSource] = useState<string | null>(null);
  const [busy, setBusy] = useState<'save' | 'rerun' | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  const choose = useCallback((key: string, code: string) => {
    setChosen((prev) => {
      const next = new Map(prev);
      if (code === '') next.delete(key);
      else next.set(key, code);
      return next;
    });
  }, []);

  const rows = useMemo(() => unmapped.data?.unmapped ?? [], [unmapped.data]);
  const edits = useMemo(() => codeEdits(rows, chosen), [rows, chosen]);
  const editCount = edits.reduce((n, e) => n + e.entries.length, 0);
  const invalid = [...chosen.values()].some((v) => v.trim() !== '' && !isPlausibleCode(v));
  const profiles = specs.data?.profiles ?? [];
  const rerunSource = source ?? profiles[0]?.source ?? null;

  const columns = useMemo(
    () => unmappedColumns({ t, lang, chosen, choose, editable: ingest.canEdit && busy === null }),
    [t, lang, chosen, choose, ingest.canEdit, busy],
  );
  const sColumns = useMemo(() => specColumns(t, lang), [t, lang]);

  const save = async () => {
    if (!base) return;
    setBusy('save');
    const versions: string[] = [];
    try {
      for (const body of edits) {
        const r = await api.request<CodesResponse>(`${base}/codes`, { method: 'POST', body });
        versions.push(r.spec);
      }
      setOutcome({ kind: 'saved', versions, entries: editCount });
      setChosen(new Map());
      void message.success(t('mappings.savedToast', { n: editCount }));
      specs.reload();
    } catch (e) {
      const error = isApiError(e) ? e : new ApiError('MER_INTERNAL', String(e), 0);
      setOutcome({ kind: 'error', title: t('mappings.saveFailed', { n: versions.length }), error });
      if (versions.length > 0) specs.reload();
    } finally {
      setBusy(null);
    }
  };

  const rerun = async () => {
    if (!base) return;
    setBusy('rerun');
    try {
      const result = await api.request<RerunResponse>(`${base}/rerun`, {
        method: 'POST',
        body: profiles.length > 1 && rerunSource ? { source: rerunSource } : {},
        timeoutMs: RERUN_TIMEOUT_MS,
      });
      setOutcome({ kind: 'rerun', result });
      unmapped.reload();
    } catch (e) {
      const error = isApiError(e) ? e : new ApiError('MER_INTERNAL', String(e), 0);
      setOutcome({ kind: 'error', title: t('mappings.rerunFailed'), error });
    } finally {
      setBusy(null);
    }
  };

  if (!ingest.allowed || unmapped.error?.status === 403) return <NoPermission code={unmapped.error?.code} />;

  const sourcesHref = `/sources${node ? `?node=${encodeURIComponent(node)}` : ''}`;

  return (
    <div data-testid="mappings-page" style={{ display: 'flex', flexDirection: 'column', gap: 16 }}>
      <Card size="small">
        <div
          style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', gap: 16, flexWrap: 'wrap' }}
        >
          <NodeBar ingest={ingest} />
          <Button
            icon={<ReloadOutlined />}
            onClick={() => {
              unmapped.reload();
              specs.reload();
            }}
          >
            {t('ingest.refresh')}
          </Button>
        </div>
      </Card>

      {ingest.canEdit ? null : (
        <Alert type="info" showIcon title={t('mappings.readOnly')} description={t('mappings.readOnlyDetail')} />
      )}

      {outcome?.kind === 'saved' ? (
        <Alert
          data-testid="mappings-saved"
          type="success"
          showIcon
          closable={{ onClose: () => setOutcome(null) }}
          title={t('mappings.saved', { n: outcome.entries, versions: outcome.versions.join(', ') })}
          description={t('mappings.savedNext')}
        />
      ) : null}
      {outcome?.kind === 'rerun' ? (
        <Alert
          data-testid="rerun-result"
          type={outcome.result.totals.failed > 0 ? 'warning' : 'success'}
          showIcon
          closable={{ onClose: () => setOutcome(null) }}
          title={t('mappings.rerunDone', { id: outcome.result.loadId })}
          description={
            <span>
              {t('mappings.rerunTotals', {
                files: formatInteger(outcome.result.totals.files, lang),
                records: formatInteger(outcome.result.totals.recordsRead, lang),
                rows: formatInteger(outcome.result.totals.rowsLoaded, lang),
                rejected: formatInteger(outcome.result.totals.rejected, lang),
                failed: formatInteger(outcome.result.totals.failed, lang),
              })}{' '}
              <Link to={sourcesHref}>{t('mappings.toLoads')}</Link>
            </span>
          }
        />
      ) : null}
      {outcome?.kind === 'error' ? <ErrorAlert t={t} error={outcome.error} title={outcome.title} /> : null}
      {unmapped.error && unmapped.error.status !== 403 ? (
        <ErrorAlert t={t} error={unmapped.error} title={t('mappings.loadFailed')} />
      ) : null}
      {busy === 'rerun' ? <Alert type="info" showIcon title={t('mappings.rerunning')} /> : null}

      <Card
        title={
          <span>
            {t('mappings.unmapped')}{' '}
            {unmapped.data ? <Tag style={{ marginInlineStart: 8 }}>{formatInteger(rows.length, lang)}</Tag> : null}
          </span>
        }
        extra={
          ingest.canEdit ? (
            <div style={{ display: 'flex', gap: 8, alignItems: 'center', flexWrap: 'wrap' }}>
              {profiles.length > 1 ? (
                <Select
                  size="middle"
                  style={{ minWidth: 140 }}
                  value={rerunSource ?? undefined}
                  onChange={(v: string) => setSource(v)}
                  options={profiles.map((p) => ({ value: p.source, label: p.source }))}
                  aria-label={t('mappings.rerunSource')}
                />
              ) : null}
              <Popconfirm
                title={t('mappings.rerunConfirm')}
                description={t('mappings.rerunConfirmDetail', { source: rerunSource ?? '—' })}
                okText={t('mappings.rerun')}
                cancelText={t('mappings.cancel')}
                onConfirm={() => void rerun()}
                disabled={busy !== null || !rerunSource}
              >
                <Button
                  data-testid="mappings-rerun"
                  icon={<SyncOutlined spin={busy === 'rerun'} />}
                  loading={busy === 'rerun'}
                  disabled={busy !== null || !rerunSource}
                >
                  {t('mappings.rerun')}
                </Button>
              </Popconfirm>
              <Button
                data-testid="mappings-save"
                type="primary"
                icon={<SaveOutlined />}
                loading={busy === 'save'}
                disabled={busy !== null || editCount === 0 || invalid}
                onClick={() => void save()}
              >
                {editCount > 0 ? t('mappings.saveN', { n: editCount }) : t('mappings.save')}
              </Button>
            </div>
          ) : null
        }
        styles={{ body: { padding: 0 } }}
      >
        <Table<UnmappedRow>
          data-testid="unmapped-table"
          rowKey={unmappedKey}
          size="middle"
          columns={columns}
          dataSource={rows}
          loading={unmapped.loading && !unmapped.data}
          pagination={{ pageSize: 15, hideOnSinglePage: true, showSizeChanger: false }}
          locale={{ emptyText: unmapped.data ? t('mappings.allMapped') : ' ' }}
          onRow={(r) => ({ 'data-testid': `unmapped-row-${r.code}` }) as HTMLAttributes<HTMLElement>}
        />
      </Card>

      <Card title={t('mappings.specs')} styles={{ body: { padding: 0 } }}>
        {specs.error ? (
          <div style={{ padding: 16 }}>
            <ErrorAlert t={t} error={specs.error} title={t('mappings.specsFailed')} />
          </div>
        ) : null}
        <Table<SpecView>
          data-testid="specs-table"
          rowKey="id"
          size="small"
          columns={sColumns}
          dataSource={specs.data?.specs ?? []}
          loading={specs.loading && !specs.data}
          pagination={false}
          locale={{ emptyText: specs.data ? t('mappings.noSpecs') : ' ' }}
        />
      </Card>
    </div>
  );
}
