/**
 * What every Meridian server shares: structured logging, the one error handler that maps MeridianError to
 * HTTP, JSON-only bodies with size limits, Zod route schemas, OpenAPI at /docs, and /health + /ready.
 */
import type { IncomingMessage } from 'node:http';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import type { Logger } from 'pino';
import { type ErrorBody, MeridianError } from '../errors/registry.ts';
import { MERIDIAN_VERSION } from '../version.ts';
import { zodSerializerCompiler, zodToOpenApi, zodValidatorCompiler } from './zod-schema.ts';

/** Largest JSON body any route accepts unless it says otherwise. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** Options for {@link createBaseApp}. */
export interface BaseAppOptions {
  /** Service name shown in logs and OpenAPI (e.g. "hub", "node hospital-a"). */
  title: string;
  description: string;
  /** A pino logger shared with the rest of the process; no request logs when absent. */
  logger?: Logger | undefined;
  /** HTTPS options (node:https ServerOptions) for a TLS listener, or undefined for plain HTTP. */
  https?: Record<string, unknown> | undefined;
  /** Answers requests no route matches; by default a JSON MER_HTTP_NOT_FOUND. */
  notFound?: (request: FastifyRequest, reply: FastifyReply) => unknown;
  /** Checks behind /ready; each returns true when its part can serve. */
  readiness?: Record<string, () => Promise<boolean> | boolean>;
}

/** Builds a Fastify instance with Meridian's shared plumbing; the caller registers its own routes. */
export async function createBaseApp(opts: BaseAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    bodyLimit: BODY_LIMIT_BYTES,
    requestTimeout: 60_000,
    connectionTimeout: 0,
    forceCloseConnections: true,
    return503OnClosing: true,
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : crypto.randomUUID();
    },
    ...(opts.https ? { https: opts.https } : {}),
  } as FastifyServerOptions);
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(zodSerializerCompiler);
  app.setErrorHandler((error: FastifyError | MeridianError, request, reply) => {
    const body = toErrorBody(error);
    const status = error instanceof MeridianError ? error.status : httpStatusFor(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: body.error.code }, body.error.message);
    return reply.code(status).type('application/json; charset=utf-8').send(body);
  });
  app.setNotFoundHandler(opts.notFound ?? notFoundJson);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: `Meridian ${opts.title}`, description: opts.description, version: MERIDIAN_VERSION },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    transform: zodToOpenApi,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });

  app.get(
    '/health',
    { config: { public: true }, schema: { tags: ['ops'], summary: 'Liveness: the process answers' } },
    async () => ({ status: 'ok', service: opts.title, version: MERIDIAN_VERSION }),
  );
  app.get(
    '/ready',
    { config: { public: true }, schema: { tags: ['ops'], summary: 'Readiness: every dependency answers' } },
    async (_req, reply) => {
      const checks: Record<string, boolean> = {};
      for (const [name, check] of Object.entries(opts.readiness ?? {})) {
        try {
          checks[name] = await check();
        } catch {
          checks[name] = false;
        }
      }
      const ready = Object.values(checks).every(Boolean);
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', checks });
    },
  );
  return app;
}

/** The default answer for an unknown route: 404 with a JSON body naming the method and path. */
export function notFoundJson(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const err = new MeridianError('MER_HTTP_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
  return reply.code(404).send(err.toBody());
}

/** Maps an error of Fastify's own (body parsing, limits, validation) to Meridian's error body. */
export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof MeridianError) return error.toBody();
  const e = error as FastifyError;
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return body('MER_HTTP_BAD_JSON', `request body is not valid JSON: ${e.message}`);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return body('MER_HTTP_BODY_TOO_LARGE', `request body exceeds ${BODY_LIMIT_BYTES} bytes`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return body('MER_HTTP_UNSUPPORTED_MEDIA', `unsupported content type: ${e.message}; send application/json`);
    case 'FST_ERR_VALIDATION':
      return body('MER_HTTP_VALIDATION', e.message);
    default:
      if (e instanceof SyntaxError && e.statusCode === 400)
        return body('MER_HTTP_BAD_JSON', `request body is not valid JSON: ${e.message}`);
      if (typeof e.statusCode === 'number' && e.statusCode === 405)
        return body('MER_HTTP_METHOD_NOT_ALLOWED', e.message);
      if (typeof e.statusCode === 'number' && e.statusCode < 500) return body('MER_HTTP_VALIDATION', e.message);
      return body('MER_INTERNAL', 'internal error; see the server log');
  }
}

function body(code: ErrorBody['error']['code'], message: string): ErrorBody {
  return { error: { code, message } };
}

function httpStatusFor(error: FastifyError): number {
  const code = toErrorBody(error).error.code;
  if (code === 'MER_INTERNAL') return 500;
  return typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500
    ? error.statusCode
    : 400;
}
