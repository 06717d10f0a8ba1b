/**
 * The server-default push rules, exactly as the client-server API lists them under "Push
 * Notifications" > "Predefined Rules" (v1.17: the legacy rules matching mentions in `body`,
 * such as .m.rule.contains_display_name, .m.rule.roomnotif and .m.rule.contains_user_name,
 * were removed from the spec and so are not served).
 */

export type PushAction = string | Record<string, unknown>;

export interface PushRule {
  rule_id: string;
  default: boolean;
  enabled: boolean;
  actions: PushAction[];
  conditions?: Array<Record<string, unknown>>;
  pattern?: string;
}

export const RULE_KINDS = ['override', 'content', 'room', 'sender', 'underride'] as const;
export type RuleKind = typeof RULE_KINDS[number];

export type PushRuleset = Record<RuleKind, PushRule[]>;

const SOUND_DEFAULT = { set_tweak: 'sound', value: 'default' };
const HIGHLIGHT = { set_tweak: 'highlight' };

function rule(rule_id: string, conditions: Array<Record<string, unknown>>, actions: PushAction[],
  enabled = true): PushRule {
  return { rule_id, default: true, enabled, conditions, actions };
}

function match(key: string, pattern: string): Record<string, unknown> {
  return { kind: 'event_match', key, pattern };
}

/**
 * `.m.rule.master` always ranks above user-defined override rules; every other default
 * override ranks below them (spec: "Predefined Rules").
 */
export function defaultMasterRule(): PushRule {
  return rule('.m.rule.master', [], [], false);
}

/** The default rules of each kind for one user, in priority order (master excluded). */
export function defaultPushRules(userId: string): PushRuleset {
  return {
    override: [
      rule('.m.rule.suppress_notices', [match('content.msgtype', 'm.notice')], []),
      rule('.m.rule.invite_for_me', [
        match('type', 'm.room.member'),
        match('content.membership', 'invite'),
        match('state_key', userId),
      ], ['notify', SOUND_DEFAULT]),
      rule('.m.rule.member_event', [match('type', 'm.room.member')], []),
      rule('.m.rule.is_user_mention', [
        { kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: userId },
      ], ['notify', SOUND_DEFAULT, HIGHLIGHT]),
      rule('.m.rule.is_room_mention', [
        { kind: 'event_property_is', key: 'content.m\\.mentions.room', value: true },
        { kind: 'sender_notification_permission', key: 'room' },
      ], ['notify', HIGHLIGHT]),
      rule('.m.rule.tombstone', [match('type', 'm.room.tombstone'), match('state_key', '')],
        ['notify', HIGHLIGHT]),
      rule('.m.rule.reaction', [match('type', 'm.reaction')], []),
      rule('.m.rule.room.server_acl', [match('type', 'm.room.server_acl'),
        match('state_key', '')], []),
      rule('.m.rule.suppress_edits', [
        { kind: 'event_property_is', key: 'content.m\\.relates_to.rel_type', value: 'm.replace' },
      ], []),
    ],
    content: [],
    room: [],
    sender: [],
    underride: [
      rule('.m.rule.call', [match('type', 'm.call.invite')],
        ['notify', { set_tweak: 'sound', value: 'ring' }]),
      rule('.m.rule.encrypted_room_one_to_one', [
        { kind: 'room_member_count', is: '2' }, match('type', 'm.room.encrypted'),
      ], ['notify', SOUND_DEFAULT]),
      rule('.m.rule.room_one_to_one', [
        { kind: 'room_member_count', is: '2' }, match('type', 'm.room.message'),
      ], ['notify', SOUND_DEFAULT]),
      rule('.m.rule.message', [match('type', 'm.room.message')], ['notify']),
      rule('.m.rule.encrypted', [match('type', 'm.room.encrypted')], ['notify']),
    ],
  };
}
