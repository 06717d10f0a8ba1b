import type { Reading } from '../profile-types.js';

/**
 * The human-readable body of a reading event, e.g.
 *   "21.5 °C · 40 % humidity · 1013 hPa · 90 % battery · state on".
 * One style throughout: a number is "value unit name"; the name is left out when the unit
 * already says what the quantity is (°C for temperature, W for power, ...). A value without
 * a unit, a boolean or a text is "name value". Temperature comes first, then the usual
 * climate and energy readings, then everything else in the order received, battery and
 * link quality last.
 */
const ORDER = ['temperature', 'humidity', 'pressure', 'illuminance', 'co2', 'power', 'energy',
  'voltage', 'current'];
const LAST = ['battery', 'linkquality', 'rssi', 'signal_strength'];

/** Units that name their quantity on their own: the property name would only repeat it. */
const SELF_NAMING: Record<string, string> = {
  '°C': 'temperature', '°F': 'temperature', K: 'temperature', hPa: 'pressure', lx: 'illuminance',
  W: 'power', kWh: 'energy', Wh: 'energy', V: 'voltage', A: 'current', lqi: 'linkquality',
};

function classOf(name: string, reading: Reading): string {
  return reading.deviceClass ?? name.toLowerCase();
}

function rank(name: string, reading: Reading): number {
  const cls = classOf(name, reading);
  const first = ORDER.indexOf(cls);
  if (first >= 0) return first;
  return LAST.includes(cls) ? ORDER.length + 1 + LAST.indexOf(cls) : ORDER.length;
}

function humanName(name: string): string {
  return name.replace(/[_.]+/g, ' ').trim();
}

function formatValue(value: Reading['value']): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  return String(value);
}

export function formatReading(name: string, reading: Reading): string {
  const value = formatValue(reading.value);
  if (typeof reading.value !== 'number' || !reading.unit) return `${humanName(name)} ${value}`;

  const named = SELF_NAMING[reading.unit];
  if (named !== undefined && named === name.toLowerCase()) return `${value} ${reading.unit}`;
  return `${value} ${reading.unit} ${humanName(name)}`;
}

export function formatReadings(readings: Record<string, Reading>): string {
  const entries = Object.entries(readings)
    .map(([name, reading], index) => ({ name, reading, index }));
  entries.sort((a, b) => rank(a.name, a.reading) - rank(b.name, b.reading) || a.index - b.index);
  return entries.map((e) => formatReading(e.name, e.reading)).join(' · ');
}
