import Fastify, { LogController, type FastifyError, type FastifyInstance } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import type { Logger } from 'pino';
import { addCors } from './cors.js';
import { MatrixError, unrecognized } from './errors.js';

/** A URL with any access token blanked, so tokens never reach a log line. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]access_token=)[^&]*/g, '$1<redacted>');
}

function parseJsonBody(body: string): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body);
  } catch {
    throw new MatrixError('M_NOT_JSON', 'Content not JSON.');
  }
}

/** Maps errors fastify raises itself to Matrix errors. */
function fromFastifyError(error: FastifyError): MatrixError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new MatrixError('M_TOO_LARGE', 'Request body too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new MatrixError('M_NOT_JSON', 'Content not JSON.');
    case 'FST_ERR_VALIDATION':
      return new MatrixError('M_BAD_JSON', error.message);
    default:
      if (error.statusCode === 400 && error instanceof SyntaxError) {
        return new MatrixError('M_NOT_JSON', 'Content not JSON.');
      }
      return undefined;
  }
}

/**
 * The HTTP server every API area mounts on: JSON bodies (a body that is not JSON is
 * M_NOT_JSON), CORS, one error handler that turns anything unexpected into M_UNKNOWN without
 * internals, and M_UNRECOGNIZED for unknown paths (404) or methods (405).
 */
export function createHttpServer(log: Logger, options: { bodyLimit?: number } = {}):
  FastifyInstance {
  const app = Fastify({
    loggerInstance: log.child({ module: 'http' }),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // fastify's own request lines would log raw URLs (with ?access_token=); ours redact them.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
    return503OnClosing: true,
    // No route declares a JSON schema (bodies are checked by hand, naming the field), so
    // fastify's default compilers, which load ajv and fast-json-stringify (~9 MiB of RSS
    // and ~60 ms of start), are replaced by ones that refuse to be used.
    schemaController: {
      compilersFactory: {
        buildValidator: () => () => { throw new Error('route schemas are not used'); },
        buildSerializer: () => () => { throw new Error('route schemas are not used'); },
      },
    },
  }) as unknown as FastifyInstance;

  app.removeAllContentTypeParsers();
  // Clients (and curl) often send JSON without a content type: read every body as JSON text.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  addCors(app);

  // Only when debug logs are on: the hook itself costs every request a promise.
  if (log.isLevelEnabled('debug')) {
    app.addHook('onResponse', async (request, reply) => {
      request.log.debug({ method: request.method, url: redactUrl(request.url),
        status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
    });
  }

  // A shadow router of every route, to tell an unknown path (404) from a wrong method (405).
  const known = FindMyWay({ ignoreTrailingSlash: true, maxParamLength: 1000 });
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      try { known.on(method as HTTPMethod, route.url, () => undefined); } catch { /* dup */ }
    }
  });

  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0]!;
    const other = ['GET', 'POST', 'PUT', 'DELETE'].some((method) =>
      method !== request.method && known.find(method as HTTPMethod, path) !== null);
    const error = other ? unrecognized(405, 'Unrecognized request method') : unrecognized(404);
    await reply.code(error.status).send(error.toJSON());
  });

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const matrix = error instanceof MatrixError ? error : fromFastifyError(error);
    if (matrix) {
      request.log.debug({ errcode: matrix.errcode, url: redactUrl(request.url) }, matrix.message);
      await reply.code(matrix.status).send(matrix.toJSON());
      return;
    }
    request.log.error({ err: error, url: redactUrl(request.url) }, 'request failed');
    await reply.code(500).send({ errcode: 'M_UNKNOWN', error: 'Internal server error' });
  });

  return app;
}
