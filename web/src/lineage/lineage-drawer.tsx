/**
 * The lineage drawer (溯源): one row traced back to its source — the ODS file it was read from (source, name,
 * version, when received, SHA-256, load), the file's notarization (log position, batch root, inclusion proof),
 * the mapping spec version that made the row, and the source record itself as the node re-reads it from the
 * immutable copy. Only the hospital's own steward can open it; every look is audited on the hub.
 */
import { Alert, Collapse, Descriptions, Drawer, Spin, Tag, Typography } from 'antd';
import { useCallback } from 'react';
import type { LineageView } from '../api-types.ts';
import { useFetch } from '../components/use-fetch.ts';
import { formatDateTime, formatInteger } from '../i18n/format.ts';
import { useLang, useT } from '../i18n/i18n-context.tsx';
import { ErrorAlert } from '../ingest/ingest-text.tsx';
import { useSession } from '../session/session-context.tsx';

const DRAWER_WIDTH_PX = 760;

/** A row's lineage columns: what the drawer traces. */
export interface LineageTarget {
  node: string;
  sha256: string;
  position: string;
  mappingVersion?: string | null;
}

/** The hub path that resolves a row's lineage on its node. */
export function lineagePath(target: LineageTarget): string {
  const q = new URLSearchParams({ sha256: target.sha256, position: target.position });
  if (target.mappingVersion) q.set('mappingVersion', target.mappingVersion);
  return `/api/ingest/${encodeURIComponent(target.node)}/lineage?${q}`;
}

/** The drawer; `target` null keeps it closed. */
export function LineageDrawer({ target, onClose }: { target: LineageTarget | null; onClose: () => void }) {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const load = useCallback(
    (signal: AbortSignal) => api.request<LineageView>(lineagePath(target as LineageTarget), { signal }),
    [api, target],
  );
  const lineage = useFetch(target ? load : null);
  const data = lineage.data;
  return (
    <Drawer
      open={target !== null}
      onClose={onClose}
      size={DRAWER_WIDTH_PX}
      destroyOnHidden
      title={
        <span>
          {t('lineage.title')} <Typography.Text code>{target?.position}</Typography.Text>
        </span>
      }
    >
      <div data-testid="lineage-drawer">
        {lineage.error ? <ErrorAlert t={t} error={lineage.error} title={t('lineage.failed')} /> : null}
        {lineage.loading && !data ? <Spin /> : null}
        {data ? (
          <>
            <Typography.Title level={5}>{t('lineage.file')}</Typography.Title>
            <Descriptions size="small" column={1} bordered>
              <Descriptions.Item label={t('lineage.fileName')}>
                <Typography.Text strong>{data.file.name}</Typography.Text> <Tag>{data.file.source}</Tag>
                <Tag color="blue">{t('lineage.version', { n: data.file.version })}</Tag>
                {data.file.current ? (
                  <Tag color="success">{t('lineage.current')}</Tag>
                ) : (
                  <Tag>{t('lineage.replaced')}</Tag>
                )}
              </Descriptions.Item>
              <Descriptions.Item label="SHA-256">
                <Typography.Text style={{ fontFamily: 'monospace', fontSize: 12 }} copyable>
                  {data.file.sha256}
                </Typography.Text>
              </Descriptions.Item>
              <Descriptions.Item label={t('lineage.received')}>
                {formatDateTime(Date.parse(data.file.receivedAt), lang)} · {formatInteger(data.file.sizeBytes, lang)} B
                {data.file.format ? ` · ${data.file.format}` : ''}
              </Descriptions.Item>
              <Descriptions.Item label={t('lineage.load')}>
                {data.file.loadId ?? '—'}
                {data.file.loadedAt ? ` · ${formatDateTime(Date.parse(data.file.loadedAt), lang)}` : ''}
              </Descriptions.Item>
            </Descriptions>

            <Typography.Title level={5} style={{ marginTop: 20 }}>
              {t('lineage.notarized')}
            </Typography.Title>
            {data.notarized ? (
              <Descriptions size="small" column={1} bordered>
                <Descriptions.Item label={t('lineage.batch')}>
                  #{data.notarized.seq} ·{' '}
                  {t('lineage.entry', { i: data.notarized.index + 1, n: data.notarized.batchSize })}
                </Descriptions.Item>
                <Descriptions.Item label={t('lineage.root')}>
                  <Typography.Text style={{ fontFamily: 'monospace', fontSize: 12 }} copyable>
                    {data.notarized.batchRoot}
                  </Typography.Text>
                </Descriptions.Item>
                <Descriptions.Item label={t('lineage.proof')}>
                  {t('lineage.proofSteps', { n: data.notarized.proof.length })}
                </Descriptions.Item>
              </Descriptions>
            ) : (
              <Alert type="warning" showIcon title={t('lineage.notNotarized')} />
            )}

            <Typography.Title level={5} style={{ marginTop: 20 }}>
              {t('lineage.mapping')}
            </Typography.Title>
            {data.mapping ? (
              <Collapse
                size="small"
                items={[
                  {
                    key: 'spec',
                    label: (
                      <span>
                        <Typography.Text code>
                          {data.mapping.id}@{data.mapping.version}
                        </Typography.Text>{' '}
                        {t('lineage.specBy', {
                          by: data.mapping.createdBy,
                          at: formatDateTime(Date.parse(data.mapping.createdAt), lang),
                        })}
                      </span>
                    ),
                    children: (
                      <pre style={{ maxHeight: 280, overflow: 'auto', fontSize: 12, margin: 0 }}>
                        {JSON.stringify(data.mapping.spec, null, 2)}
                      </pre>
                    ),
                  },
                ]}
              />
            ) : (
              <Typography.Text type="secondary">{t('lineage.noMapping')}</Typography.Text>
            )}

            <Typography.Title level={5} style={{ marginTop: 20 }}>
              {t('lineage.record')} <Typography.Text code>{data.record.position}</Typography.Text>
            </Typography.Title>
            {data.record.found ? (
              <>
                <pre
                  data-testid="lineage-record"
                  style={{
                    background: '#fafafa',
                    border: '1px solid #f0f0f0',
                    padding: 12,
                    fontSize: 12,
                    maxHeight: 360,
                    overflow: 'auto',
                  }}
                >
                  {data.record.text}
                </pre>
                {data.record.truncated ? (
                  <Typography.Text type="secondary">{t('lineage.truncated')}</Typography.Text>
                ) : null}
              </>
            ) : (
              <Alert type="info" showIcon title={t('lineage.recordNotFound')} />
            )}
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('lineage.audited')}
            </Typography.Text>
          </>
        ) : null}
      </div>
    </Drawer>
  );
}
