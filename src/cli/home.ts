/**
 * The layout of a Meridian home directory (the demo's, or an operator's): where the CA, each server's data
 * directory and config file, and the logs live. `meridian status` and `meridian demo` agree through it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option } from 'commander';
import { z } from 'zod';
import { MeridianError } from '../errors/registry.ts';

/** Paths inside a home directory. */
export interface HomeLayout {
  root: string;
  caDir: string;
  hubDir: string;
  logsDir: string;
  consortiumFile: string;
  nodeDir(name: string): string;
}

/** The home directory: --home, else $MERIDIAN_HOME, else ./data. */
export function homeLayout(home?: string): HomeLayout {
  const root = resolve(home ?? process.env.MERIDIAN_HOME ?? 'data');
  return {
    root,
    caDir: join(root, 'pki'),
    hubDir: join(root, 'hub'),
    logsDir: join(root, 'logs'),
    consortiumFile: join(root, 'consortium.json'),
    nodeDir: (name) => join(root, 'nodes', name),
  };
}

/** What the demo writes about the consortium it started, so other commands can find the hub. */
export const ConsortiumFileSchema = z.object({
  hubUrl: z.string(),
  hubPeerUrl: z.string(),
  hubIdentity: z.string(),
  nodes: z.array(z.object({ name: z.string(), displayName: z.string(), url: z.string(), configFile: z.string() })),
});

/** The consortium file's content. */
export type ConsortiumFile = z.infer<typeof ConsortiumFileSchema>;

/** Reads the consortium file of a home, or undefined when there is none. */
export function readConsortiumFile(layout: HomeLayout): ConsortiumFile | undefined {
  if (!existsSync(layout.consortiumFile)) return undefined;
  const parsed = ConsortiumFileSchema.safeParse(JSON.parse(readFileSync(layout.consortiumFile, 'utf8')));
  if (!parsed.success) {
    throw new MeridianError(
      'MER_CONFIG_INVALID',
      `${layout.consortiumFile} is not a Meridian consortium file: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}

/** The --home option every command shares. */
export function homeOption(): Option {
  return new Option(
    '--home <dir>',
    'Meridian home: CA in <home>/pki, hub in <home>/hub, nodes in <home>/nodes/<name> (default ./data)',
  ).env('MERIDIAN_HOME');
}
