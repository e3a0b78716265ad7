/**
 * The merge/split history of the patient index, newest first: merges of two global ids (the older survives),
 * splits of a record to a new id, and reviewers' decisions, each with who and when. Global ids are stable, so
 * this list is how a study finds out that two of its patients became one.
 */
import { Card, Segmented, Table, type TableProps, Tag, Typography } from 'antd';
import { useCallback, useMemo, useState } from 'react';
import type { IdentityEvent, IdentityEventsResponse } from '../api-types.ts';
import { useFetch } from '../components/use-fetch.ts';
import { formatDateTime, parseTimestamp } from '../i18n/format.ts';
import { type Translate, useLang, useT } from '../i18n/i18n-context.tsx';
import type { Lang } from '../i18n/messages.ts';
import { ErrorAlert } from '../ingest/ingest-text.tsx';
import { useSession } from '../session/session-context.tsx';
import { newestEventsAfter, splitRecordId } from './identity-helpers.ts';

/** Events read at most (the hub's page limit). */
const EVENTS_PAGE = 1_000;
const KIND_COLORS: Record<IdentityEvent['kind'], string> = {
  merge: 'purple',
  split: 'orange',
  'review-accepted': 'green',
  'review-rejected': 'default',
};

type KindFilter = 'all' | IdentityEvent['kind'];

function columns(t: Translate, lang: Lang, nameOf: (node: string) => string): TableProps<IdentityEvent>['columns'] {
  return [
    {
      title: '#',
      dataIndex: 'seq',
      width: 72,
      render: (v: number) => <Typography.Text type="secondary">{v}</Typography.Text>,
    },
    {
      title: t('identity.event.at'),
      key: 'at',
      render: (_, e) => {
        const ms = parseTimestamp(e.at);
        return <span style={{ whiteSpace: 'nowrap' }}>{ms === null ? '—' : formatDateTime(ms, lang)}</span>;
      },
    },
    {
      title: t('identity.event.kind'),
      key: 'kind',
      render: (_, e) => <Tag color={KIND_COLORS[e.kind]}>{t(`identity.kind.${e.kind}`)}</Tag>,
    },
    {
      title: t('identity.event.globalId'),
      key: 'global',
      render: (_, e) => (
        <span style={{ whiteSpace: 'nowrap' }}>
          <Typography.Text code>{e.global_id}</Typography.Text>
          {e.other_global_id ? (
            <>
              <Typography.Text type="secondary"> ← </Typography.Text>
              <Typography.Text code>{e.other_global_id}</Typography.Text>
            </>
          ) : null}
        </span>
      ),
    },
    {
      title: t('identity.event.record'),
      key: 'record',
      render: (_, e) => {
        if (!e.record_id) return <Typography.Text type="secondary">—</Typography.Text>;
        const { hospital, key } = splitRecordId(e.record_id);
        return (
          <span style={{ whiteSpace: 'nowrap' }}>
            <Tag>{nameOf(hospital)}</Tag>
            <Typography.Text code>{key}</Typography.Text>
          </span>
        );
      },
    },
    { title: t('identity.event.actor'), dataIndex: 'actor' },
  ];
}

/** The history; `total` is the number of events the summary counted (to start at the newest page). */
export function EventHistory({ total, nameOf }: { total: number; nameOf: (node: string) => string }) {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const [kind, setKind] = useState<KindFilter>('all');
  const after = newestEventsAfter(total, EVENTS_PAGE);
  const load = useCallback(
    (signal: AbortSignal) =>
      api.request<IdentityEventsResponse>(`/api/identity/events?afterSeq=${after}&limit=${EVENTS_PAGE}`, { signal }),
    [api, after],
  );
  const events = useFetch(load);
  const rows = useMemo(
    () => [...(events.data?.events ?? [])].reverse().filter((e) => kind === 'all' || e.kind === kind),
    [events.data, kind],
  );
  const cols = useMemo(() => columns(t, lang, nameOf), [t, lang, nameOf]);

  return (
    <Card
      data-testid="identity-history"
      title={t('identity.history')}
      extra={
        <Segmented<KindFilter>
          size="small"
          value={kind}
          onChange={setKind}
          options={(['all', 'merge', 'split', 'review-accepted', 'review-rejected'] as const).map((k) => ({
            value: k,
            label: k === 'all' ? t('identity.kind.all') : t(`identity.kind.${k}`),
          }))}
        />
      }
      styles={{ body: { padding: 0 } }}
    >
      {events.error ? (
        <div style={{ padding: 16 }}>
          <ErrorAlert t={t} error={events.error} title={t('identity.historyFailed')} />
        </div>
      ) : null}
      <div data-testid="history-table">
        <Table<IdentityEvent>
          rowKey="seq"
          size="small"
          columns={cols}
          dataSource={rows}
          loading={events.loading && !events.data}
          pagination={rows.length > 15 ? { pageSize: 15, showSizeChanger: false } : false}
          locale={{ emptyText: events.data ? t('identity.noEvents') : ' ' }}
        />
      </div>
      {total > EVENTS_PAGE ? (
        <Typography.Paragraph type="secondary" style={{ margin: 0, padding: '8px 16px 12px' }}>
          {t('identity.historyNewest', { n: EVENTS_PAGE, total })}
        </Typography.Paragraph>
      ) : null}
    </Card>
  );
}
