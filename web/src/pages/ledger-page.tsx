/**
 * 账本浏览器 / Ledger explorer: the consortium ledger's recent blocks (paged by height), a block's transactions
 * in a drawer (kind, institution, user, hashes; never payloads), a transaction search by kind / institution /
 * time, and for every transaction its receipt: a JSON download, and a "verify" button that checks the receipt
 * in this browser with WebCrypto (src/ledger/receipt-webcrypto.ts) against the validator set the hub is
 * configured with, whose hash is shown so an auditor can compare it with the one their institution holds.
 */
import { ReloadOutlined, SearchOutlined } from '@ant-design/icons';
import {
  Alert,
  Button,
  Card,
  Descriptions,
  Drawer,
  Form,
  Input,
  Select,
  Space,
  Spin,
  Table,
  type TableProps,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { type HTMLAttributes, useCallback, useMemo, useState } from 'react';
import type { TxKind } from '../../../src/ledger/contracts/schemas.ts';
import type { BlockDetail, BlockList, BlockSummary, TxHit, TxSearch, TxSummary } from '../api-types.ts';
import { ErrorDetail, errorHeadline } from '../components/error-text.tsx';
import { NoPermission } from '../components/no-permission.tsx';
import {
  FullHash,
  ReceiptActions,
  type ReceiptHandlers,
  useReceiptVerification,
} from '../components/receipt-verify.tsx';
import { useFetch } from '../components/use-fetch.ts';
import { formatDateTime, formatInteger, parseTimestamp } from '../i18n/format.ts';
import { type Translate, useLang, useT } from '../i18n/i18n-context.tsx';
import type { Lang } from '../i18n/messages.ts';
import { useSession } from '../session/session-context.tsx';

/** Blocks per page of the block list. */
export const LEDGER_BLOCKS_PAGE = 20;

// Every kind the contracts handle; a Record, so the compiler names a kind added to TX_KINDS but missing here.
const KINDS: Record<TxKind, true> = {
  'membership.add': true,
  'membership.suspend': true,
  'validators.update': true,
  'proposal.approve': true,
  'notarize.batch': true,
  'request.submit': true,
  'request.decide': true,
  'task.authorize': true,
  'task.feasibility': true,
  'task.receipt': true,
  'result.release': true,
  'consent.set': true,
  'budget.charge': true,
  'access.record': true,
};

/** The first characters of a hash, with the whole hash in a tooltip. */
function Hash({ value, chars = 12, testId }: { value: string; chars?: number; testId?: string }) {
  return (
    <Tooltip title={<span style={{ wordBreak: 'break-all' }}>{value}</span>}>
      <Typography.Text code data-testid={testId}>
        {value.slice(0, chars)}…
      </Typography.Text>
    </Tooltip>
  );
}

function timeText(iso: string, lang: Lang): string {
  const ms = parseTimestamp(iso);
  return ms === null ? '—' : formatDateTime(ms, lang);
}

function txColumns<T extends TxSummary>(
  t: Translate,
  handlers: ReceiptHandlers,
): NonNullable<TableProps<T>['columns']> {
  return [
    { title: t('ledger.col.kind'), key: 'kind', render: (_, tx) => <Tag color="blue">{tx.kind}</Tag> },
    { title: t('ledger.col.institution'), key: 'institution', dataIndex: 'institution' },
    {
      title: t('ledger.col.user'),
      key: 'user',
      render: (_, tx) => (tx.user ? `${tx.user.id} (${tx.user.role})` : '—'),
    },
    {
      title: t('ledger.col.subject'),
      key: 'subject',
      render: (_, tx) =>
        tx.subject ? (
          <Typography.Text style={{ fontSize: 12 }}>
            {tx.subject.length > 40 ? `${tx.subject.slice(0, 40)}…` : tx.subject}
          </Typography.Text>
        ) : (
          '—'
        ),
    },
    { title: t('ledger.col.txHash'), key: 'txHash', render: (_, tx) => <Hash value={tx.txHash} /> },
    {
      title: t('ledger.col.actions'),
      key: 'actions',
      render: (_, tx) => <ReceiptActions hash={tx.txHash} {...handlers} />,
    },
  ];
}

function checkText(t: Translate, detail: BlockDetail): { type: 'success' | 'info' | 'error'; text: string } {
  const { check } = detail;
  if (!check.txRootMatches) return { type: 'error', text: t('ledger.check.txRootMismatch') };
  if (check.certificate === 'verified')
    return { type: 'success', text: t('ledger.check.verified', { signers: check.signers.join(', ') }) };
  if (check.certificate === 'absent') return { type: 'info', text: t('ledger.check.absent') };
  return { type: 'error', text: t('ledger.check.failed', { reason: check.failure ?? '' }) };
}

function BlockDrawer({
  height,
  onClose,
  handlers,
}: {
  height: number | null;
  onClose: () => void;
  handlers: ReceiptHandlers;
}) {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const load = useMemo(
    () =>
      height === null
        ? null
        : (signal: AbortSignal) => api.request<BlockDetail>(`/api/ledger/blocks/${height}`, { signal }),
    [api, height],
  );
  const { data, error, loading } = useFetch(load);
  const columns = useMemo(() => txColumns<TxSummary>(t, handlers), [t, handlers]);
  const check = data ? checkText(t, data) : null;
  return (
    <Drawer
      open={height !== null}
      onClose={onClose}
      size="large"
      title={height === null ? '' : t('ledger.block.title', { height })}
      destroyOnHidden
    >
      <div data-testid="block-detail" style={{ display: 'flex', flexDirection: 'column', gap: 16 }}>
        {error ? (
          <Alert
            type="error"
            showIcon
            title={errorHeadline(t, error, t('ledger.loadFailed'))}
            description={<ErrorDetail t={t} error={error} />}
          />
        ) : null}
        {loading && !data ? <Spin /> : null}
        {data && check ? (
          <>
            <Alert
              type={check.type}
              showIcon
              title={t('ledger.check.title')}
              description={<span data-testid="block-check">{check.text}</span>}
            />
            <Descriptions size="small" column={1} bordered>
              <Descriptions.Item label={t('ledger.col.time')}>{timeText(data.block.time, lang)}</Descriptions.Item>
              <Descriptions.Item label={t('ledger.col.proposer')}>{data.block.proposer}</Descriptions.Item>
              <Descriptions.Item label={t('ledger.col.txCount')}>
                {formatInteger(data.block.txCount, lang)}
              </Descriptions.Item>
              <Descriptions.Item label={t('ledger.col.headerHash')}>
                <FullHash value={data.block.headerHash} copyable />
              </Descriptions.Item>
              <Descriptions.Item label={t('ledger.block.prevHash')}>
                <FullHash value={data.block.prevHash} />
              </Descriptions.Item>
              <Descriptions.Item label={t('ledger.block.txRoot')}>
                <FullHash value={data.block.txRoot} />
              </Descriptions.Item>
              <Descriptions.Item label={t('ledger.block.stateRoot')}>
                <FullHash value={data.block.stateRoot} />
              </Descriptions.Item>
              <Descriptions.Item label={t('ledger.block.validatorSet')}>
                <FullHash value={data.block.validatorSetHash} />
              </Descriptions.Item>
              <Descriptions.Item label={t('ledger.block.view')}>{data.view ?? '—'}</Descriptions.Item>
              <Descriptions.Item label={t('ledger.block.source')}>{data.source}</Descriptions.Item>
            </Descriptions>
            <Table<TxSummary>
              data-testid="block-txs"
              rowKey="txHash"
              size="small"
              columns={columns}
              dataSource={data.txs}
              pagination={data.txs.length > 20 ? { pageSize: 20 } : false}
              scroll={{ x: 'max-content' }}
              onRow={(tx) => ({ 'data-testid': `tx-row-${tx.index}` }) as HTMLAttributes<HTMLElement>}
            />
          </>
        ) : null}
      </div>
    </Drawer>
  );
}

function blockColumns(t: Translate, lang: Lang): TableProps<BlockSummary>['columns'] {
  return [
    {
      title: t('ledger.col.height'),
      key: 'height',
      render: (_, b) => <Typography.Link>{formatInteger(b.height, lang)}</Typography.Link>,
    },
    { title: t('ledger.col.time'), key: 'time', render: (_, b) => timeText(b.time, lang) },
    { title: t('ledger.col.proposer'), key: 'proposer', dataIndex: 'proposer' },
    {
      title: t('ledger.col.txCount'),
      key: 'txCount',
      align: 'right',
      render: (_, b) => formatInteger(b.txCount, lang),
    },
    { title: t('ledger.col.headerHash'), key: 'headerHash', render: (_, b) => <Hash value={b.headerHash} /> },
    {
      title: t('ledger.col.certified'),
      key: 'certified',
      render: (_, b) => (
        <Tag color={b.certified ? 'success' : 'processing'}>
          {t(b.certified ? 'ledger.certified' : 'ledger.uncertified')}
        </Tag>
      ),
    },
  ];
}

interface SearchForm {
  kind?: string;
  institution?: string;
  from?: string;
  to?: string;
}

/** The query string of a search; datetime-local values are the browser's local time. */
function searchQuery(form: SearchForm, before: number | null): string {
  const q = new URLSearchParams();
  if (form.kind) q.set('kind', form.kind);
  if (form.institution?.trim()) q.set('institution', form.institution.trim());
  if (form.from) q.set('from', new Date(form.from).toISOString());
  if (form.to) q.set('to', new Date(form.to).toISOString());
  if (before !== null) q.set('before', String(before));
  return q.toString();
}

function SearchCard({ handlers, onOpenBlock }: { handlers: ReceiptHandlers; onOpenBlock: (height: number) => void }) {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const [query, setQuery] = useState<{ form: SearchForm; before: number | null } | null>(null);
  const load = useMemo(
    () =>
      query === null
        ? null
        : (signal: AbortSignal) =>
            api.request<TxSearch>(`/api/ledger/txs?${searchQuery(query.form, query.before)}`, {
              signal,
              timeoutMs: 30_000,
            }),
    [api, query],
  );
  const { data, error, loading } = useFetch(load);
  const columns = useMemo<TableProps<TxHit>['columns']>(
    () => [
      {
        title: t('ledger.col.height'),
        key: 'height',
        render: (_, tx) => (
          <Typography.Link onClick={() => onOpenBlock(tx.height)}>{formatInteger(tx.height, lang)}</Typography.Link>
        ),
      },
      { title: t('ledger.col.time'), key: 'time', render: (_, tx) => timeText(tx.time, lang) },
      ...txColumns<TxHit>(t, handlers),
    ],
    [t, lang, handlers, onOpenBlock],
  );
  return (
    <Card title={t('ledger.search.title')}>
      <Form<SearchForm>
        layout="inline"
        onFinish={(form) => setQuery({ form, before: null })}
        onReset={() => setQuery(null)}
        style={{ rowGap: 8, marginBottom: 16 }}
      >
        <Form.Item name="kind" label={t('ledger.search.kind')}>
          <Select
            allowClear
            style={{ width: 200 }}
            data-testid="search-kind"
            options={Object.keys(KINDS).map((k) => ({ value: k, label: k }))}
          />
        </Form.Item>
        <Form.Item name="institution" label={t('ledger.search.institution')}>
          <Input allowClear style={{ width: 160 }} data-testid="search-institution" />
        </Form.Item>
        <Form.Item name="from" label={t('ledger.search.from')}>
          <Input type="datetime-local" data-testid="search-from" />
        </Form.Item>
        <Form.Item name="to" label={t('ledger.search.to')}>
          <Input type="datetime-local" data-testid="search-to" />
        </Form.Item>
        <Form.Item>
          <Space>
            <Button type="primary" htmlType="submit" icon={<SearchOutlined />} data-testid="search-submit">
              {t('ledger.search.submit')}
            </Button>
            <Button htmlType="reset">{t('ledger.search.reset')}</Button>
          </Space>
        </Form.Item>
      </Form>
      {error ? (
        <Alert
          type="error"
          showIcon
          title={errorHeadline(t, error, t('ledger.loadFailed'))}
          description={<ErrorDetail t={t} error={error} />}
        />
      ) : null}
      {query === null ? <Typography.Text type="secondary">{t('ledger.search.idle')}</Typography.Text> : null}
      {data ? (
        <Space orientation="vertical" style={{ width: '100%' }}>
          <Typography.Text type="secondary" data-testid="search-summary">
            {data.scanned
              ? t('ledger.search.scanned', {
                  from: data.scanned.fromHeight,
                  to: data.scanned.toHeight,
                  n: data.txs.length,
                })
              : t('ledger.search.empty')}
          </Typography.Text>
          {data.truncated ? <Alert type="info" showIcon title={t('ledger.search.truncated')} /> : null}
          <Table<TxHit>
            data-testid="search-results"
            rowKey="txHash"
            size="small"
            loading={loading}
            columns={columns}
            dataSource={data.txs}
            pagination={false}
            scroll={{ x: 'max-content' }}
            locale={{ emptyText: t('ledger.search.empty') }}
          />
          {data.nextBefore !== null && query ? (
            <Button onClick={() => setQuery({ form: query.form, before: data.nextBefore })} data-testid="search-more">
              {t('ledger.search.more', { height: data.nextBefore })}
            </Button>
          ) : null}
        </Space>
      ) : null}
    </Card>
  );
}

/** The ledger explorer page. */
export function LedgerPage() {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const [before, setBefore] = useState<number | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const { handlers, modal } = useReceiptVerification(api);

  const load = useCallback(
    (signal: AbortSignal) => {
      const q = new URLSearchParams({ limit: String(LEDGER_BLOCKS_PAGE) });
      if (before !== null) q.set('before', String(before));
      return api.request<BlockList>(`/api/ledger/blocks?${q}`, { signal, timeoutMs: 30_000 });
    },
    [api, before],
  );
  const { data, error, loading, reload } = useFetch(load);
  const columns = useMemo(() => blockColumns(t, lang), [t, lang]);

  if (error?.status === 403) return <NoPermission code={error.code} />;

  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 16 }}>
      <Card
        title={t('ledger.blocks.title')}
        extra={
          <Space>
            {before !== null ? <Button onClick={() => setBefore(null)}>{t('ledger.blocks.refresh')}</Button> : null}
            <Button icon={<ReloadOutlined />} onClick={reload} aria-label={t('ledger.blocks.refresh')} />
          </Space>
        }
        styles={{ body: { padding: 0 } }}
      >
        {error ? (
          <Alert
            type="error"
            showIcon
            title={errorHeadline(t, error, t('ledger.loadFailed'))}
            description={<ErrorDetail t={t} error={error} />}
          />
        ) : null}
        {data ? (
          <Typography.Paragraph type="secondary" style={{ margin: '12px 16px' }} data-testid="ledger-tip">
            {t('ledger.blocks.tip', { chainId: data.chainId, height: data.tip, source: data.source })}
          </Typography.Paragraph>
        ) : null}
        <Table<BlockSummary>
          data-testid="blocks-table"
          rowKey="height"
          columns={columns}
          dataSource={data?.blocks ?? []}
          loading={loading}
          pagination={false}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: data ? t('ledger.empty') : ' ' }}
          onRow={(b) =>
            ({
              'data-testid': `block-row-${b.height}`,
              style: { cursor: 'pointer' },
              onClick: () => setOpen(b.height),
            }) as HTMLAttributes<HTMLElement>
          }
        />
        {data?.nextBefore ? (
          <div style={{ padding: 12, textAlign: 'center' }}>
            <Button onClick={() => setBefore(data.nextBefore)} data-testid="blocks-older">
              {t('ledger.blocks.older')}
            </Button>
          </div>
        ) : null}
      </Card>
      <SearchCard handlers={handlers} onOpenBlock={setOpen} />
      <BlockDrawer height={open} onClose={() => setOpen(null)} handlers={handlers} />
      {modal}
    </div>
  );
}
