/**
 * Units and device classes of well-known property names, used when neither the profile nor
 * the device (Zigbee2MQTT exposes, Homie `$unit`, Home Assistant discovery) says otherwise.
 * Device classes follow Home Assistant's names, which most ecosystems reuse.
 */
interface Known { unit?: string; deviceClass: string }

const KNOWN: Record<string, Known> = {
  temperature: { unit: '°C', deviceClass: 'temperature' },
  humidity: { unit: '%', deviceClass: 'humidity' },
  battery: { unit: '%', deviceClass: 'battery' },
  power: { unit: 'W', deviceClass: 'power' },
  voltage: { unit: 'V', deviceClass: 'voltage' },
  current: { unit: 'A', deviceClass: 'current' },
  energy: { unit: 'kWh', deviceClass: 'energy' },
  illuminance: { unit: 'lx', deviceClass: 'illuminance' },
  illuminance_lux: { unit: 'lx', deviceClass: 'illuminance' },
  pressure: { unit: 'hPa', deviceClass: 'pressure' },
  linkquality: { unit: 'lqi', deviceClass: 'signal_strength' },
  co2: { unit: 'ppm', deviceClass: 'carbon_dioxide' },
  pm25: { unit: 'µg/m³', deviceClass: 'pm25' },
  rssi: { unit: 'dBm', deviceClass: 'signal_strength' },
  dew_point: { unit: '°C', deviceClass: 'temperature' },
  dewpoint: { unit: '°C', deviceClass: 'temperature' },
  occupancy: { deviceClass: 'occupancy' },
  contact: { deviceClass: 'door' },
  water_leak: { deviceClass: 'moisture' },
};

/** A property's defaults: by its exact name, else by its last word (`outdoor_temperature`). */
export function knownProperty(property: string): Known | undefined {
  const name = property.toLowerCase();
  if (Object.hasOwn(KNOWN, name)) return KNOWN[name];
  const lastWord = name.split(/[_\-. ]/).pop() ?? name;
  return Object.hasOwn(KNOWN, lastWord) ? KNOWN[lastWord] : undefined;
}
