/**
 * Patient index (患者主索引): the master patient index across the hospitals. Everyone it serves sees the figures
 * (persons, records per hospital, persons at two or more hospitals, reviews, the last linkage run); an
 * administrator or a data steward starts a run ("link now") and works the review queue; an administrator or
 * an auditor reads the merge/split history. The hub holds keyed tokens only: no name or ID number is shown
 * because none is there.
 */
import { InfoCircleOutlined, SyncOutlined } from '@ant-design/icons';
import { Alert, App, Button, Tooltip, Typography } from 'antd';
import { useCallback, useMemo, useState } from 'react';
import { isApiError } from '../api.ts';
import type { IdentitySummary, NodesResponse, SweepSummary } from '../api-types.ts';
import { ErrorDetail } from '../components/error-text.tsx';
import { NoPermission } from '../components/no-permission.tsx';
import { useFetch } from '../components/use-fetch.ts';
import { formatDateTime, parseTimestamp } from '../i18n/format.ts';
import { useLang, useT } from '../i18n/i18n-context.tsx';
import { EventHistory } from '../identity/event-history.tsx';
import { IdentityFigures } from '../identity/identity-figures.tsx';
import {
  IDENTITY_HISTORY_ROLES,
  IDENTITY_REVIEW_ROLES,
  IDENTITY_SUMMARY_ROLES,
  sweepTotals,
  totalEvents,
} from '../identity/identity-helpers.ts';
import { ReviewQueue } from '../identity/review-queue.tsx';
import { ErrorAlert } from '../ingest/ingest-text.tsx';
import { useSession, useUser } from '../session/session-context.tsx';

/** A linkage run over every hospital can take a while on large indexes. */
const SWEEP_TIMEOUT_MS = 10 * 60_000;

/** The patient index page. */
export function IdentityPage() {
  const user = useUser();
  if (!IDENTITY_SUMMARY_ROLES.has(user.role)) return <NoPermission />;
  return <IdentityContent />;
}

function IdentityContent() {
  const t = useT();
  const { lang } = useLang();
  const user = useUser();
  const { api } = useSession();
  const { message } = App.useApp();
  const [sweeping, setSweeping] = useState(false);
  const [round, setRound] = useState(0);
  const loadSummary = useCallback(
    (signal: AbortSignal) => api.request<IdentitySummary>('/api/identity/summary', { signal }),
    [api],
  );
  const summary = useFetch(loadSummary);
  const loadNodes = useCallback((signal: AbortSignal) => api.request<NodesResponse>('/api/nodes', { signal }), [api]);
  const nodes = useFetch(loadNodes);
  const nodeList = useMemo(() => nodes.data?.nodes ?? [], [nodes.data]);
  const nameOf = useMemo(() => {
    const names = new Map(nodeList.map((n) => [n.name, n.displayName]));
    return (node: string) => names.get(node) ?? node;
  }, [nodeList]);
  const reviewer = IDENTITY_REVIEW_ROLES.has(user.role);
  const historian = IDENTITY_HISTORY_ROLES.has(user.role);

  const sweep = useCallback(() => {
    setSweeping(true);
    api
      .request<SweepSummary>('/api/identity/sweep', { method: 'POST', timeoutMs: SWEEP_TIMEOUT_MS })
      .then(
        (s) => {
          const totals = sweepTotals(s.nodes);
          const text = t('identity.sweepDone', {
            nodes: s.nodes.length,
            records: totals.records,
            reviews: totals.reviewsQueued,
          });
          void (totals.failed > 0 ? message.warning(text) : message.success(text));
          summary.reload();
          setRound((n) => n + 1);
        },
        (e: unknown) => {
          void message.error({ content: isApiError(e) ? <ErrorDetail t={t} error={e} /> : String(e) });
        },
      )
      .finally(() => setSweeping(false));
  }, [api, message, t, summary]);

  if (summary.error && isApiError(summary.error, 403)) return <NoPermission code={summary.error.code} />;
  const last = parseTimestamp(summary.data?.lastSweep?.finishedAt);

  return (
    <div data-testid="identity-page" style={{ display: 'flex', flexDirection: 'column', gap: 16 }}>
      <div
        style={{ display: 'flex', alignItems: 'center', justifyContent: 'space-between', gap: 16, flexWrap: 'wrap' }}
      >
        <Typography.Text type="secondary" style={{ maxWidth: 760 }}>
          <InfoCircleOutlined style={{ marginInlineEnd: 6 }} />
          {t('identity.intro')}
        </Typography.Text>
        <div style={{ display: 'flex', alignItems: 'center', gap: 12 }}>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {last === null ? t('identity.neverLinked') : t('identity.lastLinked', { time: formatDateTime(last, lang) })}
          </Typography.Text>
          {reviewer ? (
            <Tooltip title={t('identity.linkNowHint')}>
              <Button
                type="primary"
                icon={<SyncOutlined spin={sweeping} />}
                loading={sweeping}
                onClick={sweep}
                data-testid="identity-sweep"
              >
                {t('identity.linkNow')}
              </Button>
            </Tooltip>
          ) : null}
        </div>
      </div>
      {summary.error ? <ErrorAlert t={t} error={summary.error} title={t('identity.summaryFailed')} /> : null}
      <IdentityFigures summary={summary.data} nodes={nodeList} loading={summary.loading} />
      {reviewer ? (
        <ReviewQueue key={`reviews-${round}`} nameOf={nameOf} onDecided={summary.reload} />
      ) : (
        <Alert type="info" showIcon title={t('identity.figuresOnly')} />
      )}
      {historian && summary.data ? (
        <EventHistory key={`history-${round}`} total={totalEvents(summary.data)} nameOf={nameOf} />
      ) : null}
    </div>
  );
}
