/** The clear answer to a 403: the user's role may not see this page (instead of an error or a blank). */
import { Result } from 'antd';
import { useT } from '../i18n/i18n-context.tsx';
import { useUser } from '../session/session-context.tsx';

/** An antd 403 Result naming the user's role and the server's error code. */
export function NoPermission({ code = 'MER_AUTH_FORBIDDEN' }: { code?: string }) {
  const t = useT();
  const user = useUser();
  return (
    <div data-testid="no-permission">
      <Result
        status="403"
        title={t('forbidden.title')}
        subTitle={`${t('forbidden.subtitle', { role: t(`role.${user.role}`) })} ${t('error.code', { code })}`}
      />
    </div>
  );
}
