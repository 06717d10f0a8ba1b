/**
 * One interface over both MQTT modes: the embedded aedes broker (read in-process) and an
 * MQTT.js client to an external broker. The bridge sees only this.
 */
export interface MqttMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
}

export interface PublishOptions {
  qos?: 0 | 1 | 2;
  retain?: boolean;
}

/**
 * Called for every message on a subscribed topic. For QoS 1 and 2 the publisher (device or
 * broker) is acknowledged only after the returned promise resolves, so a handler that
 * resolves once the message is durably stored (or deliberately coalesced) makes the
 * acknowledgement mean "stored". A rejected promise is logged and still acknowledged, so a
 * malformed payload cannot jam the device's queue; except a NotHandledError, which leaves
 * the message unacknowledged for its sender to deliver again.
 */
export type MessageHandler = (message: MqttMessage) => Promise<void>;

/**
 * The handler could not take the message now (its event could not be stored): it is not
 * acknowledged, and the connection it came on is closed, so that its sender delivers it
 * again on the next one (MQTT has no other way to refuse a QoS 1 or 2 message until later).
 * A QoS 0 message cannot be delivered again and is lost all the same.
 */
export class NotHandledError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NotHandledError';
  }
}
// Messages that Switchboard itself publishes through publish() are not handed back to its
// own handlers in embedded mode, nor in external mode over MQTT 5 (No Local); over MQTT 3.1.1
// a broker echoes them when a subscription matches.

export interface SubscribeOptions {
  qos?: 0 | 1 | 2;
  /**
   * External mode only: subscribe through `$share/<group>/<filter>` when the config names a
   * shared-subscription group. Retained and discovery topics must pass false, since brokers
   * do not deliver retained messages on shared subscriptions.
   */
  shared?: boolean;
}

/** Counters since start, for metrics and tests. */
export interface TransportStats {
  /** Messages handed to subscribe() handlers (one per message, however many handlers). */
  received: number;
  /** Handler calls that threw or rejected; each is logged with its topic and reason. */
  handler_errors: number;
  /** Messages left unacknowledged for their sender to send again (NotHandledError). */
  not_handled: number;
}

export interface MqttTransport {
  readonly mode: 'embedded' | 'external';
  readonly stats: Readonly<TransportStats>;
  /** Starts listening (embedded) or connecting (external). */
  start(): Promise<void>;
  subscribe(filter: string, handler: MessageHandler, options?: SubscribeOptions): Promise<void>;
  publish(topic: string, payload: string | Buffer, options?: PublishOptions): Promise<void>;
  /** Where the broker listens (embedded) or what it is connected to (external), for logs. */
  describe(): Record<string, unknown>;
  close(): Promise<void>;
}
