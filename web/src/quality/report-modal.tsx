/**
 * A run's HTML report in a modal: fetched through the hub with the session (a plain link could not carry it),
 * shown in a sandboxed frame (the report has no scripts; the sandbox keeps it so), and offered to open in a tab
 * or download as a file.
 */
import { DownloadOutlined, ExportOutlined } from '@ant-design/icons';
import { Button, Modal, Spin } from 'antd';
import { useCallback, useEffect, useMemo } from 'react';
import type { ReportResponse } from '../api-types.ts';
import { useFetch } from '../components/use-fetch.ts';
import { useLang, useT } from '../i18n/i18n-context.tsx';
import { ErrorAlert } from '../ingest/ingest-text.tsx';
import { useSession } from '../session/session-context.tsx';
import { qualityPath } from './quality-helpers.ts';

/** The modal; `runId` null keeps it closed. */
export function ReportModal({ node, runId, onClose }: { node: string; runId: string | null; onClose: () => void }) {
  const t = useT();
  const { lang } = useLang();
  const { api } = useSession();
  const load = useCallback(
    (signal: AbortSignal) =>
      api.request<ReportResponse>(`${qualityPath(node, 'runs', runId ?? '', 'report')}?format=html&lang=${lang}`, {
        signal,
      }),
    [api, node, runId, lang],
  );
  const { data, error, loading } = useFetch(runId ? load : null);
  const html = data?.format === 'html' ? data.html : null;
  const url = useMemo(() => (html ? URL.createObjectURL(new Blob([html], { type: 'text/html' })) : null), [html]);
  useEffect(() => () => (url ? URL.revokeObjectURL(url) : undefined), [url]);

  return (
    <Modal
      open={runId !== null}
      onCancel={onClose}
      width="min(1100px, 94vw)"
      title={t('quality.report.title', { id: runId ?? '' })}
      destroyOnHidden
      footer={[
        <Button key="open" icon={<ExportOutlined />} href={url ?? undefined} target="_blank" disabled={!url}>
          {t('quality.report.newTab')}
        </Button>,
        <Button
          key="download"
          icon={<DownloadOutlined />}
          href={url ?? undefined}
          download={`quality-${node}-${runId ?? ''}.html`}
          disabled={!url}
        >
          {t('quality.report.download')}
        </Button>,
        <Button key="close" type="primary" onClick={onClose}>
          {t('quality.report.close')}
        </Button>,
      ]}
    >
      {error ? <ErrorAlert t={t} error={error} title={t('quality.report.failed')} /> : null}
      {loading && !html ? (
        <div style={{ padding: 64, textAlign: 'center' }}>
          <Spin />
        </div>
      ) : null}
      {html ? (
        <iframe
          data-testid="report-frame"
          title={t('quality.report.title', { id: runId ?? '' })}
          sandbox=""
          srcDoc={html}
          style={{ width: '100%', height: '70vh', border: '1px solid #f0f0f0', borderRadius: 8 }}
        />
      ) : null}
    </Modal>
  );
}
