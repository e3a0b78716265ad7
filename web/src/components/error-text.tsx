/** Turns an API error into words for the user: a translated headline when the code is known, else a fallback. */
import { Typography } from 'antd';
import type { ApiError } from '../api.ts';
import type { Translate } from '../i18n/i18n-context.tsx';
import { EXPLAINED_ERROR_CODES } from '../i18n/messages.ts';

type ExplainedCode = (typeof EXPLAINED_ERROR_CODES)[number];

function isExplained(code: string): code is ExplainedCode {
  return (EXPLAINED_ERROR_CODES as readonly string[]).includes(code);
}

/** The headline for an error in the current language, or `fallback` when the code has no translation. */
export function errorHeadline(t: Translate, error: ApiError, fallback: string): string {
  return isExplained(error.code) ? t(`error.${error.code}`) : fallback;
}

/** The server's own message, with the stable code on a quieter second line. */
export function ErrorDetail({ t, error }: { t: Translate; error: ApiError }) {
  return (
    <>
      <div>{error.message}</div>
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {t('error.code', { code: error.code })}
      </Typography.Text>
    </>
  );
}
