import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import {
  call, createUser, startTestServer, type TestServer, type TestUser,
} from '../helpers/server.js';

type Test = { teardown(fn: () => unknown): void };

export const OWNER = '@owner:test.local';

/** Bridge settings for tests: one owner, no rate ceiling, a short command timeout. */
export function bridgeOverrides(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    mqtt: { mode: 'embedded', host: '127.0.0.1', port: 0, websocket: { port: null } },
    bridge: {
      enabled: true, owners: [OWNER], command_timeout_seconds: 1,
      rate: { max_events_per_second: 0 },
      generic_topics: [{ pattern: 'sensors/{device}/state' },
        { pattern: 'plugs/{device}/state', command_topic: 'plugs/{device}/set' }],
      ...extra,
    },
  };
}

export interface BridgeServer {
  server: TestServer;
  url: string;
  owner: TestUser;
}

/** A homeserver with the embedded broker on a free loopback port and the owner logged in. */
export async function startBridgeServer(t: Test, extra: Record<string, unknown> = {},
  mqttExtra: Record<string, unknown> = {}, dataDir?: string): Promise<BridgeServer> {
  const overrides = bridgeOverrides(extra);
  overrides.mqtt = { ...(overrides.mqtt as object), ...mqttExtra };
  const server = await startTestServer(t, overrides, dataDir);
  const owner = dataDir ? await login(server, 'owner') : await createUser(server, 'owner');
  return { server, url: mqttUrl(server), owner };
}

export function mqttUrl(server: TestServer): string {
  const d = server.mqtt!.describe();
  return d.url ? String(d.url) : `mqtt://127.0.0.1:${d.tcp_port as number}`;
}

async function login(server: TestServer, localpart: string): Promise<TestUser> {
  const userId = `@${localpart}:${server.hs.config.server_name}`;
  const session = await server.hs.accounts.login(userId);
  return { userId, deviceId: session.device_id, token: session.access_token };
}

export async function device(t: Test, url: string, options: IClientOptions = {}):
  Promise<MqttClient> {
  const c = await connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
  t.teardown(() => c.endAsync(true));
  return c;
}

export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns something defined (or true), or fails after `ms`. */
export async function eventually<T>(probe: () => Promise<T | undefined | false>, ms = 5000,
  what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const got = await probe();
    if (got !== undefined && got !== false) return got;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

/** The room behind a device alias, through the client API's directory. */
export async function roomOf(b: BridgeServer, aliasLocalpart: string): Promise<string | undefined> {
  const alias = encodeURIComponent(`#${aliasLocalpart}:test.local`);
  const res = await call(b.server, 'GET', `directory/room/${alias}`, { token: b.owner.token });
  return res.status === 200 ? res.body.room_id as string : undefined;
}

export async function waitRoom(b: BridgeServer, aliasLocalpart: string): Promise<string> {
  return eventually(() => roomOf(b, aliasLocalpart), 5000, `room #${aliasLocalpart}`);
}

/** The owner joins (once) so the room's history is readable over the client API. */
export async function join(b: BridgeServer, roomId: string): Promise<void> {
  const res = await call(b.server, 'POST', `rooms/${encodeURIComponent(roomId)}/join`,
    { token: b.owner.token, body: {} });
  if (res.status !== 200) throw new Error(`join failed: ${JSON.stringify(res.body)}`);
}

export async function state(b: BridgeServer, roomId: string, type: string, key = ''):
  Promise<any> {
  const res = await call(b.server, 'GET',
    `rooms/${encodeURIComponent(roomId)}/state/${type}/${encodeURIComponent(key)}`,
    { token: b.owner.token });
  return res.status === 200 ? res.body : undefined;
}

/** Timeline events of the room, oldest first (up to 1000). */
export async function messages(b: BridgeServer, roomId: string, token = b.owner.token):
  Promise<any[]> {
  const res = await call(b.server, 'GET',
    `rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=1000`, { token });
  if (res.status !== 200) throw new Error(`messages failed: ${JSON.stringify(res.body)}`);
  return (res.body.chunk as any[]).reverse();
}

export async function notices(b: BridgeServer, roomId: string): Promise<any[]> {
  return (await messages(b, roomId)).filter((e) => e.type === 'm.room.message'
    && e.content.msgtype === 'm.notice');
}

export async function readingsIn(b: BridgeServer, roomId: string): Promise<any[]> {
  return (await notices(b, roomId)).filter((e) => e.content['org.switchboard.readings']);
}

/** Sends a text message as `user`; returns its event ID. */
let txn = 0;
export async function say(b: BridgeServer, roomId: string, body: string, user = b.owner):
  Promise<string> {
  const res = await call(b.server, 'PUT',
    `rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${Date.now()}-${txn++}`,
    { token: user.token, body: { msgtype: 'm.text', body } });
  if (res.status !== 200) throw new Error(`send failed: ${JSON.stringify(res.body)}`);
  return res.body.event_id as string;
}

/** The puppet's reply to an event, once it arrives. */
export async function replyTo(b: BridgeServer, roomId: string, eventId: string, ms = 5000):
  Promise<any> {
  return eventually(async () => (await notices(b, roomId)).find((e) =>
    e.content['m.relates_to']?.['m.in_reply_to']?.event_id === eventId), ms, `reply to ${eventId}`);
}

/** Collects what is published on `filter`, seen by a separate MQTT client. */
export async function listen(t: Test, url: string, filter: string):
  Promise<Array<{ topic: string; payload: string }>> {
  const got: Array<{ topic: string; payload: string }> = [];
  const c = await device(t, url);
  c.on('message', (topic, payload) => got.push({ topic, payload: payload.toString() }));
  await c.subscribeAsync(filter, { qos: 1 });
  return got;
}

export async function publish(c: MqttClient, topic: string, payload: unknown,
  options: { retain?: boolean; qos?: 0 | 1 } = {}): Promise<void> {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  await c.publishAsync(topic, text, { qos: options.qos ?? 1, retain: options.retain ?? false });
}

export { call, createUser };
