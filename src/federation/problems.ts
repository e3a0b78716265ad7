/**
 * Problems in a researcher's definition (cohort tree, analysis variables) phrased for people: each Zod issue
 * becomes `path: value what-is-wrong`, values shortened and containers shown by shape only; a message lists at
 * most {@link PROBLEMS_MAX} problems. Each schema names its paths its own way (`criteria[2].range.min`,
 * `variables[2] (hba1c).window.end`).
 */
import type { z } from 'zod';

/** Most problems one error message (and its details) lists; the rest are counted. */
export const PROBLEMS_MAX = 20;

/** One problem in a definition: where, what, and the value at fault. */
export interface Problem {
  path: string;
  message: string;
  value?: unknown;
}

const EXPECTED: Readonly<Record<string, string>> = {
  number: 'a number',
  int: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
};

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/** Turns one Zod issue over `root` into problems, naming paths with `formatPath`. */
export function issueProblems(
  issue: z.core.$ZodIssue,
  root: unknown,
  formatPath: (path: readonly PropertyKey[]) => string,
): Problem[] {
  const value = valueAt(root, issue.path);
  const path = formatPath(issue.path);
  const one = (message: string): Problem[] => [{ path, message, value }];
  const bare = (message: string): Problem[] => [{ path, message }];
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return bare('is missing');
      return one(`is not ${EXPECTED[issue.expected] ?? issue.expected}`);
    case 'too_small':
      if (issue.origin === 'array' && Array.isArray(value)) {
        return bare(`has ${value.length} item(s); at least ${issue.minimum} needed`);
      }
      if (issue.origin === 'string') return one(`is shorter than ${issue.minimum} character(s)`);
      return one(`is below ${issue.minimum}`);
    case 'too_big':
      if (issue.origin === 'array' && Array.isArray(value)) {
        return bare(`has ${value.length} items; at most ${issue.maximum} allowed`);
      }
      if (issue.origin === 'string') return one(`is longer than ${issue.maximum} characters`);
      return one(`is above ${issue.maximum}`);
    case 'invalid_value': {
      const known = issue.values.map((v) => JSON.stringify(v)).join(', ');
      return value === undefined ? bare(`is missing; one of ${known}`) : one(`is not one of ${known}`);
    }
    case 'invalid_union':
      if (issue.discriminator !== undefined) {
        const options = (issue as { options?: unknown[] }).options ?? [];
        const known = options.map((o) => JSON.stringify(o)).join(', ');
        if (value === undefined) return bare(`is missing; one of ${known}`);
        return one(`is not one of ${known}`);
      }
      return one(issue.message);
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'is not a field here' }));
    default:
      return one(issue.message);
  }
}

/** A value shown in a message: scalars as JSON (strings shortened), containers by their shape only. */
function show(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** The problems as one message: `path: value what-is-wrong; …; and N more`. */
export function describeProblems(problems: readonly Problem[]): string {
  const shown = problems.slice(0, PROBLEMS_MAX).map((p) => {
    const v = show(p.value);
    return `${p.path}: ${v === '' ? '' : `${v} `}${p.message}`;
  });
  const more = problems.length > PROBLEMS_MAX ? `; and ${problems.length - PROBLEMS_MAX} more` : '';
  return `${shown.join('; ')}${more}`;
}

/** The error details of the problems: paths and messages only (never the values). */
export function problemDetails(problems: readonly Problem[]): Record<string, unknown> {
  return { problems: problems.slice(0, PROBLEMS_MAX).map((p) => ({ path: p.path, message: p.message })) };
}
