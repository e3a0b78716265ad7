/**
 * De-identification preview (去标识化预览): what a record-level release of one table of a hospital would look
 * like under the default de-identification spec, computed at the hospital's node. A data steward previews
 * their own hospital, an administrator picks one; the preview shows each field's rule, a few released rows, and
 * whether the quasi-identifiers reach the target k (the smallest classes, the rows suppression would remove).
 * Every preview is recorded in the hub's audit trail, so it runs when asked rather than on every change.
 */
import { EyeInvisibleOutlined, SafetyOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Empty, InputNumber, Select, Spin, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import type { PrivacyPreview } from '../api-types.ts';
import { NoPermission } from '../components/no-permission.tsx';
import { useFetch } from '../components/use-fetch.ts';
import {
  DEID_K_DEFAULT,
  DEID_K_MAX,
  DEID_K_MIN,
  DEID_SAMPLE_ROWS,
  DEID_TABLES,
  type DeidTable,
  previewPath,
} from '../deid/deid-helpers.ts';
import { DeidResult } from '../deid/deid-result.tsx';
import { useLang, useT } from '../i18n/i18n-context.tsx';
import { NodeBar, useIngestNode } from '../ingest/ingest-node.tsx';
import { ErrorAlert } from '../ingest/ingest-text.tsx';
import { useSession } from '../session/session-context.tsx';

/** One preview asked for. */
interface Asked {
  node: string;
  table: DeidTable;
  k: number;
  quasiIdentifiers: string[];
}

/** The de-identification preview page. */
export function DeidPage() {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const ingest = useIngestNode();
  const [table, setTable] = useState<DeidTable>('person');
  const [k, setK] = useState(DEID_K_DEFAULT);
  const [qis, setQis] = useState<string[]>([]);
  const [asked, setAsked] = useState<Asked | null>(null);

  const node = ingest.node;
  // The first preview of a hospital runs by itself (the person table at the default k); later ones when asked.
  useEffect(() => {
    if (node && asked?.node !== node) setAsked({ node, table: 'person', k: DEID_K_DEFAULT, quasiIdentifiers: [] });
  }, [node, asked?.node]);

  const load = useMemo(
    () =>
      asked
        ? (signal: AbortSignal) =>
            api.request<PrivacyPreview>(
              previewPath(asked.node, {
                table: asked.table,
                k: asked.k,
                quasiIdentifiers: asked.quasiIdentifiers,
                sample: DEID_SAMPLE_ROWS,
              }),
              { signal },
            )
        : null,
    [api, asked],
  );
  const preview = useFetch(load);
  const current = preview.data;
  const qiOptions = (current?.table === table ? current.fields : [])
    .filter((f) => f.rule !== 'drop')
    .map((f) => ({ value: f.column, label: `${lang === 'en' ? f.en : f.zh} · ${f.column}` }));

  const run = () => {
    if (node) setAsked({ node, table, k, quasiIdentifiers: qis });
  };

  if (!ingest.allowed) return <NoPermission />;
  if (preview.error?.status === 403) return <NoPermission code={preview.error.code} />;

  return (
    <div data-testid="deid-page" style={{ display: 'flex', flexDirection: 'column', gap: 16 }}>
      <Card size="small">
        <div style={{ display: 'flex', alignItems: 'flex-end', gap: 16, flexWrap: 'wrap' }}>
          <div style={{ paddingBottom: 4 }}>
            <NodeBar ingest={ingest} />
          </div>
          <div style={{ display: 'flex', flexDirection: 'column', gap: 4 }}>
            <label htmlFor="deid-table">
              <Typography.Text type="secondary">{t('deid.table')}</Typography.Text>
            </label>
            <Select<DeidTable>
              id="deid-table"
              data-testid="deid-table"
              style={{ width: 240 }}
              value={table}
              onChange={(v) => {
                setTable(v);
                setQis([]);
              }}
              options={DEID_TABLES.map((name) => ({ value: name, label: `${t(`deid.tableName.${name}`)} · ${name}` }))}
            />
          </div>
          <div style={{ display: 'flex', flexDirection: 'column', gap: 4 }}>
            <label htmlFor="deid-k">
              <Typography.Text type="secondary">{t('deid.targetK')}</Typography.Text>
            </label>
            <InputNumber
              id="deid-k"
              data-testid="deid-k-input"
              min={DEID_K_MIN}
              max={DEID_K_MAX}
              precision={0}
              value={k}
              onChange={(v) => setK(typeof v === 'number' ? v : DEID_K_DEFAULT)}
              style={{ width: 96 }}
            />
          </div>
          <div style={{ display: 'flex', flexDirection: 'column', gap: 4, flex: '1 1 260px', minWidth: 260 }}>
            <label htmlFor="deid-qi">
              <Typography.Text type="secondary">{t('deid.quasiIdentifiers')}</Typography.Text>
            </label>
            <Select<string[]>
              id="deid-qi"
              mode="multiple"
              allowClear
              maxCount={8}
              value={qis}
              onChange={setQis}
              placeholder={t('deid.qiDefault')}
              options={qiOptions}
              notFoundContent={t('deid.qiAfterPreview')}
            />
          </div>
          <Button
            type="primary"
            icon={<EyeInvisibleOutlined />}
            onClick={run}
            loading={preview.loading}
            disabled={!node}
            data-testid="deid-run"
          >
            {t('deid.run')}
          </Button>
        </div>
      </Card>

      <Alert type="info" showIcon icon={<SafetyOutlined />} title={t('deid.about')} />

      {preview.error ? <ErrorAlert t={t} error={preview.error} title={t('deid.failed')} /> : null}
      {current ? (
        <Spin spinning={preview.loading}>
          <DeidResult preview={current} />
        </Spin>
      ) : preview.loading ? (
        <Card>
          <div style={{ padding: 48, textAlign: 'center' }}>
            <Spin />
          </div>
        </Card>
      ) : !preview.error ? (
        <Card>
          <Empty description={t('deid.pick')} />
        </Card>
      ) : null}
    </div>
  );
}
