/** The admin tabs' answer to a list that could not be loaded: a translated headline, the server's detail, retry. */
import { Button, Result } from 'antd';
import type { ApiError } from '../api.ts';
import { ErrorDetail, errorHeadline } from '../components/error-text.tsx';
import { NoPermission } from '../components/no-permission.tsx';
import { useT } from '../i18n/i18n-context.tsx';

/** A 403 shows the no-permission result; any other error an error result with a retry button. */
export function LoadFailed({ error, title, onRetry }: { error: ApiError; title: string; onRetry: () => void }) {
  const t = useT();
  if (error.status === 403) return <NoPermission code={error.code} />;
  return (
    <Result
      status="error"
      title={title}
      subTitle={
        <>
          <div>{errorHeadline(t, error, error.message)}</div>
          <ErrorDetail t={t} error={error} />
        </>
      }
      extra={<Button onClick={onRetry}>{t('admin.reload')}</Button>}
    />
  );
}
