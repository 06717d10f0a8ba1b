import t from 'tap';
import { call, createUser, startTestServer } from '../helpers/server.js';

const ids = (rules: Array<{ rule_id: string }>) => rules.map((r) => r.rule_id);

t.test('push rules', async (t) => {
  const server = await startTestServer(t);
  const alice = await createUser(server, 'alice');
  const auth = { token: alice.token };

  t.test('the defaults are the spec\'s predefined rules, with the user ID filled in', async (t) => {
    const res = await call(server, 'GET', 'pushrules/', auth);
    t.equal(res.status, 200);
    const global = res.body.global;
    t.same(ids(global.override), ['.m.rule.master', '.m.rule.suppress_notices',
      '.m.rule.invite_for_me', '.m.rule.member_event', '.m.rule.is_user_mention',
      '.m.rule.is_room_mention', '.m.rule.tombstone', '.m.rule.reaction',
      '.m.rule.room.server_acl', '.m.rule.suppress_edits']);
    t.same(ids(global.underride), ['.m.rule.call', '.m.rule.encrypted_room_one_to_one',
      '.m.rule.room_one_to_one', '.m.rule.message', '.m.rule.encrypted']);
    t.same(global.content, []);
    t.same(global.room, []);
    t.same(global.sender, []);
    t.same(global.override[0], { rule_id: '.m.rule.master', default: true, enabled: false,
      conditions: [], actions: [] });
    const invite = global.override[2];
    t.same(invite.conditions[2], { kind: 'event_match', key: 'state_key', pattern: alice.userId });
    t.same(global.override[4].conditions[0].value, alice.userId);
    const direct = await call(server, 'GET', 'pushrules/global/', auth);
    t.same(direct.body, global);
    const asAccountData = await call(server, 'GET',
      `user/${encodeURIComponent(alice.userId)}/account_data/m.push_rules`, auth);
    t.same(asAccountData.body, res.body, 'account data serves the same ruleset');
  });

  t.test('a new user rule ranks first among user rules and above the defaults', async (t) => {
    let res = await call(server, 'PUT', 'pushrules/global/override/first',
      { ...auth, body: { conditions: [{ kind: 'event_match', key: 'type', pattern: 'x' }],
        actions: ['notify'] } });
    t.equal(res.status, 200);
    res = await call(server, 'PUT', 'pushrules/global/override/second',
      { ...auth, body: { actions: [] } });
    t.equal(res.status, 200);
    res = await call(server, 'PUT', 'pushrules/global/override/third?after=first',
      { ...auth, body: { actions: [] } });
    t.equal(res.status, 200);
    res = await call(server, 'PUT', 'pushrules/global/override/zeroth?before=second',
      { ...auth, body: { actions: [] } });
    t.equal(res.status, 200);
    const rules = (await call(server, 'GET', 'pushrules/', auth)).body.global.override;
    t.same(ids(rules).slice(0, 6), ['.m.rule.master', 'zeroth', 'second', 'first', 'third',
      '.m.rule.suppress_notices']);
    const one = await call(server, 'GET', 'pushrules/global/override/first', auth);
    t.same(one.body, { rule_id: 'first', default: false, enabled: true, actions: ['notify'],
      conditions: [{ kind: 'event_match', key: 'type', pattern: 'x' }] });
  });

  t.test('content rules need a pattern; room rules take the room ID as rule ID', async (t) => {
    let res = await call(server, 'PUT', 'pushrules/global/content/cake',
      { ...auth, body: { actions: ['notify'] } });
    t.equal(res.body.errcode, 'M_MISSING_PARAM');
    res = await call(server, 'PUT', 'pushrules/global/content/cake',
      { ...auth, body: { pattern: 'cake*lie', actions: ['notify'] } });
    t.equal(res.status, 200);
    res = await call(server, 'PUT',
      `pushrules/global/room/${encodeURIComponent('!abc:test.local')}`,
      { ...auth, body: { actions: [] } });
    t.equal(res.status, 200);
    const global = (await call(server, 'GET', 'pushrules/', auth)).body.global;
    t.same(global.content, [{ rule_id: 'cake', default: false, enabled: true,
      actions: ['notify'], pattern: 'cake*lie' }]);
    t.same(ids(global.room), ['!abc:test.local']);
  });

  t.test('errors: reserved IDs, bad kinds, missing rules, bad anchors, bad bodies', async (t) => {
    let res = await call(server, 'PUT', 'pushrules/global/override/.m.rule.master',
      { ...auth, body: { actions: [] } });
    t.equal(res.status, 400);
    t.equal(res.body.errcode, 'M_INVALID_PARAM');
    res = await call(server, 'PUT', 'pushrules/global/sideways/x',
      { ...auth, body: { actions: [] } });
    t.equal(res.body.errcode, 'M_INVALID_PARAM');
    res = await call(server, 'GET', 'pushrules/global/override/missing', auth);
    t.equal(res.status, 404);
    t.equal(res.body.errcode, 'M_NOT_FOUND');
    res = await call(server, 'DELETE', 'pushrules/global/override/missing', auth);
    t.equal(res.status, 404);
    res = await call(server, 'PUT', 'pushrules/global/override/y?before=nope',
      { ...auth, body: { actions: [] } });
    t.equal(res.status, 400);
    t.equal(res.body.errcode, 'M_UNKNOWN');
    res = await call(server, 'PUT', 'pushrules/global/override/y?after=.m.rule.reaction',
      { ...auth, body: { actions: [] } });
    t.equal(res.body.errcode, 'M_INVALID_PARAM');
    res = await call(server, 'PUT', 'pushrules/global/override/y', { ...auth, body: {} });
    t.equal(res.body.errcode, 'M_MISSING_PARAM');
    res = await call(server, 'PUT', 'pushrules/global/override/y',
      { ...auth, body: { actions: [1] } });
    t.equal(res.body.errcode, 'M_BAD_JSON');
    res = await call(server, 'DELETE', 'pushrules/global/override/.m.rule.reaction', auth);
    t.equal(res.body.errcode, 'M_INVALID_PARAM', 'defaults cannot be deleted');
    res = await call(server, 'GET', 'pushrules/global/override/y', auth);
    t.equal(res.status, 404, 'failed PUTs stored nothing');
    res = await call(server, 'GET', 'pushrules/');
    t.equal(res.body.errcode, 'M_MISSING_TOKEN');
  });

  t.test('enabled and actions of defaults and user rules can change', async (t) => {
    let res = await call(server, 'PUT', 'pushrules/global/override/.m.rule.master/enabled',
      { ...auth, body: { enabled: true } });
    t.equal(res.status, 200);
    res = await call(server, 'GET', 'pushrules/global/override/.m.rule.master/enabled', auth);
    t.same(res.body, { enabled: true });
    res = await call(server, 'PUT', 'pushrules/global/underride/.m.rule.message/actions',
      { ...auth, body: { actions: ['notify', { set_tweak: 'sound', value: 'default' }] } });
    t.equal(res.status, 200);
    res = await call(server, 'GET', 'pushrules/global/underride/.m.rule.message/actions', auth);
    t.same(res.body, { actions: ['notify', { set_tweak: 'sound', value: 'default' }] });
    res = await call(server, 'PUT', 'pushrules/global/override/first/enabled',
      { ...auth, body: { enabled: 'no' } });
    t.equal(res.body.errcode, 'M_BAD_JSON');
    res = await call(server, 'PUT', 'pushrules/global/override/first/enabled',
      { ...auth, body: {} });
    t.equal(res.body.errcode, 'M_MISSING_PARAM');
    res = await call(server, 'PUT', 'pushrules/global/override/missing/enabled',
      { ...auth, body: { enabled: false } });
    t.equal(res.status, 404);
    res = await call(server, 'GET', 'pushrules/global/override/missing/actions', auth);
    t.equal(res.status, 404);
  });

  t.test('rules are stored as m.push_rules account data and survive a restart', async (t) => {
    const record = await server.hs.accountData.get(alice.userId, '', 'm.push_rules');
    t.ok(record, 'stored as global account data');
    t.ok(record!.pos > 0, 'with a stream position');
    const del = await call(server, 'DELETE', 'pushrules/global/override/second', auth);
    t.equal(del.status, 200);
    const global = (await call(server, 'GET', 'pushrules/', auth)).body.global;
    t.notOk(ids(global.override).includes('second'));
    t.equal(global.override[0].enabled, true, 'master stays enabled');
    const refused = await call(server, 'PUT',
      `user/${encodeURIComponent(alice.userId)}/account_data/m.push_rules`,
      { ...auth, body: { global: {} } });
    t.equal(refused.status, 405, 'account data cannot overwrite them');
    const again = await server.restart();
    const after = (await call(again, 'GET', 'pushrules/', auth)).body.global;
    t.same(after, global, 'the same ruleset after a restart');
  });
});
