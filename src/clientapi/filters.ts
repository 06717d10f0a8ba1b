import { randomBytes } from 'node:crypto';
import { forbidden, notFound } from '../http/errors.js';
import { parseFilter } from '../sync/filter.js';
import type { AuthedRequest, ClientApi } from './context.js';
import { bodyObject } from './validate.js';

/** Filters belong to their user: nobody may upload or read another user's filters. */
function requireSelf(req: AuthedRequest, verb: string): string {
  const userId = req.params.userId!;
  if (userId !== req.user.userId) throw forbidden(`Cannot ${verb} filters for other users`);
  return userId;
}

export function mountFilters(api: ClientApi): void {
  const { hs } = api;

  // POST /user/{userId}/filter
  api.authed('POST', '/user/:userId/filter', async (req) => {
    const userId = requireSelf(req, 'create');
    const body = bodyObject(req.body);
    parseFilter(body);
    // Random base64url never starts with '{', which the spec reserves for inline filters.
    const filterId = randomBytes(9).toString('base64url');
    await hs.db.write([hs.filters.putOp(userId, filterId, body)]);
    req.raw.log.debug({ user_id: userId, filter_id: filterId }, 'filter created');
    return { filter_id: filterId };
  });

  // GET /user/{userId}/filter/{filterId}
  api.authed('GET', '/user/:userId/filter/:filterId', async (req) => {
    const userId = requireSelf(req, 'read');
    const filter = await hs.filters.get(userId, req.params.filterId!);
    if (!filter) throw notFound('No such filter');
    return filter;
  });
}
