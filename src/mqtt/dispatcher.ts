import type { Logger } from 'pino';
import { topicMatches } from './topic-filter.js';
import {
  NotHandledError, type MessageHandler, type MqttMessage, type TransportStats,
} from './transport.js';

/** Topics whose matching routes are remembered; a few per device for thousands of devices. */
const TOPIC_CACHE_LIMIT = 16_384;

export interface Route {
  filter: string;
  handler: MessageHandler;
}

/**
 * Hands each message to the handlers whose filter matches, in both MQTT modes. A handler that
 * throws or rejects is logged with the topic and counted; it never reaches the broker or the
 * MQTT client, so one bad payload cannot stop the stream. Only a NotHandledError does: the
 * message must not be acknowledged.
 */
export class Dispatcher {
  readonly stats: TransportStats = { received: 0, handler_errors: 0, not_handled: 0 };
  private readonly routes: Route[] = [];
  /**
   * The matching routes per topic seen: a device publishes on the same few topics over and
   * over, and matching each message against every filter was a visible share of the CPU
   * with a thousand devices. Cleared when a route is added or when it grows past its bound.
   */
  private readonly byTopic = new Map<string, Route[]>();

  constructor(private readonly log: Logger) {}

  add(filter: string, handler: MessageHandler): void {
    this.routes.push({ filter, handler });
    this.byTopic.clear();
  }

  /** The routes whose filter matches `topic`, for a caller that must know before dispatch. */
  matching(topic: string): Route[] {
    let routes = this.byTopic.get(topic);
    if (routes === undefined) {
      routes = this.routes.filter((r) => topicMatches(r.filter, topic));
      if (this.byTopic.size >= TOPIC_CACHE_LIMIT) this.byTopic.clear();
      this.byTopic.set(topic, routes);
    }
    return routes;
  }

  /**
   * Resolves once every matching handler has settled; rejects only with a NotHandledError,
   * when the message must not be acknowledged. `routes` is what matching() gave for this
   * topic, when the caller already asked.
   */
  dispatch(message: MqttMessage, routes = this.matching(message.topic)): Promise<void> {
    if (routes.length === 0) return Promise.resolve();
    const calls = routes.map((route) => this.call(route, message));
    this.stats.received++;
    return calls.length === 1 ? calls[0]! : Promise.all(calls).then(() => undefined);
  }

  /** Hands one message to one handler only (a retained message replayed on subscribe). */
  deliver(handler: MessageHandler, filter: string, message: MqttMessage): Promise<void> {
    this.stats.received++;
    return this.call({ filter, handler }, message);
  }

  private async call(route: Route, message: MqttMessage): Promise<void> {
    try {
      await route.handler(message);
    } catch (err) {
      if (err instanceof NotHandledError) {
        this.stats.not_handled++;
        this.log.warn({ topic: message.topic, filter: route.filter, qos: message.qos,
          reason: err.message }, 'mqtt message not handled; left unacknowledged');
        throw err;
      }
      this.stats.handler_errors++;
      this.log.warn({ topic: message.topic, filter: route.filter, qos: message.qos,
        reason: err instanceof Error ? err.message : String(err) }, 'mqtt handler failed');
    }
  }
}
