import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import type { MqttConfig } from '../config/mqtt-schema.js';
import { DeviceAuth, type Identity } from './device-auth.js';
import { Dispatcher, type Route } from './dispatcher.js';
import { openBrokerPersistence, type BrokerPersistence } from './level-persistence.js';
import { listenTcp, listenTls, listenWebSocket, readTlsFiles, type Listener } from './listeners.js';
import type {
  MessageHandler, MqttTransport, PublishOptions, SubscribeOptions, TransportStats,
} from './transport.js';

// CONNACK return codes, MQTT 3.1.1 section 3.2.2.3.
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

/**
 * On the first packet it writes, mqtt-packet (the encoder aedes uses) fills a table of
 * 65,536 two-byte Buffers, one per packet ID or string length it may write: about 6 MiB of
 * heap for the life of the process, which V8 then sizes the whole heap around. Without the
 * table it takes those two bytes from Node's buffer pool per field: at most a few hundred
 * nanoseconds per packet, against the tens of microseconds a bridged publish takes. The
 * encoder switched off is the one aedes itself resolves.
 */
function dropPacketNumberCache(): void {
  const fromAedes = createRequire(import.meta.resolve('aedes'));
  const packets = fromAedes('mqtt-packet') as { writeToStream: { cacheNumbers: boolean } };
  packets.writeToStream.cacheNumbers = false;
}

function remoteAddress(client: Client): string | undefined {
  return (client.conn as Socket).remoteAddress ?? client.req?.socket?.remoteAddress;
}

/**
 * An aedes broker (MQTT 3.1/3.1.1) inside Switchboard, on TCP, WebSocket and optionally TLS.
 * The bridge reads it in-process: its handlers run inside aedes' authorizePublish step,
 * which comes before the PUBACK (QoS 1) or PUBREC (QoS 2), so a device is acknowledged only
 * once the handler has resolved. aedes' own subscribe API would not do: it delivers after
 * the PUBACK is written.
 */
export class EmbeddedBroker implements MqttTransport {
  readonly mode = 'embedded' as const;
  private readonly dispatcher: Dispatcher;
  private readonly auth: DeviceAuth;
  private readonly identities = new WeakMap<Client, Identity>();
  private readonly early: Route[] = [];
  private aedes: Aedes | null = null;
  private persistence: BrokerPersistence | null = null;
  private listeners: Listener[] = [];

  constructor(private readonly config: MqttConfig, private readonly dataDir: string,
    private readonly log: Logger) {
    this.dispatcher = new Dispatcher(log);
    this.auth = new DeviceAuth(config.users ?? [], config.allow_anonymous ?? false);
  }

  get stats(): Readonly<TransportStats> {
    return this.dispatcher.stats;
  }

  async start(): Promise<void> {
    const tls = readTlsFiles(this.config.tls?.cert, this.config.tls?.key);
    dropPacketNumberCache();
    this.persistence = await openBrokerPersistence(join(this.dataDir, 'mqtt'));
    const aedes = new Aedes({
      persistence: this.persistence,
      authenticate: (client, username, password, done) =>
        this.authenticate(client, username, password, done),
      authorizePublish: (client, packet, done) => this.authorizePublish(client, packet, done),
      authorizeSubscribe: (client, sub, done) => {
        const allowed = this.auth.maySubscribe(this.identities.get(client) ?? null, client.id,
          sub.topic);
        if (!allowed) {
          this.log.info({ client_id: client.id, filter: sub.topic }, 'mqtt subscribe denied');
        }
        // A null subscription answers 0x80 (failure) in the SUBACK, MQTT 3.1.1 section 3.9.3.
        done(null, allowed ? sub : null);
      },
    });
    aedes.on('clientError', (client, err) =>
      this.log.debug({ client_id: client.id, reason: err.message }, 'mqtt client error'));
    aedes.on('connectionError', (client, err) =>
      this.log.debug({ remote: remoteAddress(client), reason: err.message },
        'mqtt connection error'));
    // A persistence failure surfaces as 'error'; with no listener it would end the process.
    (aedes as unknown as NodeJS.EventEmitter).on('error', (err: Error) =>
      this.log.error({ err }, 'mqtt broker error'));
    await aedes.listen();
    this.aedes = aedes;

    // Retained messages for subscriptions made before start, before any device can connect.
    for (const route of this.early.splice(0)) await this.replayRetained(route);
    await this.openListeners(aedes, tls);
    this.announce();
  }

  async subscribe(filter: string, handler: MessageHandler,
    _options?: SubscribeOptions): Promise<void> {
    this.dispatcher.add(filter, handler);
    if (this.aedes) await this.replayRetained({ filter, handler });
    else this.early.push({ filter, handler });
  }

  publish(topic: string, payload: string | Buffer, options: PublishOptions = {}): Promise<void> {
    const aedes = this.aedes;
    if (!aedes) return Promise.reject(new Error('the MQTT broker is not started'));
    const packet: PublishPacket = {
      cmd: 'publish', topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
      qos: options.qos ?? 0, retain: options.retain ?? false, dup: false,
    };
    return new Promise((resolve, reject) =>
      aedes.publish(packet, (err) => (err ? reject(err) : resolve())));
  }

  describe(): Record<string, unknown> {
    const ports = Object.fromEntries(this.listeners.map((l) => [`${l.name}_port`, l.port]));
    return { mode: this.mode, host: this.config.host ?? '0.0.0.0', ...ports,
      websocket_path: this.config.websocket?.path ?? '/mqtt',
      users: this.config.users?.length ?? 0 };
  }

  async close(): Promise<void> {
    const aedes = this.aedes;
    this.aedes = null;
    const listeners = this.listeners.splice(0).map((l) => l.close());
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await Promise.all(listeners);
    await this.persistence?.destroy();
    this.persistence = null;
  }

  private async openListeners(aedes: Aedes, tls: ReturnType<typeof readTlsFiles>): Promise<void> {
    const handle = (stream: Duplex, req?: IncomingMessage) => aedes.handle(stream, req);
    const host = this.config.host ?? '0.0.0.0';
    try {
      this.listeners.push(await listenTcp(handle, host, this.config.port ?? 1883));
      const ws = this.config.websocket;
      if (ws?.port !== null) {
        this.listeners.push(await listenWebSocket(handle, host, ws?.port ?? 8083,
          ws?.path ?? '/mqtt'));
      }
      if (tls) {
        this.listeners.push(await listenTls(handle, host, this.config.tls?.port ?? 8883, tls));
      }
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  private announce(): void {
    this.log.info(this.describe(), 'mqtt broker listening');
    if (!this.auth.hasUsers && !this.config.allow_anonymous) {
      this.log.warn('mqtt: no device users, so only clients on this machine may connect; add ' +
        'users under mqtt.users with a password_hash from npm run hash-password');
    }
  }

  /**
   * Hands a new subscription the retained messages it matches. One that cannot be handled now
   * stays retained (and is logged by the dispatcher): the next start hands it over again.
   */
  private async replayRetained(route: Route): Promise<void> {
    for await (const packet of this.persistence!.createRetainedStream(route.filter)) {
      await this.dispatcher.deliver(route.handler, route.filter, {
        topic: packet.topic, payload: Buffer.from(packet.payload), qos: packet.qos, retain: true,
      }).catch(() => undefined);
    }
  }

  private authenticate(client: Client, username: string | undefined, password: Buffer | undefined,
    done: (err: AuthenticateError | null, ok: boolean | null) => void) {
    const remote = remoteAddress(client);
    this.auth.authenticate(username, password, remote).then((result) => {
      if (result.ok) {
        this.identities.set(client, result.identity);
        return done(null, true);
      }
      this.log.info({ client_id: client.id, username, remote, reason: result.reason },
        'mqtt connection refused');
      const err = new Error(result.reason) as AuthenticateError;
      err.returnCode = username ? BAD_USERNAME_OR_PASSWORD : NOT_AUTHORIZED;
      done(err, null);
    }, (err: Error) => {
      this.log.error({ client_id: client.id, err }, 'mqtt authentication failed');
      done(Object.assign(err, { returnCode: 3 }) as AuthenticateError, null);
    });
  }

  /**
   * ACL first, then the in-process handlers; aedes sends the PUBACK/PUBREC after `done`.
   * Also runs for wills (client null for wills of a previous run).
   */
  private authorizePublish(client: Client | null, packet: PublishPacket,
    done: (err?: Error | null) => void) {
    const topic = packet.topic;
    if (topic.startsWith('$SYS')) return done(new Error('$SYS topics are reserved'));
    if (client && !this.auth.mayPublish(this.identities.get(client) ?? null, client.id, topic)) {
      // MQTT 3.1.1 has no way to refuse one PUBLISH; aedes closes the connection.
      this.log.info({ client_id: client.id, topic }, 'mqtt publish denied');
      return done(new Error('publish not authorized'));
    }
    const routes = this.dispatcher.matching(topic);
    if (routes.length === 0) return done(null);

    const message = {
      topic, payload: packet.payload as Buffer, qos: packet.qos, retain: packet.retain,
    };
    // A message not handled (NotHandledError) is not acknowledged: aedes closes the
    // connection on an error here, and the device sends it again when it reconnects. A QoS 0
    // message or a will has nobody to send it again: refusing it would only cut the device off.
    const settle = (handled: Promise<void>) => handled.then(() => done(null),
      (err: Error) => done(packet.qos === 0 || !client ? null : err));
    if (packet.qos !== 2 || !client) {
      settle(this.dispatcher.dispatch(message, routes));
      return;
    }
    // A QoS 2 retransmission of a packet already stored was handled the first time
    // ([MQTT-4.3.3-2] exactly once); aedes answers it with PUBREC only. Matched again after
    // the lookup: a subscription may have been added meanwhile.
    this.persistence!.incomingGetPacket(client, packet).then(() => done(null),
      () => settle(this.dispatcher.dispatch(message)));
  }
}
