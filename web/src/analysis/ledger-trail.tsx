/**
 * A federated task's trail on the consortium ledger, as a timeline: the authorization, one execution receipt
 * per hospital (a hospital without one is flagged), and the release of the result or why it was not released.
 */
import { CheckCircleOutlined, ExclamationCircleOutlined, SafetyCertificateOutlined } from '@ant-design/icons';
import { Timeline, type TimelineItemProps, Tooltip, Typography } from 'antd';
import type { LedgerTrail } from '../api-types.ts';
import { type Translate, useT } from '../i18n/i18n-context.tsx';
import { ledgerSteps, type TrailStep } from './result-data.ts';

function Tx({ hash }: { hash: string }) {
  return (
    <Tooltip title={<span style={{ wordBreak: 'break-all' }}>{hash}</span>}>
      <Typography.Text code>{hash.slice(0, 16)}…</Typography.Text>
    </Tooltip>
  );
}

/** One step of the trail as a timeline item. */
function stepItem(t: Translate, s: TrailStep): TimelineItemProps {
  switch (s.step) {
    case 'authorize':
      return {
        color: 'blue',
        icon: <SafetyCertificateOutlined />,
        content: (
          <span>
            {t('analysis.trail.authorize', { height: s.height ?? 0 })} <Tx hash={s.txHash ?? ''} />
          </span>
        ),
      };
    case 'receipt':
      return {
        color: 'green',
        content: (
          <span>
            {t('analysis.trail.receipt', { hospital: s.hospital ?? '', height: s.height ?? 0 })}{' '}
            <Tx hash={s.txHash ?? ''} />
          </span>
        ),
      };
    case 'release':
      return {
        color: 'green',
        icon: <CheckCircleOutlined />,
        content: (
          <span>
            {t('analysis.trail.release', { height: s.height ?? 0 })} <Tx hash={s.txHash ?? ''} />
            <br />
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('analysis.trail.resultHash')} <Tx hash={s.note ?? ''} />
            </Typography.Text>
          </span>
        ),
      };
    case 'unreleased':
      return {
        color: 'orange',
        icon: <ExclamationCircleOutlined />,
        content: <span>{t('analysis.trail.unreleased', { reason: s.note ?? '—' })}</span>,
      };
  }
}

/** The ledger trail of one answer; `hospitals` are those asked, so a missing receipt shows. */
export function LedgerTrailView({
  answer,
  hospitals,
}: {
  answer: { authorizedAt: { txHash: string; height: number }; ledger: LedgerTrail };
  hospitals: readonly string[];
}) {
  const t = useT();
  const steps = ledgerSteps(answer);
  const withReceipt = new Set(steps.filter((s) => s.step === 'receipt').map((s) => s.hospital));
  const noReceipt = hospitals.filter((h) => !withReceipt.has(h));
  const items = [
    ...steps.map((s) => stepItem(t, s)),
    ...noReceipt.map((h) => ({
      color: 'red',
      content: <Typography.Text type="danger">{t('analysis.trail.noReceipt', { hospital: h })}</Typography.Text>,
    })),
  ];
  return (
    <div data-testid="ledger-trail">
      <Timeline items={items} />
    </div>
  );
}
