/**
 * Loads and validates a server's configuration from a file, the environment and command-line overrides.
 * Any problem stops start-up with one MeridianError naming the key, the value, where it came from and
 * what is allowed.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { MeridianError } from '../errors/registry.ts';
import { type Config, ConfigSchema, ENV_IGNORED, ENV_KEYS, type HubConfig, type NodeConfig } from './schema.ts';

type Plain = Record<string, unknown>;

/** Inputs to {@link loadConfig}; overrides are typically command-line flags. */
export interface LoadConfigOptions<R extends Config['role']> {
  role: R;
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  overrides?: Plain;
}

/** Reads file + environment + overrides (in increasing priority) and validates them against the schema. */
export function loadConfig(opts: LoadConfigOptions<'hub'>): HubConfig;
export function loadConfig(opts: LoadConfigOptions<'node'>): NodeConfig;
export function loadConfig(opts: LoadConfigOptions<Config['role']>): Config {
  const sources = new Map<string, string>();
  const merged: Plain = { role: opts.role };
  if (opts.file) mergeInto(merged, readConfigFile(opts.file), `file ${opts.file}`, sources, []);
  mergeInto(merged, envToObject(opts.env ?? process.env, sources), '', sources, [], false);
  if (opts.overrides) mergeInto(merged, dropUndefined(opts.overrides), 'command-line flag', sources, []);
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) throw configError(parsed.error, merged, sources);
  if (parsed.data.role !== opts.role) {
    throw new MeridianError('MER_CONFIG_INVALID', `config: role = "${parsed.data.role}"; expected "${opts.role}"`);
  }
  return parsed.data;
}

function readConfigFile(file: string): Plain {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new MeridianError(
      'MER_CONFIG_FILE_UNREADABLE',
      `config file ${file} cannot be read: ${(e as Error).message}`,
    );
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new Error('top level must be an object');
    return value as Plain;
  } catch (e) {
    throw new MeridianError(
      'MER_CONFIG_FILE_UNREADABLE',
      `config file ${file} is not a JSON object: ${(e as Error).message}`,
      {
        file,
      },
    );
  }
}

function envToObject(env: NodeJS.ProcessEnv, sources: Map<string, string>): Plain {
  const out: Plain = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === '') continue;
    const path = ENV_KEYS[name];
    if (!path) {
      if (name.startsWith('MERIDIAN_') && !ENV_IGNORED.has(name)) {
        throw new MeridianError(
          'MER_CONFIG_UNKNOWN_KEY',
          `config: unknown environment variable ${name}; known: ${Object.keys(ENV_KEYS).join(', ')}`,
          {
            key: name,
          },
        );
      }
      continue;
    }
    setPath(out, path, value);
    sources.set(path.join('.'), `environment variable ${name}`);
  }
  return out;
}

function mergeInto(
  target: Plain,
  src: Plain,
  origin: string,
  sources: Map<string, string>,
  prefix: string[],
  record = true,
): void {
  for (const [key, value] of Object.entries(src)) {
    const path = [...prefix, key];
    if (isPlain(value)) {
      const child = isPlain(target[key]) ? (target[key] as Plain) : {};
      target[key] = child;
      mergeInto(child, value, origin, sources, path, record);
    } else {
      target[key] = value;
      if (record) sources.set(path.join('.'), origin);
    }
  }
}

function setPath(obj: Plain, path: readonly string[], value: unknown): void {
  let cur = obj;
  for (const key of path.slice(0, -1)) {
    if (!isPlain(cur[key])) cur[key] = {};
    cur = cur[key] as Plain;
  }
  const last = path[path.length - 1];
  if (last !== undefined) cur[last] = value;
}

function getPath(obj: unknown, path: readonly PropertyKey[]): unknown {
  let cur = obj;
  for (const key of path) {
    if (!isPlain(cur)) return undefined;
    cur = cur[String(key)];
  }
  return cur;
}

function isPlain(v: unknown): v is Plain {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function dropUndefined(obj: Plain): Plain {
  const out: Plain = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    out[k] = isPlain(v) ? dropUndefined(v) : v;
  }
  return out;
}

function configError(error: z.ZodError, merged: Plain, sources: Map<string, string>): MeridianError {
  const lines: string[] = [];
  let unknown = false;
  for (const issue of error.issues) {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      unknown = true;
      for (const key of issue.keys) {
        const full = [...path, key].join('.');
        lines.push(`unknown key "${full}"${originOf(sources, full)}; allowed here: ${allowedKeys(path).join(', ')}`);
      }
      continue;
    }
    const key = path.join('.') || '(root)';
    const value = getPath(merged, issue.path);
    const shown = value === undefined ? 'missing' : `= ${JSON.stringify(value)}`;
    lines.push(`${key} ${shown}${originOf(sources, key)}: ${issue.message}`);
  }
  return new MeridianError(
    unknown ? 'MER_CONFIG_UNKNOWN_KEY' : 'MER_CONFIG_INVALID',
    `invalid configuration:\n  ${lines.join('\n  ')}`,
    {
      problems: lines,
    },
  );
}

function originOf(sources: Map<string, string>, key: string): string {
  const origin = sources.get(key);
  return origin ? ` (from ${origin})` : '';
}

function allowedKeys(path: readonly string[]): string[] {
  const keys = new Set<string>();
  for (const option of ConfigSchema.options) {
    let shape: unknown = option;
    for (const key of path) shape = unwrap(shape)?.shape?.[key];
    const obj = unwrap(shape);
    if (obj?.shape) for (const k of Object.keys(obj.shape)) keys.add(k);
  }
  return [...keys].sort();
}

function unwrap(schema: unknown): { shape?: Record<string, unknown> } | undefined {
  let s = schema as z.ZodType | undefined;
  for (let i = 0; i < 8 && s; i++) {
    if (s instanceof z.ZodObject) return s as unknown as { shape: Record<string, unknown> };
    const inner = (s as unknown as { unwrap?: () => z.ZodType }).unwrap;
    const def = (s as unknown as { def?: { innerType?: z.ZodType } }).def;
    s = typeof inner === 'function' ? inner.call(s) : def?.innerType;
  }
  return undefined;
}
