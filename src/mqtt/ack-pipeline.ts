// Acknowledgements after storage, without storing one message at a time.
//
// MQTT.js hands a received PUBLISH to `handleMessage` and reads the next packet only after
// the acknowledgement that follows it was written, so waiting there for a message to be
// stored meant one disk sync per message (958 messages/s end to end here; slower storage,
// such as an SD card, syncs slower still). The pipeline lets the reader go on at once and
// holds each PUBACK (QoS 1) or PUBCOMP (QoS 2) back until its message is handled, so that
// the messages of one read share a synced batch. It goes through MQTT.js's private
// `_sendPacket`, the one place every acknowledgement passes; the tests check the
// acknowledgements against a real Mosquitto, so an MQTT.js upgrade that changes it shows.

import type { MqttClient, Packet } from 'mqtt';

type SendCallback = (err?: Error) => void;
type SendPacket = (packet: Packet, cb?: SendCallback, ...rest: unknown[]) => void;

interface Held {
  /** The acknowledgement; none for QoS 0, which only counts against the window. */
  packet: Packet | undefined;
  handled: Promise<void>;
  /** The connection the message came on; an acknowledgement is only valid on it. */
  stream: unknown;
}

export class AckPipeline {
  private readonly handled = new Map<number, Promise<void>>();
  private readonly held: Held[] = [];
  private draining = false;
  /** The reader's callback, kept while `maxUnacked` acknowledgements are outstanding. */
  private paused: SendCallback | undefined;
  private readonly send: SendPacket;
  /**
   * Acknowledgements held and later sent or dropped, and messages not handled (whose
   * connection was closed so that the broker sends them again), for tests and logs.
   */
  readonly stats = { held: 0, sent: 0, dropped: 0, notHandled: 0, maxOutstanding: 0 };

  constructor(private readonly client: MqttClient, private readonly maxUnacked: number) {
    const internal = client as unknown as { _sendPacket: SendPacket };
    this.send = internal._sendPacket.bind(client);
    internal._sendPacket = (packet, cb, ...rest) => {
      const acknowledges = packet.cmd === 'puback' || packet.cmd === 'pubcomp';
      const id = acknowledges ? packet.messageId : undefined;
      const handled = id === undefined ? undefined : this.handled.get(id);
      // Everything else passes untouched, with MQTT.js's further arguments (noStore...).
      if (handled === undefined) return this.send(packet, cb, ...rest);
      this.handled.delete(id!);
      this.hold({ packet, handled, stream: client.stream }, cb);
    };
  }

  /**
   * Called from `handleMessage` before it calls back: the acknowledgement MQTT.js is about to
   * send for this message waits for `handled`.
   */
  track(messageId: number, handled: Promise<void>): void {
    this.handled.set(messageId, handled);
  }

  /**
   * A QoS 0 message, which has no acknowledgement: it takes a place in the window all the
   * same, so that a flood of them is read no faster than it is stored.
   */
  admit(handled: Promise<void>, readerCallback: SendCallback): void {
    this.hold({ packet: undefined, handled, stream: this.client.stream }, readerCallback);
  }

  private hold(held: Held, readerCallback: SendCallback | undefined): void {
    this.held.push(held);
    if (held.packet) this.stats.held++;
    this.stats.maxOutstanding = Math.max(this.stats.maxOutstanding, this.held.length);
    if (this.held.length < this.maxUnacked) readerCallback?.();
    else this.paused = readerCallback ?? (() => undefined);
    if (!this.draining) void this.drain();
  }

  /**
   * Sends the held acknowledgements in the order their messages came (MQTT 3.1.1 section
   * 4.6 asks for that order), each once its message is handled. One whose connection has
   * closed meanwhile is dropped: the broker sends the message again on the next connection,
   * and an old acknowledgement there could confirm a different message under the same ID.
   * A message that could not be handled (its promise rejected) is not acknowledged: its
   * connection is closed, the client reconnects, and the broker sends it (and whatever
   * followed it unacknowledged) again.
   */
  private async drain(): Promise<void> {
    this.draining = true;
    while (this.held.length > 0) {
      const next = this.held[0]!;
      const handled = await next.handled.then(() => true, () => false);
      this.held.shift();
      if (!handled) {
        this.stats.notHandled++;
        if (next.packet && this.client.stream === next.stream) {
          (next.stream as { destroy(): void }).destroy();
        }
      } else if (!next.packet) {
        // QoS 0: nothing to send.
      } else if (this.client.stream === next.stream && this.client.connected) {
        this.send(next.packet);
        this.stats.sent++;
      } else {
        this.stats.dropped++;
      }
      const paused = this.paused;
      if (paused && this.held.length < this.maxUnacked) {
        this.paused = undefined;
        paused();
      }
    }
    this.draining = false;
  }
}
