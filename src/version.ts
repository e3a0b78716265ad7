/** Meridian's version, read once from package.json so every service reports the same one. */
import { readFileSync } from 'node:fs';

/** The running Meridian version (package.json "version"). */
export const MERIDIAN_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
