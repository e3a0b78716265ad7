/** The language toggle (zh-CN ↔ en), the same control on the login page and in the header. */
import { TranslationOutlined } from '@ant-design/icons';
import { Button } from 'antd';
import { useLang, useT } from '../i18n/i18n-context.tsx';

/** A button that switches the portal to the other language; its label names the language it switches to. */
export function LangSwitch({ dark = false }: { dark?: boolean }) {
  const t = useT();
  const { toggleLang } = useLang();
  return (
    <Button
      data-testid="lang-switch"
      type={dark ? 'default' : 'text'}
      ghost={dark}
      icon={<TranslationOutlined />}
      title={t('lang.switch')}
      aria-label={t('lang.switch')}
      onClick={toggleLang}
    >
      {t('lang.other')}
    </Button>
  );
}
