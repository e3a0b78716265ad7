/** Small shared pieces of the stewards' pages: status tags, reason codes with their names, durations, errors. */
import { Alert, Tag, Tooltip } from 'antd';
import type { ApiError } from '../api.ts';
import { ErrorDetail, errorHeadline } from '../components/error-text.tsx';
import type { Translate } from '../i18n/i18n-context.tsx';
import { EXPLAINED_REJECT_CODES } from '../i18n/messages.ts';
import { splitDuration, statusColor } from './ingest-helpers.ts';

type ExplainedReject = (typeof EXPLAINED_REJECT_CODES)[number];

function isExplainedReject(code: string): code is ExplainedReject {
  return (EXPLAINED_REJECT_CODES as readonly string[]).includes(code);
}

/** The name of a reject reason in the current language, or the code itself when it has none. */
export function reasonName(t: Translate, code: string): string {
  return isExplainedReject(code) ? t(`reason.${code}`) : code;
}

/** A reject reason as a tag: the stable code, its name in a tooltip. */
export function ReasonTag({ t, code }: { t: Translate; code: string }) {
  const tag = (
    <Tag color="volcano" style={{ fontFamily: 'monospace', marginInlineEnd: 0 }}>
      {code}
    </Tag>
  );
  return isExplainedReject(code) ? <Tooltip title={t(`reason.${code}`)}>{tag}</Tooltip> : tag;
}

/** A load or file status as a coloured tag in the current language. */
export function StatusTag({ t, status }: { t: Translate; status: string }) {
  const known = ['completed', 'running', 'failed', 'loaded', 'unchanged'] as const;
  const label = (known as readonly string[]).includes(status)
    ? t(`ingest.status.${status as (typeof known)[number]}`)
    : status;
  return (
    <Tag color={statusColor(status)} style={{ marginInlineEnd: 0 }}>
      {label}
    </Tag>
  );
}

/** A duration in words, e.g. "1 min 23 s". */
export function durationText(t: Translate, ms: number): string {
  const d = splitDuration(ms);
  if (d.h !== undefined) return t('ingest.duration.hm', { h: d.h, m: d.m ?? 0 });
  if (d.m !== undefined) return t('ingest.duration.ms', { m: d.m, s: d.s });
  return t('ingest.duration.s', { s: d.s });
}

/** A failed call as an alert: the translated headline, the server's message and its code. */
export function ErrorAlert({ t, error, title }: { t: Translate; error: ApiError; title: string }) {
  return (
    <Alert
      type={error.status === 503 || error.status === 0 ? 'warning' : 'error'}
      showIcon
      title={`${title}: ${errorHeadline(t, error, error.message)}`}
      description={<ErrorDetail t={t} error={error} />}
    />
  );
}
