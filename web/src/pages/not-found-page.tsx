/** The answer for an address inside the portal that has no page. */
import { Button, Result } from 'antd';
import { useNavigate } from 'react-router-dom';
import { useT } from '../i18n/i18n-context.tsx';
import { homePathFor, useUser } from '../session/session-context.tsx';

/** A 404 result with a way back to the user's start page. */
export function NotFoundPage() {
  const t = useT();
  const user = useUser();
  const navigate = useNavigate();
  return (
    <div data-testid="page-not-found">
      <Result
        status="404"
        title={t('notFound.title')}
        subTitle={t('notFound.subtitle')}
        extra={
          <Button type="primary" onClick={() => void navigate(homePathFor(user.role))}>
            {t('notFound.back')}
          </Button>
        }
      />
    </div>
  );
}
