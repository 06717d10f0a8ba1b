import t from 'tap';
import { compileTemplate, TemplateError } from '../../../src/bridge/profiles/template-eval.js';

const json = { temperature: 21.46, a: { b: 'deep' }, list: [10, 20], state: 'on', raw: '7',
  'odd key': 3 };
const cases: Array<[string, string, unknown]> = [
  ['{{ value_json.temperature }}', '', 21.46],
  ["{{ value_json['temperature'] }}", '', 21.46],
  ['{{ value_json["odd key"] }}', '', 3],
  ['{{ value_json.a.b }}', '', 'deep'],
  ['{{ value_json.list[1] }}', '', 20],
  ['{{ value }}', '42', '42'],
  ['{{ value | float }}', '42.5', 42.5],
  ['{{ value | int }}', '42.9', 42],
  ['{{ value_json.temperature | round(1) }}', '', 21.5],
  ['{{ value_json.temperature | round }}', '', 21],
  ['{{ (value_json.raw | float) * 10 }}', '', 70],
  ['{{ value_json.raw | float * 10 }}', '', 70],
  ['{{ value_json.temperature * 9 / 5 + 32 }}', '', 21.46 * 9 / 5 + 32],
  ['{{ -value_json.list[0] }}', '', -10],
  ["{{ 'ON' if value_json.state == 'on' else 'OFF' }}", '', 'ON'],
  ["{{ value_json.missing | default('none') }}", '', 'none'],
  ['{{ value_json.missing is defined }}', '', false],
  ['{{ value | float(0) }}', 'n/a', 0],
  ['{{ value | upper }}', 'on', 'ON'],
  ['{{ value_json.state | lower == "on" and value_json.raw == "7" }}', '', true],
  ['{"brightness": {{ value }}}', '128', '{"brightness": 128}'],
  ['  {{ value_json.temperature }}  ', '', 21.46],
  ['T={{ value_json.temperature }}°', '', 'T=21.46°'],
];

t.test('the supported value_template forms evaluate like Home Assistant', async (t) => {
  for (const [source, value, expected] of cases) {
    t.same(compileTemplate(source).render({ value, value_json: json }), expected, source);
  }
});

const refused = [
  '{% if value %}on{% endif %}',
  '{{ states("sensor.x") }}',
  '{{ value.__class__ }}',
  '{{ value | tojson }}',
  '{{ now() }}',
  '{{ value_json.a ',
  '{{ value_json[ }}',
];

t.test('anything else is refused when compiled, naming the template', async (t) => {
  for (const source of refused) {
    t.throws(() => compileTemplate(source), TemplateError, source);
    t.throws(() => compileTemplate(source), { message: new RegExp(`unsupported template ${
      source.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) }, source);
  }
});

t.test('a value that cannot be converted is an error, not a silent zero', async (t) => {
  t.throws(() => compileTemplate('{{ value | float }}').render({ value: 'unavailable' }),
    /cannot use "unavailable" as a number/);
  t.throws(() => compileTemplate('x{{ value_json.nope }}').render({ value: '', value_json: {} }),
    /undefined/);
});
