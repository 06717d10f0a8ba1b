import t from 'tap';
import { checkSchema, type SchemaNode } from '../../src/config/check.js';

const users: SchemaNode = {
  type: 'array',
  description: 'a list of users',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['username'],
    properties: {
      username: { type: 'string', minLength: 1, description: 'a user name' },
      publish: {
        type: 'array',
        items: { type: 'string', minLength: 1, description: 'a topic filter' },
      },
    },
  },
};

t.test('every element of an array is checked against items, named by its index', async (t) => {
  t.same(checkSchema(users, []), [], 'an empty list is fine');
  t.same(checkSchema(users, [{ username: 'a', publish: ['x/#', 'y'] }]), []);

  const problems = checkSchema(users, [
    { username: 'ok' },
    { username: '', publish: ['fine', 7] },
    { publish: [] },
    { username: 'b', colour: 'red' },
  ]);
  t.same(problems.map((p) => p.field), [
    '1.username', '1.publish.1', '2.username', '3.colour',
  ]);
  t.match(problems[0]!.message, /expected a user name/);
  t.match(problems[1]!.message, /expected a topic filter, got 7/);
  t.equal(problems[2]!.message, 'missing');
  t.equal(problems[3]!.message, 'unknown setting');
});

t.test('items names the dotted key under its parent object', async (t) => {
  const schema: SchemaNode = { type: 'object', properties: { mqtt: { type: 'object',
    properties: { users } } } };
  const problems = checkSchema(schema, { mqtt: { users: [{ username: 3 }] } });
  t.same(problems.map((p) => p.field), ['mqtt.users.0.username']);
});

t.test('a non-array where a list is expected says what was expected', async (t) => {
  const problems = checkSchema(users, 'alice');
  t.equal(problems.length, 1);
  t.equal(problems[0]!.field, '');
  t.match(problems[0]!.message, /expected a list of users, got "alice"/);
});
