/**
 * Lets Fastify routes declare Zod schemas directly: the validator compiler runs them (errors become
 * MER_HTTP_VALIDATION naming the field and the value), and the OpenAPI transform turns them into JSON Schema.
 */
import type { FastifySchema, FastifySchemaCompiler, FastifySerializerCompiler } from 'fastify';
import { z } from 'zod';
import { MeridianError } from '../errors/registry.ts';

/** Validator compiler: a Zod schema validates and coerces; anything else passes through unchanged. */
export const zodValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  return (data: unknown) => {
    if (!(schema instanceof z.ZodType)) return { value: data };
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    return { error: validationError(result.error, httpPart ?? 'body', data) };
  };
};

/** Serializer compiler: plain JSON for every response (Zod response schemas document, they do not rewrite). */
export const zodSerializerCompiler: FastifySerializerCompiler<unknown> = () => (data: unknown) => JSON.stringify(data);

/** Turns a Zod error into one MeridianError naming each offending field, its value and the rule. */
export function validationError(error: z.ZodError, part: string, data: unknown): MeridianError {
  const problems = error.issues.slice(0, 20).map((issue) => {
    const field = [part, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') {
      return { field, problem: `${field}: unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}` };
    }
    const value = valueAt(data, issue.path);
    const secret = issue.path.some((k) => SECRET_FIELD.test(String(k)));
    return { field, problem: `${field} ${describe(value, secret)}: ${issue.message}` };
  });
  return new MeridianError('MER_HTTP_VALIDATION', problems.map((p) => p.problem).join('; '), {
    fields: problems.map((p) => p.field),
  });
}

/** OpenAPI transform for @fastify/swagger: replaces Zod schemas in a route schema by their JSON Schema. */
export function zodToOpenApi({ schema, url }: { schema: FastifySchema; url: string }): {
  schema: FastifySchema;
  url: string;
} {
  if (!schema) return { schema, url };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (value instanceof z.ZodType) out[key] = toJson(value);
    else if (key === 'response' && value && typeof value === 'object') {
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([code, s]) => [
          code,
          s instanceof z.ZodType ? toJson(s) : s,
        ]),
      );
    } else out[key] = value;
  }
  return { schema: out as FastifySchema, url };
}

function toJson(schema: z.ZodType): unknown {
  const json = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  delete json.$schema;
  return json;
}

/** Field names whose values are never echoed back in an error. */
const SECRET_FIELD = /password|secret|token|key/i;

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur = data;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[String(key)];
  }
  return cur;
}

/** Shows a primitive value (shortened); never a secret, never a whole object that could hold one. */
function describe(value: unknown, secret: boolean): string {
  if (value === undefined) return 'missing';
  if (secret) return '(value withheld)';
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value) ?? String(value);
    return `= ${s.length > 80 ? `${s.slice(0, 77)}...` : s}`;
  }
  return Array.isArray(value) ? `(an array of ${value.length})` : '(an object)';
}
