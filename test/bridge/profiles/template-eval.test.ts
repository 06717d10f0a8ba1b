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
  ["{% if value_json.temperature > 20 %}warm{% else %}cold{% endif %}", '', 'warm'],
  ["{% if value_json.raw == '1' %}a{% elif value_json.raw == '7' %}b{% else %}c{% endif %}", '',
    'b'],
  ["{% if value_json.missing is defined %}x{% endif %}", '', ''],
  ["{% set modes = {'on': 'heating', None: 'idle'} %}{{ modes[value_json.state] }}", '',
    'heating'],
  ["{% set t = value_json.temperature %}{{ t | round(1) }} °C", '', '21.5 °C'],
  ["{%- if value_json.a is defined -%}\n  {{ value_json.a.b }}\n{%- endif -%}", '', 'deep'],
  ['{# a comment #}{{ value_json.raw | int }}', '', 7],
  ["{{ 'yes' if value_json.state in ['on', 'auto'] else 'no' }}", '', 'yes'],
  ["{{ 'yes' if 'odd key' not in value_json else 'no' }}", '', 'no'],
  ['{{ value_json.temperature | is_defined }}', '', 21.46],
  ["{{ value | replace(',', '.') | float }}", '21,5', 21.5],
  ['{{ value_json.state | bool }}', '', true],
  ['{{ value_json.a | tojson }}', '', '{"b":"deep"}'],
  ["{{ (value | from_json).n }}", '{"n": 3}', 3],
];

t.test('the supported value_template forms evaluate like Home Assistant', async (t) => {
  for (const [source, value, expected] of cases) {
    t.same(compileTemplate(source).render({ value, value_json: json }), expected, source);
  }
});

const refused = [
  '{% for x in value_json %}{{ x }}{% endfor %}',
  '{% if value %}on',
  '{% else %}',
  '{% if value %}a{% else %}b{% else %}c{% endif %}',
  '{% set value = 1 %}{{ value }}',
  '{{ y_unknown }}{% set y_unknown = 1 %}',
  '{{ states("sensor.x") }}',
  '{{ value.__class__ }}',
  '{{ value | regex_replace("a", "b") }}',
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
  t.throws(() => compileTemplate('{{ value_json.nope | is_defined }}')
    .render({ value: '', value_json: {} }), /undefined/, 'is_defined refuses a missing value');
  t.throws(() => compileTemplate('{{ value | bool }}').render({ value: 'maybe' }),
    /as a boolean/);
});
