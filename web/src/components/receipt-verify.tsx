/**
 * Ledger receipts in the portal, shared by the ledger explorer and the audit page: the download and verify
 * buttons of one transaction's receipt, and the check itself, run in this browser with WebCrypto
 * (src/ledger/receipt-webcrypto.ts) against the validator set the hub is configured with, whose hash is shown
 * so an auditor can compare it with the one their institution holds.
 */
import { DownloadOutlined, SafetyCertificateOutlined } from '@ant-design/icons';
import { Alert, App, Button, Descriptions, Modal, Result, Space, Spin, Typography } from 'antd';
import { type ReactNode, useCallback, useMemo, useRef, useState } from 'react';
import { verifyReceiptWeb, type WebReceiptVerification } from '../../../src/ledger/receipt-webcrypto.ts';
import { type ApiClient, ApiError, isApiError } from '../api.ts';
import type { TrustedSet } from '../api-types.ts';
import { useT } from '../i18n/i18n-context.tsx';
import { ErrorDetail, errorHeadline } from './error-text.tsx';

/** A whole hash, wrapped anywhere, optionally with a copy button. */
export function FullHash({ value, copyable = false }: { value: string; copyable?: boolean }) {
  return (
    <Typography.Text code copyable={copyable} style={{ wordBreak: 'break-all' }}>
      {value}
    </Typography.Text>
  );
}

/** Saves `value` as a JSON file through a temporary object URL. */
export function saveJson(value: unknown, filename: string): void {
  const url = URL.createObjectURL(new Blob([JSON.stringify(value, null, 2)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}

/** True when this browser's WebCrypto can check Ed25519 signatures. */
async function ed25519Supported(): Promise<boolean> {
  if (globalThis.crypto?.subtle === undefined) return false;
  try {
    await globalThis.crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
    return true;
  } catch {
    return false;
  }
}

/** Receipts and the trusted set, each fetched once per page visit. */
function useReceipts(api: ApiClient) {
  const receipts = useRef(new Map<string, Promise<unknown>>());
  const trusted = useRef<Promise<TrustedSet> | null>(null);
  const receipt = useCallback(
    (hash: string) => {
      let p = receipts.current.get(hash);
      if (p === undefined) {
        p = api.request<unknown>(`/api/ledger/txs/${hash}/receipt`);
        p.catch(() => receipts.current.delete(hash));
        receipts.current.set(hash, p);
      }
      return p;
    },
    [api],
  );
  const trustedSet = useCallback(() => {
    if (trusted.current === null) {
      const p = api.request<TrustedSet>('/api/ledger/validator-set');
      p.catch(() => {
        trusted.current = null;
      });
      trusted.current = p;
    }
    return trusted.current;
  }, [api]);
  return { receipt, trustedSet };
}

/** Where a receipt check stands. */
export type VerifyState =
  | { status: 'running'; hash: string }
  | { status: 'unsupported'; hash: string }
  | { status: 'error'; hash: string; error: ApiError }
  | { status: 'done'; hash: string; result: WebReceiptVerification; set: TrustedSet };

/** The outcome of verifying one receipt in this browser, in a modal. */
export function VerifyModal({ state, onClose }: { state: VerifyState | null; onClose: () => void }) {
  const t = useT();
  if (state === null) return null;
  let body: ReactNode;
  if (state.status === 'running') {
    body = (
      <div style={{ textAlign: 'center', padding: 24 }}>
        <Spin />
        <Typography.Paragraph style={{ marginTop: 12 }}>{t('ledger.verify.running')}</Typography.Paragraph>
      </div>
    );
  } else if (state.status === 'unsupported') {
    body = <Alert type="warning" showIcon title={t('ledger.verify.unsupported')} />;
  } else if (state.status === 'error') {
    body = (
      <Result
        status="error"
        title={errorHeadline(t, state.error, t('ledger.receipt.downloadFailed'))}
        subTitle={<ErrorDetail t={t} error={state.error} />}
      />
    );
  } else {
    const { result, set } = state;
    body = (
      <div data-testid="verify-result" data-ok={String(result.ok)}>
        {result.ok ? (
          <Result
            status="success"
            title={<span data-testid="verify-ok">{t('ledger.verify.ok')}</span>}
            subTitle={t('ledger.verify.okDetail', {
              tx: `${result.txHash.slice(0, 16)}…`,
              height: result.height,
              signers: result.signers.join(', '),
            })}
          />
        ) : (
          <Result
            status="error"
            title={<span data-testid="verify-failed">{t('ledger.verify.failed')}</span>}
            subTitle={
              <>
                <div>{t('ledger.verify.failedDetail', { check: result.check, message: result.message })}</div>
                <Typography.Text type="secondary">{t('error.code', { code: result.code })}</Typography.Text>
              </>
            }
          />
        )}
        {result.ok ? (
          <Descriptions size="small" column={1} bordered>
            <Descriptions.Item label={t('ledger.col.headerHash')}>
              <FullHash value={result.headerHash} copyable />
            </Descriptions.Item>
            <Descriptions.Item label={t('ledger.col.txHash')}>
              <FullHash value={result.txHash} copyable />
            </Descriptions.Item>
          </Descriptions>
        ) : null}
        <Typography.Paragraph type="secondary" style={{ marginTop: 16, fontSize: 12 }}>
          {t('ledger.verify.how')}
        </Typography.Paragraph>
        <Typography.Paragraph type="secondary" style={{ fontSize: 12, wordBreak: 'break-all' }}>
          {t('ledger.verify.trusted', { hash: set.validatorSetHash, n: set.validatorSet.validators.length })}
        </Typography.Paragraph>
      </div>
    );
  }
  return (
    <Modal open title={t('ledger.verify.title')} onCancel={onClose} footer={null} width={640} destroyOnHidden>
      {body}
    </Modal>
  );
}

/** The download and verify buttons of one transaction's receipt. */
export function ReceiptActions({
  hash,
  onDownload,
  onVerify,
}: {
  hash: string;
  onDownload: (hash: string) => void;
  onVerify: (hash: string) => void;
}) {
  const t = useT();
  return (
    <Space size={4}>
      <Button
        size="small"
        icon={<DownloadOutlined />}
        data-testid={`receipt-download-${hash}`}
        onClick={() => onDownload(hash)}
      >
        {t('ledger.receipt.download')}
      </Button>
      <Button
        size="small"
        type="primary"
        ghost
        icon={<SafetyCertificateOutlined />}
        data-testid={`receipt-verify-${hash}`}
        onClick={() => onVerify(hash)}
      >
        {t('ledger.receipt.verify')}
      </Button>
    </Space>
  );
}

/** What the receipt buttons call. */
export type ReceiptHandlers = { onDownload: (hash: string) => void; onVerify: (hash: string) => void };

/** Receipt download and in-browser verification for a page: the buttons' handlers and the result modal. */
export function useReceiptVerification(api: ApiClient): { handlers: ReceiptHandlers; modal: ReactNode } {
  const t = useT();
  const { message } = App.useApp();
  const [verify, setVerify] = useState<VerifyState | null>(null);
  const { receipt, trustedSet } = useReceipts(api);
  const handlers = useMemo<ReceiptHandlers>(
    () => ({
      onDownload: (hash) => {
        receipt(hash).then(
          (r) => saveJson(r, `receipt-${hash.slice(0, 16)}.json`),
          (e: unknown) => {
            const err = isApiError(e) ? e : new ApiError('MER_INTERNAL', String(e), 0);
            void message.error(`${t('ledger.receipt.downloadFailed')}: ${err.message}`);
          },
        );
      },
      onVerify: (hash) => {
        setVerify({ status: 'running', hash });
        const run = async (): Promise<VerifyState> => {
          if (!(await ed25519Supported())) return { status: 'unsupported', hash };
          try {
            const [r, set] = await Promise.all([receipt(hash), trustedSet()]);
            const result = await verifyReceiptWeb(r, [set.validatorSet]);
            return { status: 'done', hash, result, set };
          } catch (e) {
            return { status: 'error', hash, error: isApiError(e) ? e : new ApiError('MER_INTERNAL', String(e), 0) };
          }
        };
        void run().then((next) => setVerify((cur) => (cur?.hash === hash ? next : cur)));
      },
    }),
    [receipt, trustedSet, message, t],
  );
  return { handlers, modal: <VerifyModal state={verify} onClose={() => setVerify(null)} /> };
}
