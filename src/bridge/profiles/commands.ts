import type { DeviceCommand, OutgoingPublish, Reading } from '../profile-types.js';
import { isPlainObject } from './json-path.js';
import {
  capabilitiesOf, type Capability, type LearnedDevice, type LearnedProperty,
} from './learned.js';
import type { Profile } from './profile.js';
import type { CommandSpec, CommandsSpec, Scalar } from './spec.js';
import { channelsOfHex, colorObjectOfHex, colorTextOfHex, parseHexColor } from './colors.js';
import { deviceNumberOf } from './ha-components.js';
import { compileTemplate, type Scope } from './template-eval.js';
import { renderTemplate } from './topic-pattern.js';

/**
 * Chat commands into MQTT publishes. The profile's command templates fill `{device}`,
 * `{friendly_name}`, `{property}`, `{name}` (the device's own name for the property),
 * `{value}` (as text), `{value_json}` (as a JSON literal), `{value_rgb}` (a colour as
 * `[r,g,b]`) and the topic captures where the property was seen (`{node}`, `{channel}`,
 * ...). Values are checked against the device's
 * capabilities when it has described them; a Home Assistant entity is commanded as its
 * discovery message said.
 */
export interface CommandTarget {
  deviceId: string;
  friendlyName?: string;
  learned?: unknown;
  /** The device's last reported values, for a toggle where the device has none of its own. */
  readings?: Record<string, Reading>;
}

type Built = OutgoingPublish | { error: string };
const PROPERTY = /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/;
const ON_WORDS = ['on', 'true', '1', 'yes'];
const OFF_WORDS = ['off', 'false', '0', 'no'];

function learnedOf(profile: Profile, target: CommandTarget): LearnedDevice {
  const given = target.learned;
  if (isPlainObject(given) && isPlainObject(given.properties)) {
    return given as unknown as LearnedDevice;
  }
  return profile.learned(target.deviceId) ?? { properties: {} };
}

function listOf(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/**
 * The property on, off and toggle act on: the first of the preferred ones the device has
 * (the profile's defaultProperty, then those of the rules with commands of their own that
 * read its properties), else its first binary capability.
 */
function switchProperty(profile: Profile, device: LearnedDevice, caps: Capability[] | undefined):
  string | undefined {
  const preferred = listOf(profile.spec.commands?.defaultProperty);
  for (const p of Object.values(device.properties)) {
    if (p.rule === undefined) continue;
    for (const name of listOf(profile.commandsFor(p)?.defaultProperty)) {
      if (!preferred.includes(name)) preferred.push(name);
    }
  }
  if (caps) {
    const binary = caps.filter((c) => c.kind === 'binary').map((c) => c.property);
    return preferred.find((p) => binary.includes(p)) ?? binary[0];
  }
  return preferred.find((p) => device.properties[p]?.type === 'boolean') ?? preferred[0];
}

/** Parses a chat value into what the device is sent and what its confirmation will read. */
function typedValue(property: string, text: string, cap: Capability | undefined,
  learned: LearnedProperty | undefined, spec: CommandsSpec):
  { send: Scalar; confirm: Scalar } | { error: string } {
  const lower = text.trim().toLowerCase();
  const kind = cap?.kind ?? (learned?.type === 'boolean' ? 'binary'
    : learned?.type === 'number' ? 'numeric' : undefined);
  if (kind === 'binary') {
    const on = cap?.valueOn ?? spec.binary?.on ?? 'ON';
    const off = cap?.valueOff ?? spec.binary?.off ?? 'OFF';
    if (ON_WORDS.includes(lower) || lower === String(on).toLowerCase()) {
      return { send: on, confirm: true };
    }
    if (OFF_WORDS.includes(lower) || lower === String(off).toLowerCase()) {
      return { send: off, confirm: false };
    }
    return { error: `bad value for ${property}: expected on or off, got "${text}"` };
  }
  if (kind === 'numeric') {
    const n = lower === '' ? NaN : Number(lower);
    if (!Number.isFinite(n)) {
      return { error: `bad value for ${property}: expected a number, got "${text}"` };
    }
    if ((cap?.min !== undefined && n < cap.min) || (cap?.max !== undefined && n > cap.max)) {
      const range = `${cap?.min ?? '…'} to ${cap?.max ?? '…'}`;
      return { error: `bad value for ${property}: ${n} is outside ${range}` };
    }
    return { send: n, confirm: n };
  }
  if (kind === 'enum') {
    const match = cap?.values?.find((v) => v.toLowerCase() === lower);
    if (match === undefined) {
      const values = cap?.values?.join(', ');
      return { error: `bad value for ${property}: expected one of ${values}, got "${text}"` };
    }
    return { send: match, confirm: match };
  }
  if (kind === 'text' && cap?.format === 'color_hex') {
    const hex = parseHexColor(text);
    if (!hex) {
      return { error: `bad value for ${property}: expected a colour as #rrggbb, got "${text}"` };
    }
    return { send: hex, confirm: hex };
  }
  if (kind === 'text') return { send: text, confirm: text };
  const n = lower === '' ? NaN : Number(lower);
  return Number.isFinite(n) ? { send: n, confirm: n } : { send: text, confirm: text };
}

function publish(spec: CommandsSpec, cmd: CommandSpec, vars: Record<string, string | undefined>,
  confirms: OutgoingPublish['confirms']): Built {
  const topic = renderTemplate(cmd.topic, vars);
  const payload = renderTemplate(cmd.payload, vars);
  const missing = [...topic.missing, ...payload.missing];
  if (missing.length > 0) {
    const name = missing[0];
    return { error: `cannot address the device yet: {${name}} is not known until it reports` };
  }
  if (/[+#]/.test(topic.text)) {
    return { error: `the command topic ${topic.text} contains a wildcard` };
  }
  const out: OutgoingPublish = { topic: topic.text, payload: payload.text,
    qos: cmd.qos ?? spec.qos ?? 1, retain: cmd.retain ?? spec.retain ?? false };
  if (confirms && cmd.confirms !== false) out.confirms = confirms;
  return out;
}

function entityCommand(learned: LearnedProperty, property: string, command: DeviceCommand,
  value: { send: Scalar; confirm: Scalar } | undefined): Built {
  const e = learned.entity!;
  let payload: string;
  let topic = e.commandTopic;
  if (e.jsonKey !== undefined && (command.kind === 'on' || command.kind === 'off'
    || (command.kind === 'set' && value))) {
    // A JSON-schema light: setting a part (brightness...) also switches it on, as in HA.
    let part: unknown = value?.send;
    if (command.kind === 'set' && learned.capability?.format === 'color_hex') {
      part = colorObjectOfHex(String(value!.send), e.colorSpace ?? 'rgb');
    }
    const body: Record<string, unknown> = command.kind === 'set'
      ? (e.jsonKey === 'state' ? { state: value!.send } : { state: 'ON', [e.jsonKey]: part })
      : { state: command.kind === 'on' ? 'ON' : 'OFF' };
    payload = JSON.stringify(body);
  } else if (command.kind === 'on' || command.kind === 'off') {
    payload = (command.kind === 'on' ? e.payloadOn : e.payloadOff) ?? command.kind.toUpperCase();
  } else if (command.kind === 'set' && value) {
    // A percentage the device writes in a range of its own: `value` is the device's number,
    // the percentage goes by its own name (Home Assistant's position, tilt_position).
    // A default-schema light's colour goes as "r,g,b" (or "h,s", "x,y"), its numbers also
    // by name (red, green, blue...).
    const percent = e.range && typeof value.send === 'number' ? value.send : undefined;
    const color = learned.capability?.format === 'color_hex'
      ? colorTextOfHex(String(value.send), e.colorSpace ?? 'rgb') : undefined;
    const sent = percent !== undefined ? deviceNumberOf(percent, e.range!) : value.send;
    payload = color?.text ?? e.payloads?.[String(sent)] ?? String(sent);
    const own = e.valueTopics?.[String(sent)];
    if (own) topic = own.topic;
    const commandTemplate = own ? own.template : e.commandTemplate;
    if (commandTemplate) {
      const scope: Scope = { value: payload };
      if (percent !== undefined) scope.names = { [e.range!.variable]: percent };
      if (color) scope.names = color.names;
      // Home Assistant gives an alarm panel's template the payload as `action`, and a lock's
      // and an alarm panel's the user's `code`, None when none was given (never, from chat).
      if (e.component === 'alarm_control_panel') scope.names = { action: payload, code: null };
      if (e.component === 'lock') scope.names = { code: null };
      // A template this engine cannot run is the device's config, not the user's command:
      // said as such, and nothing is sent.
      try {
        payload = String(compileTemplate(commandTemplate).render(scope));
      } catch (err) {
        return { error: `${property}'s command_template cannot be used here: ` +
          (err as Error).message };
      }
    }
  } else {
    return { error: `${property} is a Home Assistant ${e.component}: it cannot ${command.kind}` };
  }
  const out: OutgoingPublish = { topic, payload, qos: e.qos ?? 0,
    retain: e.retain ?? false };
  if (e.confirms !== false) {
    const confirm = command.kind === 'set'
      ? e.confirmStates?.[String(value!.send)] ?? value!.confirm : command.kind === 'on';
    out.confirms = { property, value: confirm };
  }
  return out;
}

export function buildCommand(profile: Profile, target: CommandTarget, command: DeviceCommand):
  Built {
  const device = learnedOf(profile, target);
  const caps = capabilitiesOf(device);
  if (!profile.spec.commands
    && !Object.values(device.properties).some((p) => p.entity || p.rule !== undefined)) {
    return { error: 'nothing on this device can be commanded' };
  }
  // A property the device never reported goes where its other properties came from, when
  // they all came through one rule with commands of its own (a generic topic).
  const ownRules = new Set(Object.values(device.properties).flatMap((p) =>
    (p.rule === undefined ? [] : [p.rule])));
  const sibling = ownRules.size === 1
    ? Object.values(device.properties).find((p) => p.rule !== undefined) : undefined;
  const learnedOrSibling = (property: string | undefined) =>
    (property === undefined ? undefined : device.properties[property] ?? sibling);
  /**
   * The commands of a property: its rule's own, else the profile's, and within them the
   * property's own where they name it.
   */
  const specOf = (property: string | undefined): CommandsSpec => {
    const learned = learnedOrSibling(property);
    const spec = profile.commandsFor(learned) ?? {};
    if (property === undefined || !spec.properties) return spec;
    const own = Object.entries(spec.properties).find(([name]) =>
      renderTemplate(name, learned?.captures ?? {}).text === property)?.[1];
    if (!own) return spec;
    const { qos, retain, binary, names } = spec;
    return { qos, retain, binary, names, ...own };
  };
  const vars = (property: string | undefined): Record<string, string | undefined> => ({
    ...learnedOrSibling(property)?.captures,
    device: target.deviceId,
    friendly_name: target.friendlyName ?? device.friendlyName ?? target.deviceId,
    property,
    name: property === undefined ? undefined : specOf(property).names?.[property] ?? property,
  });

  if (command.kind === 'get') {
    const property = command.property
      ?? (profile.spec.commands?.getAll ? undefined : switchProperty(profile, device, caps));
    if (property !== undefined && !PROPERTY.test(property)) {
      return { error: `unknown property ${property}` };
    }
    if (property !== undefined && device.properties[property]?.entity) {
      return { error: `${property} cannot be asked for: its last reading is its state` };
    }
    const spec = specOf(property);
    const cmd = property === undefined ? spec.getAll : spec.get;
    if (!cmd) return { error: `${profile.name} devices cannot be asked for their state` };
    return publish(spec, cmd, vars(property), property ? { property } : undefined);
  }

  if (command.kind === 'set') {
    const { property } = command;
    const spec = specOf(property);
    const cap = caps?.find((c) => c.property === property);
    if (!PROPERTY.test(property) || (caps && !cap)) {
      const known = caps?.map((c) => c.property).join(', ');
      return { error: `unknown property ${property}${known ? ` (can set: ${known})` : ''}` };
    }
    const value = typedValue(property, command.value, cap, device.properties[property], spec);
    if ('error' in value) return value;
    const learned = device.properties[property];
    if (learned?.entity) return entityCommand(learned, property, command, value);
    if (!spec.set) {
      return { error: `unknown property ${property} (nothing on this device can be set)` };
    }
    const setVars = { ...vars(property), value: String(value.send),
      value_json: JSON.stringify(value.send) } as Record<string, string | undefined>;
    // A colour is also given as a JSON list [r, g, b] (Shelly's RGB.Set).
    if (cap?.format === 'color_hex') {
      setVars.value_rgb = JSON.stringify(channelsOfHex(String(value.send)));
    }
    return publish(spec, spec.set, setVars, { property, value: value.confirm });
  }

  const property = switchProperty(profile, device, caps);
  if (property === undefined) return { error: 'this device has nothing to switch on or off' };
  const spec = specOf(property);
  const learned = device.properties[property];
  if (command.kind === 'toggle' && (learned?.entity || !spec.toggle)) {
    // No toggle of its own (a Home Assistant entity, Homie): the opposite of its last state.
    const last = target.readings?.[property]?.value;
    if (typeof last !== 'boolean') {
      return { error: `${property} has reported no on/off state yet to toggle from` };
    }
    return buildCommand(profile, target, { kind: last ? 'off' : 'on' });
  }
  if (learned?.entity) return entityCommand(learned, property, command, undefined);
  const cmd = spec[command.kind];
  if (!cmd) return { error: `${profile.name} devices cannot ${command.kind}` };
  if (command.kind === 'toggle') return publish(spec, cmd, vars(property), { property });
  const cap = caps?.find((c) => c.property === property);
  const on = command.kind === 'on';
  const send = on
    ? cap?.valueOn ?? spec.binary?.on ?? 'ON'
    : cap?.valueOff ?? spec.binary?.off ?? 'OFF';
  const values = { value: String(send), value_json: JSON.stringify(send) };
  return publish(spec, cmd, { ...vars(property), ...values },
    { property, value: on });
}
