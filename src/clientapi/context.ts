import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { missingToken, unknownToken, unrecognized } from '../http/errors.js';
import type { Homeserver } from '../homeserver.js';
import type { Json } from './validate.js';

export interface Requester {
  userId: string;
  deviceId: string;
}

export interface ClientRequest {
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  body: unknown;
  ip: string;
  raw: FastifyRequest;
  reply: FastifyReply;
}

export interface AuthedRequest extends ClientRequest {
  user: Requester;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
const DEFAULT_PREFIXES = ['/_matrix/client/v3', '/_matrix/client/r0'];
const VERSIONED = /^\/_matrix\/client\/(v1|v3|r0|unstable)$/;

/**
 * What each endpoint file gets: the homeserver and a way to mount a route under every
 * prefix clients still call (v3 and r0 by default; v1 or unstable where the spec says so).
 */
export class ClientApi {
  constructor(readonly hs: Homeserver, private readonly app: FastifyInstance) {}

  /** A route anyone may call. */
  open(method: Method, path: string, handler: (req: ClientRequest) => Promise<unknown>,
    prefixes = DEFAULT_PREFIXES): void {
    const run = async (request: FastifyRequest, reply: FastifyReply) => {
      const result = await handler(this.wrap(request, reply));
      if (!reply.sent) return result ?? {};
      return reply;
    };
    // The API versions of one path share a single route with a version parameter: half the
    // routes to build at start, which is most of the start-up time after module loading.
    const versions = prefixes.map((p) => VERSIONED.exec(p)?.[1]).filter((v) => v !== undefined);
    if (versions.length > 0) {
      const allowed = new Set(versions);
      this.app.route({
        method, url: '/_matrix/client/:apiVersion' + path,
        handler: async (request, reply) => {
          const version = (request.params as Record<string, string>).apiVersion!;
          if (!allowed.has(version)) throw unrecognized(404);
          return run(request, reply);
        },
      });
    }
    for (const prefix of prefixes.filter((p) => !VERSIONED.test(p))) {
      this.app.route({ method, url: prefix + path, handler: run });
    }
  }

  /** A route that needs an access token. */
  authed(method: Method, path: string, handler: (req: AuthedRequest) => Promise<unknown>,
    prefixes = DEFAULT_PREFIXES): void {
    this.open(method, path, async (req) => {
      const user = await this.authenticate(req.raw);
      return handler({ ...req, user });
    }, prefixes);
  }

  private wrap(request: FastifyRequest, reply: FastifyReply): ClientRequest {
    return {
      params: request.params as Record<string, string>,
      query: request.query as Record<string, string | undefined>,
      body: request.body,
      ip: request.ip,
      raw: request,
      reply,
    };
  }

  /** Reads the token from the Authorization header or `access_token` (deprecated but used). */
  async authenticate(request: FastifyRequest): Promise<Requester> {
    const header = request.headers.authorization;
    let token: string | undefined;
    if (header?.startsWith('Bearer ')) token = header.slice(7).trim();
    else token = (request.query as Json).access_token as string | undefined;
    if (!token) throw missingToken();
    const record = await this.hs.accounts.resolveToken(token);
    if (!record) throw unknownToken();
    return { userId: record.user_id, deviceId: record.device_id };
  }
}
