import t from 'tap';
import { formatReadings } from '../../../src/bridge/profiles/index.js';

t.test('temperature comes first; a unit that names itself needs no label', async (t) => {
  t.equal(formatReadings({
    battery: { value: 90, unit: '%', deviceClass: 'battery' },
    humidity: { value: 40, unit: '%', deviceClass: 'humidity' },
    temperature: { value: 21.5, unit: '°C', deviceClass: 'temperature' },
  }), '21.5 °C · 40 % humidity · 90 % battery');
});

t.test('others keep their order; booleans, text and bare numbers are labelled', async (t) => {
  t.equal(formatReadings({
    linkquality: { value: 120, unit: 'lqi', deviceClass: 'signal_strength' },
    state: { value: true },
    brightness: { value: 200 },
    power: { value: 45, unit: 'W', deviceClass: 'power' },
    color_mode: { value: 'color_temp' },
    outdoor_temperature: { value: 4, unit: '°C', deviceClass: 'temperature' },
  }), '4 °C outdoor temperature · 45 W · state on · brightness 200 · color mode color_temp'
    + ' · 120 lqi');
});

t.test('a second reading of a self-naming unit keeps its label', async (t) => {
  t.equal(formatReadings({
    energy: { value: 1.2, unit: 'kWh', deviceClass: 'energy' },
    energy_today: { value: 0.2, unit: 'kWh', deviceClass: 'energy' },
    switch_0: { value: false },
  }), '1.2 kWh · 0.2 kWh energy today · switch 0 off');
});
