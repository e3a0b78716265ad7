/**
 * The linkage review queue: record pairs the model could neither link nor keep apart (match probability
 * between the review and link thresholds). Each pair shows its two records (hospital and the hospital's own
 * record key), the match weight and probability, and per compared field whether the two agree fully, partly,
 * not at all, or cannot be compared; the reviewer accepts (one person) or rejects (never linked). The hub has
 * tokens only, so a reviewer who needs the clear values looks them up at the hospitals.
 */
import { CheckOutlined, CloseOutlined } from '@ant-design/icons';
import {
  App,
  Button,
  Card,
  Popconfirm,
  Progress,
  Segmented,
  Space,
  Table,
  type TableProps,
  Tag,
  Typography,
} from 'antd';
import { type Key, useCallback, useMemo, useState } from 'react';
import { isApiError } from '../api.ts';
import type { IdentityReviewsResponse, ReviewItem } from '../api-types.ts';
import { ErrorDetail } from '../components/error-text.tsx';
import { useFetch } from '../components/use-fetch.ts';
import { type Translate, useT } from '../i18n/i18n-context.tsx';
import { ErrorAlert } from '../ingest/ingest-text.tsx';
import { useSession } from '../session/session-context.tsx';
import {
  type Agreement,
  agreementColor,
  type ComparedField,
  comparisonRows,
  probabilityText,
  splitRecordId,
} from './identity-helpers.ts';

type Status = ReviewItem['status'];

/** Review items listed at most (the hub's page). */
const REVIEWS_LIMIT = 200;

function RecordRef({ id, nameOf }: { id: string; nameOf: (node: string) => string }) {
  const { hospital, key } = splitRecordId(id);
  return (
    <div style={{ display: 'flex', alignItems: 'center', gap: 6, whiteSpace: 'nowrap' }}>
      <Tag style={{ margin: 0 }}>{nameOf(hospital)}</Tag>
      <Typography.Text code copyable={{ text: id }}>
        {key}
      </Typography.Text>
    </div>
  );
}

/** The compact agreement of one field: its name in a tag of the agreement's colour. */
function AgreementTag({ t, field, agreement }: { t: Translate; field: ComparedField; agreement: Agreement }) {
  return (
    <Tag color={agreementColor(agreement)} style={{ margin: 0 }} title={t(`identity.agreement.${agreement}`)}>
      {t(`identity.field.${field}`)}
    </Tag>
  );
}

/** The per-field comparison table of one pair. */
export function ComparisonTable({ t, item }: { t: Translate; item: ReviewItem }) {
  const rows = comparisonRows(item.comparison);
  return (
    <div data-testid={`comparison-${item.reviewId}`}>
      <Table
        size="small"
        rowKey="field"
        pagination={false}
        dataSource={rows}
        style={{ maxWidth: 760 }}
        columns={[
          {
            title: t('identity.cmp.field'),
            key: 'field',
            width: 160,
            render: (_, r) => <Typography.Text strong>{t(`identity.field.${r.field}`)}</Typography.Text>,
          },
          {
            title: t('identity.cmp.agreement'),
            key: 'agreement',
            width: 140,
            render: (_, r) => <Tag color={agreementColor(r.agreement)}>{t(`identity.agreement.${r.agreement}`)}</Tag>,
          },
          {
            title: t('identity.cmp.meaning'),
            key: 'meaning',
            render: (_, r) => (
              <Typography.Text type="secondary">
                {r.agreement === 'partial' ? t(`identity.partial.${r.field}`) : t(`identity.meaning.${r.agreement}`)}
              </Typography.Text>
            ),
          },
        ]}
      />
    </div>
  );
}

function columns(
  t: Translate,
  nameOf: (node: string) => string,
  decide: (item: ReviewItem, decision: 'accept' | 'reject') => void,
  busy: string | null,
): TableProps<ReviewItem>['columns'] {
  return [
    {
      title: t('identity.review.records'),
      key: 'records',
      render: (_, r) => (
        <div style={{ display: 'flex', flexDirection: 'column', gap: 4 }}>
          <RecordRef id={r.recordA} nameOf={nameOf} />
          <RecordRef id={r.recordB} nameOf={nameOf} />
        </div>
      ),
    },
    {
      title: t('identity.review.weight'),
      key: 'weight',
      align: 'right',
      render: (_, r) => (
        <Typography.Text style={{ fontVariantNumeric: 'tabular-nums' }}>{r.weight.toFixed(2)}</Typography.Text>
      ),
    },
    {
      title: t('identity.review.probability'),
      key: 'probability',
      width: 170,
      render: (_, r) => (
        <div style={{ minWidth: 140 }}>
          <Progress
            percent={Math.round(r.probability * 1000) / 10}
            size="small"
            strokeColor={r.probability >= 0.9 ? '#389e0d' : r.probability >= 0.7 ? '#d48806' : '#cf1322'}
            format={() => probabilityText(r.probability)}
          />
        </div>
      ),
    },
    {
      title: t('identity.review.comparison'),
      key: 'comparison',
      render: (_, r) => (
        <Space size={4} wrap>
          {comparisonRows(r.comparison).map((c) => (
            <AgreementTag key={c.field} t={t} field={c.field} agreement={c.agreement} />
          ))}
        </Space>
      ),
    },
    {
      title: '',
      key: 'actions',
      align: 'right',
      render: (_, r) =>
        r.status === 'pending' ? (
          <Space>
            <Popconfirm
              title={t('identity.review.acceptConfirm')}
              okText={t('identity.review.accept')}
              cancelText={t('identity.review.cancel')}
              onConfirm={() => decide(r, 'accept')}
            >
              <Button
                type="primary"
                size="small"
                icon={<CheckOutlined />}
                loading={busy === r.reviewId}
                data-testid={`review-accept-${r.reviewId}`}
              >
                {t('identity.review.accept')}
              </Button>
            </Popconfirm>
            <Popconfirm
              title={t('identity.review.rejectConfirm')}
              okText={t('identity.review.reject')}
              cancelText={t('identity.review.cancel')}
              onConfirm={() => decide(r, 'reject')}
            >
              <Button danger size="small" icon={<CloseOutlined />} disabled={busy === r.reviewId}>
                {t('identity.review.reject')}
              </Button>
            </Popconfirm>
          </Space>
        ) : (
          <span style={{ whiteSpace: 'nowrap' }}>
            <Tag color={r.status === 'accepted' ? 'success' : 'default'}>{t(`identity.status.${r.status}`)}</Tag>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {r.decidedBy ?? ''}
            </Typography.Text>
          </span>
        ),
    },
  ];
}

/** The queue; `onDecided` refreshes the figures after a decision (remount it to load it again). */
export function ReviewQueue({ nameOf, onDecided }: { nameOf: (node: string) => string; onDecided: () => void }) {
  const t = useT();
  const { api } = useSession();
  const { message } = App.useApp();
  const [status, setStatus] = useState<Status>('pending');
  const [busy, setBusy] = useState<string | null>(null);
  const [expanded, setExpanded] = useState<readonly Key[] | null>(null);
  const load = useCallback(
    (signal: AbortSignal) =>
      api.request<IdentityReviewsResponse>(`/api/identity/reviews?status=${status}&limit=${REVIEWS_LIMIT}`, {
        signal,
      }),
    [api, status],
  );
  const reviews = useFetch(load);
  const items = reviews.data?.reviews ?? [];

  const decide = useCallback(
    (item: ReviewItem, decision: 'accept' | 'reject') => {
      setBusy(item.reviewId);
      api
        .request<{ merged: boolean }>(`/api/identity/reviews/${encodeURIComponent(item.reviewId)}`, {
          method: 'POST',
          body: { decision },
        })
        .then(
          (r) => {
            void message.success(
              decision === 'accept'
                ? t(r.merged ? 'identity.review.merged' : 'identity.review.accepted')
                : t('identity.review.rejected'),
            );
            reviews.reload();
            onDecided();
          },
          (e: unknown) => {
            void message.error({ content: isApiError(e) ? <ErrorDetail t={t} error={e} /> : String(e) });
          },
        )
        .finally(() => setBusy(null));
    },
    [api, message, t, reviews, onDecided],
  );
  const cols = useMemo(() => columns(t, nameOf, decide, busy), [t, nameOf, decide, busy]);

  return (
    <Card
      data-testid="identity-reviews"
      title={t('identity.reviews')}
      extra={
        <Segmented<Status>
          size="small"
          value={status}
          onChange={setStatus}
          options={(['pending', 'accepted', 'rejected'] as const).map((s) => ({
            value: s,
            label: t(`identity.status.${s}`),
          }))}
        />
      }
      styles={{ body: { padding: 0 } }}
    >
      {reviews.error ? (
        <div style={{ padding: 16 }}>
          <ErrorAlert t={t} error={reviews.error} title={t('identity.reviewsFailed')} />
        </div>
      ) : null}
      <Typography.Paragraph type="secondary" style={{ margin: 0, padding: '12px 16px 0' }}>
        {t('identity.reviewsHint')}
      </Typography.Paragraph>
      <div data-testid="review-table">
        <Table<ReviewItem>
          rowKey="reviewId"
          size="middle"
          columns={cols}
          dataSource={items}
          loading={reviews.loading && !reviews.data}
          pagination={items.length > 10 ? { pageSize: 10, showSizeChanger: false } : false}
          expandable={{
            expandedRowRender: (r) => <ComparisonTable t={t} item={r} />,
            expandedRowKeys: expanded ?? (items[0] ? [items[0].reviewId] : []),
            onExpandedRowsChange: setExpanded,
          }}
          locale={{ emptyText: reviews.data ? t(`identity.noReviews.${status}`) : ' ' }}
        />
      </div>
    </Card>
  );
}
