import { Profile } from './profile.js';
import type { ProfileSpec, RuleSpec } from './spec.js';
import { captureNames } from './topic-pattern.js';

/**
 * The generic profile: JSON objects or plain numbers on topic patterns named in the
 * Switchboard config rather than in a profile file, e.g.
 *   - { pattern: "sensors/{device}/state" }
 *   - { pattern: "garden/{room}/{property}", id: room, unit: "°C" }
 *   - { pattern: "meters/{meter}", id: serial, name: label }   (JSON fields)
 *   - { pattern: "sensors/{device}/state", commandTopic: "sensors/{device}/set" }
 * With a command topic, `!set <property> <value>` publishes {"<property>": <value>} there
 * (or the value alone, commandPayload: value), and `!on`/`!off` set `state` to ON or OFF.
 */
export interface GenericTopic {
  /** A topic pattern with {captures}, as in profile files. */
  pattern: string;
  /** A capture, or else a JSON field, holding the device ID (default: the capture "device"). */
  id?: string;
  /** A capture or JSON field holding the friendly name. */
  name?: string;
  /** Plain payloads: the property reported (default: the capture "property", else "value"). */
  property?: string;
  unit?: string;
  deviceClass?: string;
  /** The topic carries retained data: subscribe ordinarily, not shared. */
  retained?: boolean;
  /** Where commands go: a topic with the pattern's captures, and {property}. */
  commandTopic?: string;
  /** A command's payload: a JSON object of the property (default) or the value alone. */
  commandPayload?: 'json' | 'value';
}


function sourceOf(value: string, captures: string[]): string {
  return captures.includes(value) ? `{${value}}` : value;
}

/** One readings rule per configured topic, shaped by generic.yaml's configRule. */
export function genericRules(base: ProfileSpec, topics: GenericTopic[]): RuleSpec[] {
  return topics.map((topic) => {
    const captures = captureNames(topic.pattern);
    const template = base.configRule ?? { kind: 'readings' as const };
    const rule: RuleSpec = {
      ...template, pattern: topic.pattern, retained: topic.retained ?? false,
    };
    const device: RuleSpec['device'] = { id: sourceOf(topic.id ?? 'device', captures) };
    if (topic.name) device.name = sourceOf(topic.name, captures);
    rule.device = device;
    const payload = { ...template.payload };
    // The fields that identify the device are not readings of it.
    const idFields = [topic.id ?? 'device', topic.name].filter((f): f is string =>
      f !== undefined && !captures.includes(f));
    if (idFields.length > 0) payload.exclude = [...(payload.exclude ?? []), ...idFields];
    payload.property = topic.property ?? (captures.includes('property') ? '{property}' : 'value');
    if (topic.unit) payload.unit = topic.unit;
    if (topic.deviceClass) payload.deviceClass = topic.deviceClass;
    rule.payload = payload;
    if (topic.commandTopic !== undefined) {
      const command = { topic: topic.commandTopic,
        payload: topic.commandPayload === 'value' ? '{value}' : '{"{property}":{value_json}}' };
      rule.commands = { qos: 1, retain: false, defaultProperty: 'state',
        binary: { on: 'ON', off: 'OFF' }, on: command, off: command, set: command };
    }
    return rule;
  });
}

export function buildGenericProfile(base: ProfileSpec, topics: GenericTopic[],
  options: { maxPayloadBytes?: number } = {}): Profile {
  return new Profile({ ...base, rules: [...base.rules, ...genericRules(base, topics)] }, options);
}
