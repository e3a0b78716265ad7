/** Renders the error registry as docs/errors.md, so the documentation can never drift from the code. */
import { ERROR_REGISTRY } from './registry.ts';

/** The full text of docs/errors.md for the current registry. */
export function renderErrorsMarkdown(): string {
  const rows = Object.entries(ERROR_REGISTRY).map(
    ([code, e]) => `| \`${code}\` | ${e.status} | ${e.title.replaceAll('|', '\\|')} |`,
  );
  return [
    '# Error codes',
    '',
    'Every error a Meridian server or command reports carries one of these stable codes. HTTP answers have the',
    'body `{"error":{"code":"MER_…","message":"…","details":{…}}}`; the message names the field, value or file',
    'at fault. This file is generated from `src/errors/registry.ts` by `npm run docs:errors`; a test keeps them equal.',
    '',
    '| code | HTTP status | meaning |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
