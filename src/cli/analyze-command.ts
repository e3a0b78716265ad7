/**
 * `meridian analyze <definition.json>`: runs a federated analysis from a JSON definition file. The definition is
 * checked locally first with the hub routes' own Zod schemas and the cohort and variable schemas (an error names
 * the file and the JSON path), then the researcher signs in to the hub's user API, posts it, and the answer is
 * printed as a table (per-hospital counts; coefficients for GLM and Cox; curve summaries for Kaplan–Meier;
 * moments for descriptive statistics) or as JSON.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { ERROR_REGISTRY, type ErrorCode, isMeridianError, MeridianError } from '../errors/registry.ts';
import { parseCohort } from '../federation/cohort/index.ts';
import { parseVariables } from '../federation/dataset/index.ts';
import { AnalysisBodySchema, CountBodySchema, GlmBodySchema } from '../hub/federation/routes.ts';
import { homeLayout, homeOption, readConsortiumFile } from './home.ts';

/** Largest definition file read, in bytes (the hub takes at most a 256 KiB task). */
export const DEFINITION_BYTES_MAX = 256 * 1024;

/** Analysis kinds the command runs. */
export const ANALYZE_KINDS = ['count', 'glm', 'km', 'cox', 'descriptive'] as const;

/** Zod schema of a definition file: the analysis kind and the body its hub route takes. */
export const AnalysisDefinitionSchema = z.discriminatedUnion('kind', [
  CountBodySchema.extend({ kind: z.literal('count') }),
  GlmBodySchema.extend({ kind: z.literal('glm') }),
  AnalysisBodySchema.extend({ kind: z.literal('km') }),
  AnalysisBodySchema.extend({ kind: z.literal('cox') }),
  AnalysisBodySchema.extend({ kind: z.literal('descriptive') }),
]);

/** A checked analysis definition. */
export type AnalysisDefinition = z.infer<typeof AnalysisDefinitionSchema>;

/** A JSON path in `$.a[0].b` form. */
function jsonPath(path: readonly PropertyKey[]): string {
  return `$${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`;
}

/**
 * Parses a definition file's text, pure: JSON, then the route schema, then the cohort and variables; throws
 * MER_CLI_DEFINITION_INVALID naming `file` and the JSON path of the first problem.
 */
export function parseDefinition(text: string, file: string): AnalysisDefinition {
  const invalid = (path: string, message: string) =>
    new MeridianError('MER_CLI_DEFINITION_INVALID', `${file}: ${path}: ${message}`, { file, path });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw invalid('$', `not valid JSON (${(e as Error).message})`);
  }
  const parsed = AnalysisDefinitionSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = jsonPath(issue?.path ?? []);
    const message =
      issue?.code === 'invalid_union' && issue.path.length === 1 && issue.path[0] === 'kind'
        ? `is not one of ${ANALYZE_KINDS.join(', ')}`
        : (issue?.message ?? 'invalid');
    throw invalid(path, message);
  }
  const def = parsed.data;
  for (const [field, check] of [
    ['cohort', () => parseCohort(def.cohort)],
    ['variables', () => 'variables' in def && parseVariables(def.variables)],
  ] as const) {
    try {
      check();
    } catch (e) {
      if (!isMeridianError(e)) throw e;
      throw invalid(`$.${field}`, e.message);
    }
  }
  return def;
}

/** Reads and checks a definition file (at most {@link DEFINITION_BYTES_MAX} bytes). */
export function readDefinition(file: string): AnalysisDefinition {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new MeridianError('MER_CLI_DEFINITION_INVALID', `${file}: cannot be read (${(e as Error).message})`, {
      file,
    });
  }
  if (Buffer.byteLength(text) > DEFINITION_BYTES_MAX) {
    throw new MeridianError('MER_CLI_DEFINITION_INVALID', `${file}: is larger than ${DEFINITION_BYTES_MAX} bytes`, {
      file,
    });
  }
  return parseDefinition(text, file);
}

/** Lays rows out as a plain-text table under `headers`, columns padded to their widest cell. */
export function textTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const num = (v: unknown, digits = 4): string =>
  typeof v === 'number' && Number.isFinite(v) ? String(Number(v.toPrecision(digits + 2))) : v === null ? '—' : '?';

const released = (v: unknown): string => {
  if (typeof v === 'number') return String(v);
  if (v && typeof v === 'object' && 'suppressed' in v) return 'suppressed';
  if (v && typeof v === 'object' && 'atMost' in v) return `≤ ${(v as { atMost: number }).atMost}`;
  return '?';
};

type Json = Record<string, unknown>;

const list = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

/** The answer of an analysis as readable text, pure: what a researcher needs at a glance. */
export function formatAnswer(kind: AnalysisDefinition['kind'], answer: Json): string {
  const out: string[] = [`task ${String(answer.taskId)} (${kind})`];
  const ledger = answer.ledger as { release?: { txHash: string } | null; unreleased?: string | null } | undefined;
  if (kind === 'count') {
    const rows = list(answer.byHospital).map((l) => [
      String(l.hospital),
      String(l.status),
      l.status === 'answered' ? released(l.count) : `${String(l.code)}: ${String(l.message)}`,
    ]);
    out.push(textTable(['hospital', 'status', 'count'], rows));
    const partial = answer.partial === true;
    out.push(`total ${String(answer.total)}${partial || list(answer.suppressed).length > 0 ? ' (a lower bound)' : ''}`);
    if (partial) {
      out.push(
        `partial: ${(answer.missing as string[]).join(', ')} did not answer; re-run them with POST /api/federation/tasks/${String(answer.taskId)}/rerun`,
      );
    }
  } else if (kind === 'glm' || kind === 'cox') {
    const result = answer.result as { coefficients?: Json[]; n?: number; events?: number } | undefined;
    const coefficients = result?.coefficients ?? [];
    const rows = coefficients.map((c) => [
      String(c.name),
      num(c.estimate),
      ...(kind === 'cox' ? [num(c.hazardRatio)] : []),
      num(c.standardError),
      num(kind === 'cox' ? c.z : c.statistic),
      num(c.pValue),
      `[${num(c.lower)}, ${num(c.upper)}]`,
    ]);
    const headers = ['term', 'estimate', ...(kind === 'cox' ? ['HR'] : []), 'SE', 'z', 'p', '95% CI'];
    out.push(textTable(headers, rows));
    const n = kind === 'glm' ? answer.n : result?.n;
    out.push(
      `n ${String(n)}${kind === 'cox' ? `, events ${String(result?.events)}` : ''}, rounds ${String(answer.rounds)}`,
    );
  } else if (kind === 'km') {
    const rows = list(answer.curves).map((c) => {
      const median = c.median as { time: number | null; lower: number | null; upper: number | null } | undefined;
      return [
        String(c.group),
        String(c.status),
        released(c.n),
        median ? `${num(median.time)} [${num(median.lower)}, ${num(median.upper)}]` : '—',
        String(list(c.rows).length),
      ];
    });
    out.push(textTable(['group', 'status', 'n', 'median (95% CI)', 'released rows'], rows));
    const logRank = answer.logRank as { chiSquare: number; df: number; pValue: number } | null | undefined;
    if (logRank) out.push(`log-rank χ² ${num(logRank.chiSquare)} on ${logRank.df} df, p ${num(logRank.pValue)}`);
  } else {
    const rows = list(answer.numeric).map((v) => [
      String(v.column),
      released(v.n),
      released(v.missing),
      num(v.mean),
      num(v.sd),
    ]);
    out.push(`rows ${released(answer.rows)}`);
    out.push(textTable(['variable', 'n', 'missing', 'mean', 'SD'], rows));
    for (const c of list(answer.categorical)) {
      const levels = list(c.levels).map((l) => `${String(l.level)} ${released(l.count)}`);
      out.push(`${String(c.column)}: ${levels.join(', ')}; other ${released(c.other)}; missing ${released(c.missing)}`);
    }
  }
  out.push(
    ledger?.release ? `released on the ledger: ${ledger.release.txHash}` : `not released: ${ledger?.unreleased ?? '—'}`,
  );
  return out.join('\n');
}

/** A failed hub call as the hub's own error when its code is registered, else MER_HUB_UNREACHABLE. */
function hubError(hubUrl: string, status: number, body: unknown): MeridianError {
  const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
  const code = error?.code;
  if (code !== undefined && Object.hasOwn(ERROR_REGISTRY, code)) {
    return new MeridianError(code as ErrorCode, `hub: ${error?.message ?? code}`);
  }
  return new MeridianError('MER_HUB_UNREACHABLE', `hub at ${hubUrl} answered ${status}`);
}

async function postJson(opts: { url: string; body: unknown; token?: string; timeoutMs: number }) {
  let res: Response;
  try {
    res = await fetch(opts.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(opts.token === undefined ? {} : { authorization: `Bearer ${opts.token}` }),
      },
      body: JSON.stringify(opts.body),
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (e) {
    throw new MeridianError('MER_HUB_UNREACHABLE', `hub not reachable at ${opts.url}: ${(e as Error).message}`);
  }
  const body: unknown = await res.json().catch(() => null);
  return { status: res.status, body };
}

/** Registers `analyze`. */
export function registerAnalyzeCommand(program: Command): void {
  program
    .command('analyze')
    .description(
      'Run a federated analysis (count, glm, km, cox, descriptive) from a JSON definition file through the hub',
    )
    .argument('<definition>', 'JSON file: {kind, requestId, projectId, cohort, variables?, parameters?, hospitals}')
    .addOption(homeOption())
    .option('--hub <url>', 'hub user API (default: from <home>/consortium.json, else http://127.0.0.1:8080)')
    .option('--user <name>', 'researcher account to sign in as')
    .option('--password-env <var>', 'environment variable holding the password', 'MERIDIAN_PASSWORD')
    .option('--timeout-ms <ms>', 'give up on the hub after this long', '300000')
    .option('--json', 'print the hub’s answer as JSON')
    .action(
      async (
        file: string,
        o: { home?: string; hub?: string; user?: string; passwordEnv: string; timeoutMs: string; json?: boolean },
      ) => {
        const def = readDefinition(file);
        if (o.user === undefined) throw new MeridianError('MER_CLI_USAGE', '--user <name> is required');
        const password = process.env[o.passwordEnv];
        if (password === undefined || password === '') {
          throw new MeridianError('MER_CLI_USAGE', `set the password in the environment variable ${o.passwordEnv}`);
        }
        const timeoutMs = Number(o.timeoutMs);
        if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
          throw new MeridianError('MER_CLI_USAGE', `--timeout-ms "${o.timeoutMs}" is not a positive integer`);
        }
        const hubUrl = o.hub ?? readConsortiumFile(homeLayout(o.home))?.hubUrl ?? 'http://127.0.0.1:8080';
        const login = await postJson({
          url: new URL('/api/auth/login', hubUrl).toString(),
          body: { username: o.user, password },
          timeoutMs,
        });
        const token = (login.body as { token?: unknown } | null)?.token;
        if (login.status !== 200 || typeof token !== 'string') throw hubError(hubUrl, login.status, login.body);
        const { kind, ...body } = def;
        const res = await postJson({
          url: new URL(`/api/federation/${kind}`, hubUrl).toString(),
          body,
          token,
          timeoutMs,
        });
        if (res.status !== 200) throw hubError(hubUrl, res.status, res.body);
        process.stdout.write(
          o.json ? `${JSON.stringify(res.body)}\n` : `${formatAnswer(kind, res.body as Record<string, unknown>)}\n`,
        );
      },
    );
}
