import type { FastifyInstance } from 'fastify';
import type { Homeserver } from '../homeserver.js';
import { ClientApi } from './context.js';
import { mountKeys } from './keys.js';
import { mountDevices } from './devices.js';
import { mountToDevice } from './to-device.js';
import { mountProfile } from './profile.js';
import { mountDirectory } from './directory.js';
import { mountUserDirectory } from './user-directory.js';
import { mountPushRules } from './push-rules.js';
import { mountAccountData } from './account-data.js';
import { mountTypingAndReceipts } from './typing-receipts.js';
import { mountFilters } from './filters.js';
import { mountCreateRoom } from './create-room.js';
import { mountLogin } from './login.js';
import { mountMembership } from './membership.js';
import { mountRegister } from './register.js';
import { mountRoomRead } from './room-read.js';
import { mountSend } from './send.js';
import { mountSync } from './sync.js';
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
  mountRoomRead(api);
  mountSync(api);
  mountKeys(api);
  mountDevices(api);
  mountToDevice(api);
  mountProfile(api);
  mountDirectory(api);
  mountUserDirectory(api);
  mountPushRules(api);
  mountAccountData(api);
  mountTypingAndReceipts(api);
  mountFilters(api);
  return api;
}
