import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { ConfigError } from '../config/load.js';
import type { MqttConfig } from '../config/mqtt-schema.js';
import { Dispatcher, type Route } from './dispatcher.js';
import { AckPipeline } from './ack-pipeline.js';
import { readPem } from './listeners.js';
import type {
  MessageHandler, MqttTransport, PublishOptions, SubscribeOptions, TransportStats,
} from './transport.js';

// Reconnect after 1 s, doubling per failed attempt up to 30 s, so a broker that is down for
// long is not hammered and one that restarts is back within a second.
const RECONNECT_FIRST_MS = 1000;
const RECONNECT_MAX_MS = 30_000;
// MQTT 5 Session Expiry Interval (section 3.1.2.11.2): the broker keeps the session and
// queues QoS 1/2 messages for a week of downtime.
const SESSION_EXPIRY_S = 7 * 24 * 3600;
// "Unacceptable protocol version" (3.1.1 CONNACK code 1) and "Unsupported Protocol Version"
// (MQTT 5 reason code 0x84): the broker does not speak MQTT 5.
const PROTOCOL_REFUSED = new Set([1, 0x84]);
// Messages being stored at once, whose acknowledgements are held back (and, under MQTT 5,
// the Receive Maximum we announce, so the broker sends no more unacknowledged than that).
const MAX_UNACKED = 64;

interface Subscription {
  filter: string;
  /** Its MQTT 5 Subscription Identifier, which the broker puts on what it sends. */
  id: number;
  qos: 0 | 1 | 2;
  shared: boolean;
}

/**
 * A filter's Subscription Identifier: derived from the filter (FNV-1a, in the 1 to 2^28-1
 * range MQTT 5 allows), so that messages the broker kept in the session while Switchboard
 * was down carry the same identifiers after a restart, whatever order it subscribes in.
 */
export function subscriptionId(filter: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(filter, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193);
  return ((hash >>> 0) % 0x0fffffff) + 1;
}

/** A stable client ID, so the broker finds Switchboard's persistent session again. */
export function defaultClientId(serverName: string): string {
  return `switchboard-${serverName.replace(/[^A-Za-z0-9.-]/g, '_')}`;
}

/**
 * An MQTT.js client to an existing broker (Mosquitto, EMQX...), MQTT 5 with a fallback to
 * 3.1.1, a persistent session, and acknowledgements sent only after the handler resolves.
 */
export class ExternalClient implements MqttTransport {
  readonly mode = 'external' as const;
  private readonly dispatcher: Dispatcher;
  private readonly subscriptions: Subscription[] = [];
  /** Subscription Identifier → filter, for routing what the broker sends (routesFor). */
  private readonly filtersById = new Map<number, string>();
  private readonly url: string;
  private readonly clientId: string;
  private client: MqttClient | null = null;
  private protocolVersion: 4 | 5 = 5;
  private attempts = 0;
  private connected: Promise<void> | null = null;
  private acks: AckPipeline | null = null;

  constructor(private readonly config: MqttConfig, serverName: string,
    private readonly log: Logger) {
    if (!config.url) throw new ConfigError('mqtt.url', 'missing: external mode needs a broker URL');
    this.url = config.url;
    this.clientId = config.client_id ?? defaultClientId(serverName);
    this.dispatcher = new Dispatcher(log);
  }

  get stats(): Readonly<TransportStats> {
    return this.dispatcher.stats;
  }

  /** Acknowledgements held until their message was handled; null before start. */
  get ackStats(): Readonly<AckPipeline['stats']> | null {
    return this.acks?.stats ?? null;
  }

  /** Resolves at the first successful connection; until then it keeps retrying. */
  start(): Promise<void> {
    this.connected ??= new Promise((resolve, reject) => this.open(resolve, reject));
    return this.connected;
  }

  async subscribe(filter: string, handler: MessageHandler,
    options: SubscribeOptions = {}): Promise<void> {
    this.dispatcher.add(filter, handler);
    const sub: Subscription = { filter, id: subscriptionId(filter), qos: options.qos ?? 1,
      shared: options.shared ?? false };
    this.subscriptions.push(sub);
    this.filtersById.set(sub.id, filter);
    if (this.client?.connected) await this.sendSubscribe(this.client, sub);
  }

  async publish(topic: string, payload: string | Buffer,
    options: PublishOptions = {}): Promise<void> {
    if (!this.client) throw new Error('the MQTT client is not started');
    await this.client.publishAsync(topic, payload, {
      qos: options.qos ?? 0, retain: options.retain ?? false,
    });
  }

  describe(): Record<string, unknown> {
    const url = new URL(this.url);
    url.username = '';
    url.password = '';
    return { mode: this.mode, url: url.toString(), client_id: this.clientId,
      protocol_version: this.protocolVersion === 5 ? '5' : '3.1.1',
      shared_group: this.config.shared_group ?? null };
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client) await client.endAsync();
  }

  private options(): IClientOptions {
    const tls = this.config.client_tls ?? {};
    return {
      protocolVersion: this.protocolVersion,
      clientId: this.clientId,
      clean: false,
      username: this.config.username ?? undefined,
      password: this.config.password ?? undefined,
      reconnectPeriod: RECONNECT_FIRST_MS,
      connectTimeout: 10_000,
      properties: this.protocolVersion === 5
        ? { sessionExpiryInterval: SESSION_EXPIRY_S, receiveMaximum: MAX_UNACKED } : undefined,
      ca: tls.ca ? readPem('mqtt.client_tls.ca', tls.ca) : undefined,
      cert: tls.cert ? readPem('mqtt.client_tls.cert', tls.cert) : undefined,
      key: tls.key ? readPem('mqtt.client_tls.key', tls.key) : undefined,
      rejectUnauthorized: tls.reject_unauthorized ?? true,
    };
  }

  private open(resolve: () => void, reject: (err: Error) => void): void {
    let client: MqttClient;
    try {
      client = connect(this.url, this.options());
    } catch (err) {
      return reject(err as Error);
    }
    this.client = client;
    // MQTT.js sends the PUBACK (QoS 1) or PUBCOMP (QoS 2) when handleMessage calls back; the
    // pipeline holds it until the message is handled, while the next ones are read.
    const acks = new AckPipeline(client, MAX_UNACKED);
    this.acks = acks;
    client.handleMessage = (packet, done) => {
      if (packet.cmd !== 'publish') return done();
      const publish = packet as IPublishPacket;
      const payload = Buffer.from(publish.payload);
      const message = { topic: publish.topic, payload, qos: publish.qos, retain: publish.retain };
      const handled = this.dispatcher.dispatch(message, this.routesFor(publish));
      if (publish.qos === 0 || publish.messageId === undefined) return acks.admit(handled, done);
      acks.track(publish.messageId, handled);
      done();
    };

    client.on('connect', (connack) => {
      this.attempts = 0;
      client.options.reconnectPeriod = RECONNECT_FIRST_MS;
      this.log.info({ ...this.describe(), session_present: connack.sessionPresent },
        'mqtt connected');
      // A broker that kept the session kept the subscriptions too; subscribing again is
      // harmless and covers a session the broker expired.
      Promise.all(this.subscriptions.map((s) => this.sendSubscribe(client, s)))
        .then(() => resolve(), (err: Error) =>
          this.log.error({ reason: err.message }, 'mqtt subscribe failed'));
    });
    client.on('reconnect', () => {
      // Capped exponential backoff: MQTT.js retries on a fixed interval, so the timer is
      // reset with the next period before the attempt's close sets it up again.
      this.attempts++;
      client.options.reconnectPeriod = Math.min(RECONNECT_MAX_MS,
        RECONNECT_FIRST_MS * 2 ** this.attempts);
      (client as unknown as { _clearReconnect(): void })._clearReconnect();
    });
    client.on('offline', () => this.log.warn(this.describe(), 'mqtt broker unreachable'));
    client.on('error', (err: Error & { code?: unknown }) => {
      if (this.protocolVersion === 5 && PROTOCOL_REFUSED.has(Number(err.code))) {
        this.log.info({ url: this.describe().url }, 'broker refused mqtt 5, using 3.1.1');
        this.protocolVersion = 4;
        client.removeAllListeners();
        client.on('error', () => undefined);
        client.end(true);
        return this.open(resolve, reject);
      }
      this.log.warn({ reason: err.message, code: err.code }, 'mqtt client error');
    });
  }

  /**
   * The routes a PUBLISH is for. Under MQTT 5 it names the subscriptions it came through
   * (Subscription Identifiers): a broker may send one copy per matching subscription
   * (Mosquitto 2 does), and each copy goes only to the handlers of its own subscriptions, so
   * overlapping subscriptions do not hand a handler the same message twice. Without them
   * (MQTT 3.1.1), every handler whose filter matches.
   */
  private routesFor(publish: IPublishPacket): Route[] | undefined {
    const given = publish.properties?.subscriptionIdentifier;
    if (given === undefined) return undefined;
    const filters = new Set<string>();
    for (const id of Array.isArray(given) ? given : [given]) {
      const filter = this.filtersById.get(id);
      if (filter !== undefined) filters.add(filter);
    }
    const routes = this.dispatcher.matching(publish.topic).filter((r) => filters.has(r.filter));
    // An identifier of none of today's subscriptions (one the session kept from an older
    // configuration): the message is not dropped but goes where its topic matches.
    return routes.length > 0 ? routes : undefined;
  }

  private async sendSubscribe(client: MqttClient, sub: Subscription): Promise<void> {
    const group = this.config.shared_group;
    const shared = sub.shared && group && this.protocolVersion === 5;
    const topic = shared ? `$share/${group}/${sub.filter}` : sub.filter;
    // No Local (MQTT 5 section 3.8.3.1): our own publishes do not come back to us. It is a
    // protocol error on a shared subscription [MQTT-3.8.3-4].
    const nl = this.protocolVersion === 5 && !shared;
    const granted = await client.subscribeAsync(topic, { qos: sub.qos, nl,
      properties: this.protocolVersion === 5 ? { subscriptionIdentifier: sub.id } : undefined });
    for (const g of granted) {
      if (g.qos >= 0x80) throw new Error(`broker refused the subscription to ${g.topic}`);
    }
  }
}
