/**
 * antd's own texts (pagination, empty tables, modals…) for each portal language. antd's locale files are ES
 * modules to the bundler but typed as CommonJS under NodeNext, so TypeScript and Vite disagree on what the
 * default import is; `unwrap` accepts both shapes.
 */
import type { ConfigProviderProps } from 'antd';
import enUSModule from 'antd/es/locale/en_US.js';
import zhCNModule from 'antd/es/locale/zh_CN.js';
import type { Lang } from './messages.ts';

/** antd's locale object, as ConfigProvider takes it. */
export type AntdLocale = NonNullable<ConfigProviderProps['locale']>;

function unwrap(module: unknown): AntdLocale {
  const wrapped = module as { default?: AntdLocale };
  return wrapped.default ?? (module as AntdLocale);
}

/** The antd locale of each portal language. */
export const ANTD_LOCALES: Record<Lang, AntdLocale> = { en: unwrap(enUSModule), 'zh-CN': unwrap(zhCNModule) };
