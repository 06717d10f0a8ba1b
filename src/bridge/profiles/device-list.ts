import type { DeviceInfo, DeviceUpdate, ParseFailure, ParsedMessage } from '../profile-types.js';
import { getPath, isPlainObject } from './json-path.js';
import type { Capability, LearnedDevice } from './learned.js';
import type { Profile } from './profile.js';
import { holds, resolveSource } from './sources.js';
import type { CapabilitiesSpec, RuleSpec } from './spec.js';

/**
 * A retained list of every device a coordinator knows (Zigbee2MQTT `bridge/devices`). Each
 * listing is compared with the last: a new or changed device gets its info (and a rename),
 * a device that disappeared is removed. The first listing after a start is compared with
 * the IDs the bridge saved (Profile.restoreListed), so removals made while Switchboard was
 * down are seen too.
 */
function optionalNumber(entry: unknown, path: string | undefined): number | undefined {
  if (!path) return undefined;
  const v = getPath(entry, path);
  return typeof v === 'number' ? v : undefined;
}

function scalarAt(entry: unknown, path: string | undefined): string | number | boolean | undefined {
  if (!path) return undefined;
  const v = getPath(entry, path);
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : undefined;
}

/** Walks what a device exposes: every entry teaches its unit, writable ones are capabilities. */
function walkCapabilities(spec: CapabilitiesSpec, list: unknown, device: LearnedDevice,
  out: Capability[]): void {
  if (!Array.isArray(list)) return;
  for (const entry of list) {
    if (!isPlainObject(entry)) continue;
    const property = getPath(entry, spec.property);
    const kindName = getPath(entry, spec.kind);
    const composite = spec.composite && kindName === spec.composite.kind;
    if (spec.children && !composite) {
      walkCapabilities(spec, getPath(entry, spec.children), device, out);
    }
    if (typeof property !== 'string' || typeof kindName !== 'string') continue;
    const name = composite ? getPath(entry, spec.composite!.name) : undefined;
    const kind = composite ? spec.composite!.kinds[String(name)] : spec.kinds[kindName];
    if (!kind) continue;

    const unit = scalarAt(entry, spec.unit);
    const learned = (device.properties[property] ??= {});
    if (typeof unit === 'string') learned.unit = unit;
    if (spec.access) {
      const access = getPath(entry, spec.access.path);
      if (typeof access !== 'number' || (access & spec.access.bit) === 0) continue;
    }
    const cap: Capability = { property, kind };
    const values = spec.values ? getPath(entry, spec.values) : undefined;
    if (Array.isArray(values)) cap.values = values.map(String);
    const min = optionalNumber(entry, spec.min);
    const max = optionalNumber(entry, spec.max);
    if (min !== undefined) cap.min = min;
    if (max !== undefined) cap.max = max;
    if (typeof unit === 'string') cap.unit = unit;
    const format = composite ? spec.composite!.formats?.[String(name)] : undefined;
    if (format) cap.format = format;
    const on = scalarAt(entry, spec.valueOn);
    const off = scalarAt(entry, spec.valueOff);
    if (kind === 'binary' && on !== undefined) cap.valueOn = on;
    if (kind === 'binary' && off !== undefined) cap.valueOff = off;
    // A property exposed twice (a colour as color_xy and as color_hs) is one capability.
    if (out.some((c) => c.property === property)) continue;
    learned.capability = cap;
    out.push(cap);
  }
}

export function readDeviceList(profile: Profile, index: number, rule: RuleSpec, json: unknown):
  ParsedMessage[] | ParseFailure {
  const spec = rule.list!;
  const entries = getPath(json, spec.path ?? '');
  if (!Array.isArray(entries)) return profile.failure('expected a list of devices');
  const previous = profile.listed.get(index) ?? new Map<string, string>();
  const current = new Map<string, string>();
  const messages: ParsedMessage[] = [];

  for (const entry of entries) {
    if (!isPlainObject(entry) || (spec.skip && holds(spec.skip, entry))) continue;
    const name = resolveSource(rule.device?.name, {}, entry);
    const id = resolveSource(rule.device?.id, {}, entry) ?? name;
    if (id === undefined) continue;

    const info: DeviceInfo = {};
    const model = resolveSource(spec.model, {}, entry);
    const vendor = resolveSource(spec.vendor, {}, entry);
    const description = resolveSource(spec.description, {}, entry);
    if (model !== undefined) info.model = model;
    if (vendor !== undefined) info.vendor = vendor;
    if (description !== undefined) info.description = description;
    if (spec.capabilities) {
      const caps: Capability[] = [];
      const device = profile.device(id);
      walkCapabilities(spec.capabilities, getPath(entry, spec.capabilities.path), device, caps);
      device.capabilities = caps;
      info.capabilities = caps;
    }
    const fingerprint = JSON.stringify({ name, info });
    current.set(id, fingerprint);
    const renamed = profile.rename(id, name);
    if (previous.get(id) === fingerprint) continue;

    const update: DeviceUpdate = { kind: 'info', info };
    if (name !== undefined) update.friendlyName = name;
    profile.markAnnounced(id);
    messages.push(profile.message(id, [update, ...renamed]));
  }

  for (const id of previous.keys()) {
    if (current.has(id)) continue;
    const m = profile.message(id, [{ kind: 'removed' }]);
    profile.forget(id);
    messages.push(m);
  }
  if (current.size !== previous.size || [...current.keys()].some((id) => !previous.has(id))) {
    profile.listedVersion += 1;
  }
  profile.listed.set(index, current);
  return messages;
}
