/** Writes docs/errors.md from the error registry (npm run docs:errors). */
import { writeFileSync } from 'node:fs';
import { renderErrorsMarkdown } from '../src/errors/docs.ts';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorsMarkdown());
