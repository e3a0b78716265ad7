/**
 * A steward's queue of federated tasks their hospital's policy holds (kinds it does not run automatically): what
 * each task asks (kind, request, researcher, cohort codes, variables), with approve or refuse and a comment. The
 * node keeps the decision; an approved task runs when the researcher runs it again.
 */
import { App, Button, Card, Empty, Input, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { useCallback, useState } from 'react';
import type { ApprovalView } from '../../../src/federation/approvals.ts';
import { isApiError } from '../api.ts';
import { ErrorDetail, errorHeadline } from '../components/error-text.tsx';
import { useFetch } from '../components/use-fetch.ts';
import { formatDateTime, parseTimestamp } from '../i18n/format.ts';
import { useLang, useT } from '../i18n/i18n-context.tsx';
import { useSession } from '../session/session-context.tsx';

/** The held tasks of `hospital`, for its steward. */
export function HeldTasks({ hospital }: { hospital: string }) {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const { message } = App.useApp();
  const [comments, setComments] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState<string | null>(null);
  const load = useCallback(
    (signal: AbortSignal) =>
      api.request<{ tasks: ApprovalView[] }>(`/api/federation/approvals/${encodeURIComponent(hospital)}`, { signal }),
    [api, hospital],
  );
  const { data, error, loading, reload } = useFetch(load);

  const decide = async (taskId: string, decision: 'approve' | 'refuse') => {
    setBusy(taskId);
    try {
      await api.request(`/api/federation/approvals/${encodeURIComponent(hospital)}/${encodeURIComponent(taskId)}`, {
        method: 'POST',
        body: { decision, comment: comments[taskId]?.trim() || t(`requests.decision.${decision}`) },
      });
      void message.success(t('held.decided'));
      reload();
    } catch (e) {
      if (isApiError(e)) void message.error(errorHeadline(t, e, t('requests.decideFailed')));
    } finally {
      setBusy(null);
    }
  };

  return (
    <Card title={t('held.title', { hospital })} data-testid="held-tasks">
      <Typography.Paragraph type="secondary">{t('held.about')}</Typography.Paragraph>
      {error ? <ErrorDetail t={t} error={error} /> : null}
      <Table
        rowKey="taskId"
        size="small"
        loading={loading && !data}
        dataSource={data?.tasks ?? []}
        pagination={false}
        locale={{ emptyText: <Empty description={t('held.none')} /> }}
        columns={[
          { title: t('held.col.kind'), key: 'kind', render: (_, x) => <Tag>{x.kind}</Tag> },
          {
            title: t('held.col.request'),
            key: 'request',
            render: (_, x) => (
              <span>
                {x.requestId}
                <br />
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {x.researcher} · {formatDateTime(parseTimestamp(x.issuedAt) ?? 0, lang)}
                </Typography.Text>
              </span>
            ),
          },
          {
            title: t('held.col.cohort'),
            key: 'cohort',
            render: (_, x) => (
              <Tooltip title={x.cohort.codes.join(', ')}>
                {t('held.cohort', { codes: x.cohort.codeCount, criteria: x.cohort.criteria })}
              </Tooltip>
            ),
          },
          {
            title: t('held.col.variables'),
            key: 'variables',
            render: (_, x) => x.variables.map((v) => <Tag key={v.name}>{v.name}</Tag>),
          },
          {
            title: t('held.col.decision'),
            key: 'decision',
            render: (_, x) => (
              <Space direction="vertical" size={4}>
                <Input
                  size="small"
                  placeholder={t('requests.comment')}
                  value={comments[x.taskId] ?? ''}
                  onChange={(e) => setComments((c) => ({ ...c, [x.taskId]: e.target.value }))}
                />
                <Space>
                  <Button
                    size="small"
                    type="primary"
                    loading={busy === x.taskId}
                    onClick={() => decide(x.taskId, 'approve')}
                  >
                    {t('requests.decision.approve')}
                  </Button>
                  <Button size="small" danger loading={busy === x.taskId} onClick={() => decide(x.taskId, 'refuse')}>
                    {t('requests.decision.refuse')}
                  </Button>
                </Space>
              </Space>
            ),
          },
        ]}
      />
    </Card>
  );
}
