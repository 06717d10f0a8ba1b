import type { FastifyInstance } from 'fastify';

/**
 * Every client endpoint answers cross-origin requests, so Element served from another origin
 * works (client-server API, "Web Browser Clients"). Preflights are answered here directly.
 */
export function addCors(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('Access-Control-Allow-Origin', '*');
    reply.header('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE, OPTIONS');
    reply.header('Access-Control-Allow-Headers',
      'X-Requested-With, Content-Type, Authorization, Accept');
    if (request.method === 'OPTIONS') {
      await reply.code(204).send();
    }
  });
}
