/** Browser entry: reads the stored language, sets `<html lang>` before the first paint, and mounts the app. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.tsx';
import { readStoredLang } from './i18n/i18n-context.tsx';

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element');

const initialLang = readStoredLang();
document.documentElement.lang = initialLang;

createRoot(container).render(
  <StrictMode>
    <App initialLang={initialLang} />
  </StrictMode>,
);
