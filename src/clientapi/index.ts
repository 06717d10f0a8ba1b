import type { FastifyInstance } from 'fastify';
import type { Homeserver } from '../homeserver.js';
import { ClientApi } from './context.js';
import { mountCreateRoom } from './create-room.js';
import { mountLogin } from './login.js';
import { mountMembership } from './membership.js';
import { mountRegister } from './register.js';
import { mountSend } from './send.js';
import { mountServerInfo } from './server-info.js';

/** Mounts the Client-Server API, one file per endpoint family. */
export function mountClientApi(app: FastifyInstance, hs: Homeserver): ClientApi {
  const api = new ClientApi(hs, app);
  mountServerInfo(api);
  mountLogin(api);
  mountRegister(api);
  mountCreateRoom(api);
  mountMembership(api);
  mountSend(api);
  return api;
}
