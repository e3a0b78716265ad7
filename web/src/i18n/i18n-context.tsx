/**
 * The current language as React state: kept in localStorage, mirrored into `<html lang>`, and exposed through
 * `useT()` (translate a key) and `useLang()` (read, set or toggle the language).
 */
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import {
  DEFAULT_LANG,
  type EnglishMessages,
  interpolate,
  isLang,
  type Lang,
  type MessageKey,
  messages,
  type Placeholders,
} from './messages.ts';

/** The localStorage key holding the chosen language. */
export const LANG_STORAGE_KEY = 'meridian.lang';

/** Arguments after the key: a params object exactly when the English message has placeholders. */
type ParamsFor<K extends MessageKey> = [Placeholders<EnglishMessages[K]>] extends [never]
  ? []
  : [params: Record<Placeholders<EnglishMessages[K]>, string | number>];

/** Translates a key into the current language, filling its placeholders. */
export type Translate = <K extends MessageKey>(key: K, ...params: ParamsFor<K>) => string;

interface LangState {
  lang: Lang;
  setLang: (lang: Lang) => void;
  toggleLang: () => void;
}

const LangContext = createContext<LangState | null>(null);

/** The stored language choice, or the default when there is none (or storage is blocked). */
export function readStoredLang(): Lang {
  try {
    const stored = window.localStorage.getItem(LANG_STORAGE_KEY);
    return isLang(stored) ? stored : DEFAULT_LANG;
  } catch {
    return DEFAULT_LANG;
  }
}

/** Provides the language state to the app; `initialLang` is read once by the caller (main.tsx). */
export function I18nProvider({ initialLang, children }: { initialLang: Lang; children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);

  const setLang = useCallback((next: Lang) => {
    setLangState(next);
    try {
      window.localStorage.setItem(LANG_STORAGE_KEY, next);
    } catch {
      // Storage blocked (private mode): the choice lasts until the tab closes.
    }
  }, []);

  const toggleLang = useCallback(() => setLang(lang === 'zh-CN' ? 'en' : 'zh-CN'), [lang, setLang]);

  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);

  const value = useMemo(() => ({ lang, setLang, toggleLang }), [lang, setLang, toggleLang]);
  return <LangContext.Provider value={value}>{children}</LangContext.Provider>;
}

/** The current language and the functions that change it. */
export function useLang(): LangState {
  const state = useContext(LangContext);
  if (!state) throw new Error('useLang() used outside <I18nProvider>');
  return state;
}

/** A translate function bound to the current language; a key missing at run time is shown as itself. */
export function useT(): Translate {
  const { lang } = useLang();
  return useMemo<Translate>(() => {
    const table = messages[lang];
    return (key, ...params) => interpolate(table[key] ?? key, params[0]);
  }, [lang]);
}
