import type { DeviceCommand } from './profile-types.js';

/** A chat command in a device room, read from a message body such as `!set brightness 50`. */
export type ChatCommand =
  | { kind: 'device'; command: DeviceCommand }
  | { kind: 'status' }
  | { kind: 'help' }
  | { kind: 'publish'; topic: string; payload: string };

export type ParsedChat = ChatCommand | { error: string } | undefined;

export const HELP = [
  '!on, !off, !toggle: switch the device',
  '!set <property> <value>: change a property, e.g. !set brightness 50',
  '!get [property]: ask the device for its state',
  '!status: what the bridge knows about the device',
  '!publish <topic> <payload>: publish raw MQTT (room admins only)',
  '!help: this list',
];

/** undefined: not a command (no leading `!`). Otherwise the command or what is wrong with it. */
export function parseChatCommand(body: string): ParsedChat {
  const text = body.trim();
  if (!text.startsWith('!')) return undefined;
  const match = /^!(\S+)\s*(.*)$/s.exec(text);
  const word = match![1]!.toLowerCase();
  const rest = match![2]!.trim();

  switch (word) {
    case 'on':
    case 'off':
    case 'toggle':
      if (rest !== '') return { error: `!${word} takes no arguments` };
      return { kind: 'device', command: { kind: word } };
    case 'set': {
      const set = /^(\S+)\s+(.+)$/s.exec(rest);
      if (!set) return { error: 'usage: !set <property> <value>' };
      return { kind: 'device', command: { kind: 'set', property: set[1]!, value: set[2]!.trim() } };
    }
    case 'get':
      if (/\s/.test(rest)) return { error: 'usage: !get [property]' };
      return {
        kind: 'device',
        command: rest === '' ? { kind: 'get' } : { kind: 'get', property: rest },
      };
    case 'status':
      return { kind: 'status' };
    case 'help':
      return { kind: 'help' };
    case 'publish': {
      const publish = /^(\S+)\s+(.*)$/s.exec(rest) ?? (rest !== '' ? [rest, rest, ''] : null);
      if (!publish) return { error: 'usage: !publish <topic> <payload>' };
      const topic = publish[1]!;
      // [MQTT-3.3.2-2] a PUBLISH topic name must not contain wildcard characters.
      if (/[+#]/.test(topic) || topic.includes('\u0000')) {
        return { error: `!publish: ${topic} is not a topic name (no + or #)` };
      }
      return { kind: 'publish', topic, payload: publish[2] ?? '' };
    }
    default:
      return { error: `unknown command !${word}; try !help` };
  }
}
