/**
 * `npm run bench -- <name>`: runs bench/<name>.ts. Every benchmark prints a readable table and, as its last
 * line, one JSON object with its figures (and the baseline measured in the same run, as a ratio).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const name = process.argv[2];
const dir = import.meta.dirname;
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.slice(0, -3));
if (!name || !/^[a-z0-9-]+$/.test(name) || !existsSync(join(dir, `${name}.ts`))) {
  process.stderr.write(`usage: npm run bench -- <name>\navailable: ${available.join(', ')}\n`);
  process.exit(2);
}
await import(join(dir, `${name}.ts`));
