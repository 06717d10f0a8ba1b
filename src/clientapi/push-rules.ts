import { badJson, invalidParam, MatrixError, missingParam, notFound } from '../http/errors.js';
import type { Homeserver } from '../homeserver.js';
import { updateAccountData } from './account-data.js';
import type { AuthedRequest, ClientApi } from './context.js';
import {
  defaultMasterRule, defaultPushRules, RULE_KINDS, type PushAction, type PushRule,
  type PushRuleset, type RuleKind,
} from './default-push-rules.js';
import { bodyObject, optArray, optString, type Json } from './validate.js';

const TYPE = 'm.push_rules';

function emptyRuleset(): PushRuleset {
  return { override: [], content: [], room: [], sender: [], underride: [] };
}

function storedRules(content: Json | undefined, kind: RuleKind): PushRule[] {
  const global = content?.global as Record<string, unknown> | undefined;
  const list = global?.[kind];
  return Array.isArray(list) ? list as PushRule[] : [];
}

/**
 * A user's full ruleset from what is stored: their own rules as they left them, then the
 * current server defaults with the user's `enabled` and `actions` choices applied. Master
 * ranks first and the other defaults last in each kind (spec: "Predefined Rules").
 */
function mergeRuleset(userId: string, content: Json | undefined): PushRuleset {
  const defaults = defaultPushRules(userId);
  const out = emptyRuleset();
  for (const kind of RULE_KINDS) {
    const stored = storedRules(content, kind);
    const byId = new Map(stored.map((r) => [r.rule_id, r]));
    const withChoices = (d: PushRule): PushRule => {
      const mine = byId.get(d.rule_id);
      if (!mine) return d;
      return { ...d, enabled: mine.enabled !== false, actions: mine.actions ?? d.actions };
    };
    const own = stored.filter((r) => !r.rule_id.startsWith('.'));
    const head = kind === 'override' ? [withChoices(defaultMasterRule())] : [];
    out[kind] = [...head, ...own, ...defaults[kind].map(withChoices)];
  }
  return out;
}

/**
 * The `m.push_rules` content for a user: what /pushrules serves and what /sync puts in
 * account_data (the defaults when the user has changed nothing yet).
 */
export async function pushRulesFor(hs: Homeserver, userId: string): Promise<Json> {
  const record = await hs.accountData.get(userId, '', TYPE);
  return { global: mergeRuleset(userId, record?.content) };
}

function parseKind(kind: string): RuleKind {
  if (!(RULE_KINDS as readonly string[]).includes(kind)) {
    throw invalidParam(`Unknown push rule kind ${kind}`);
  }
  return kind as RuleKind;
}

function findRule(ruleset: PushRuleset, kind: RuleKind, ruleId: string): PushRule {
  const rule = ruleset[kind].find((r) => r.rule_id === ruleId);
  if (!rule) throw notFound('The push rule was not found.');
  return rule;
}

function parseActions(body: Json): PushAction[] {
  const actions = optArray(body, 'actions');
  if (actions === undefined) throw missingParam("'actions' is required");
  actions.forEach((a, i) => {
    const ok = typeof a === 'string' || (typeof a === 'object' && a !== null && !Array.isArray(a));
    if (!ok) throw badJson(`'actions[${i}]' must be a string or an object`);
  });
  return actions as PushAction[];
}

/** Builds a user-defined rule from a PUT body, with the fields its kind uses. */
function parseRule(kind: RuleKind, ruleId: string, body: Json, enabled: boolean): PushRule {
  const rule: PushRule = { rule_id: ruleId, default: false, enabled, actions: parseActions(body) };
  if (kind === 'override' || kind === 'underride') {
    const conditions = optArray(body, 'conditions') ?? [];
    conditions.forEach((c, i) => {
      if (typeof c !== 'object' || c === null || Array.isArray(c)
        || typeof (c as Json).kind !== 'string') {
        throw badJson(`'conditions[${i}]' must be an object with a 'kind'`);
      }
    });
    rule.conditions = conditions as Array<Record<string, unknown>>;
  }
  if (kind === 'content') {
    const pattern = optString(body, 'pattern');
    if (pattern === undefined) throw missingParam("'pattern' is required");
    rule.pattern = pattern;
  }
  return rule;
}

/** Where a new or moved user rule goes among the user-defined rules of its kind. */
function placeRule(own: PushRule[], rule: PushRule, before?: string, after?: string): PushRule[] {
  const existingAt = own.findIndex((r) => r.rule_id === rule.rule_id);
  const rest = own.filter((r) => r.rule_id !== rule.rule_id);
  const anchor = before ?? after;
  if (anchor === undefined) {
    if (existingAt >= 0) return [...rest.slice(0, existingAt), rule, ...rest.slice(existingAt)];
    // Spec: a created rule without before/after is the most important user-defined rule.
    return [rule, ...rest];
  }
  if (anchor.startsWith('.')) {
    throw invalidParam('Cannot place a rule relative to a server-default rule');
  }
  const at = rest.findIndex((r) => r.rule_id === anchor);
  if (at < 0) {
    throw new MatrixError('M_UNKNOWN', `before/after rule not found: ${anchor}`, {}, 400);
  }
  const index = before !== undefined ? at : at + 1;
  return [...rest.slice(0, index), rule, ...rest.slice(index)];
}

export function mountPushRules(api: ClientApi): void {
  const { hs } = api;

  /** Applies a change to the user's merged ruleset and stores the result as account data. */
  async function editRules(userId: string, edit: (rules: PushRuleset) => void): Promise<void> {
    await updateAccountData(hs, userId, '', TYPE, (current) => {
      const rules = mergeRuleset(userId, current);
      edit(rules);
      return { global: rules };
    });
  }

  async function currentRules(req: AuthedRequest): Promise<PushRuleset> {
    return (await pushRulesFor(hs, req.user.userId)).global as PushRuleset;
  }

  // GET /pushrules/
  api.authed('GET', '/pushrules/', async (req) => pushRulesFor(hs, req.user.userId));

  // GET /pushrules/global/
  api.authed('GET', '/pushrules/global/', async (req) => currentRules(req));

  // GET /pushrules/global/{kind}/{ruleId}
  api.authed('GET', '/pushrules/global/:kind/:ruleId', async (req) => {
    const kind = parseKind(req.params.kind!);
    return findRule(await currentRules(req), kind, req.params.ruleId!);
  });

  // PUT /pushrules/global/{kind}/{ruleId}
  api.authed('PUT', '/pushrules/global/:kind/:ruleId', async (req) => {
    const kind = parseKind(req.params.kind!);
    const ruleId = req.params.ruleId!;
    // Spec: IDs starting with '.' are reserved for server-default rules; no slashes.
    if (ruleId.startsWith('.')) {
      throw invalidParam('Rule IDs starting with "." are reserved');
    }
    if (ruleId.length === 0 || /[/\\]/.test(ruleId)) {
      throw invalidParam('Rule IDs may not contain slashes');
    }
    const body = bodyObject(req.body);
    const before = req.query.before || undefined;
    const after = req.query.after || undefined;
    await editRules(req.user.userId, (rules) => {
      const existing = rules[kind].find((r) => r.rule_id === ruleId);
      const rule = parseRule(kind, ruleId, body, existing?.enabled ?? true);
      const own = rules[kind].filter((r) => !r.rule_id.startsWith('.'));
      const defaults = rules[kind].filter((r) => r.rule_id.startsWith('.'));
      const master = defaults.filter((r) => r.rule_id === '.m.rule.master');
      const others = defaults.filter((r) => r.rule_id !== '.m.rule.master');
      rules[kind] = [...master, ...placeRule(own, rule, before, after), ...others];
    });
    return {};
  });

  // DELETE /pushrules/global/{kind}/{ruleId}
  api.authed('DELETE', '/pushrules/global/:kind/:ruleId', async (req) => {
    const kind = parseKind(req.params.kind!);
    const ruleId = req.params.ruleId!;
    await editRules(req.user.userId, (rules) => {
      findRule(rules, kind, ruleId);
      if (ruleId.startsWith('.')) {
        throw invalidParam('Server-default rules cannot be deleted');
      }
      rules[kind] = rules[kind].filter((r) => r.rule_id !== ruleId);
    });
    return {};
  });

  // GET /pushrules/global/{kind}/{ruleId}/enabled
  api.authed('GET', '/pushrules/global/:kind/:ruleId/enabled', async (req) => {
    const kind = parseKind(req.params.kind!);
    return { enabled: findRule(await currentRules(req), kind, req.params.ruleId!).enabled };
  });

  // PUT /pushrules/global/{kind}/{ruleId}/enabled
  api.authed('PUT', '/pushrules/global/:kind/:ruleId/enabled', async (req) => {
    const kind = parseKind(req.params.kind!);
    const body = bodyObject(req.body);
    if (body.enabled === undefined) {
      throw missingParam("'enabled' is required");
    }
    if (typeof body.enabled !== 'boolean') {
      throw badJson("'enabled' must be a boolean");
    }
    const enabled = body.enabled;
    await editRules(req.user.userId, (rules) => {
      findRule(rules, kind, req.params.ruleId!).enabled = enabled;
    });
    return {};
  });

  // GET /pushrules/global/{kind}/{ruleId}/actions
  api.authed('GET', '/pushrules/global/:kind/:ruleId/actions', async (req) => {
    const kind = parseKind(req.params.kind!);
    return { actions: findRule(await currentRules(req), kind, req.params.ruleId!).actions };
  });

  // PUT /pushrules/global/{kind}/{ruleId}/actions
  api.authed('PUT', '/pushrules/global/:kind/:ruleId/actions', async (req) => {
    const kind = parseKind(req.params.kind!);
    const actions = parseActions(bodyObject(req.body));
    await editRules(req.user.userId, (rules) => {
      findRule(rules, kind, req.params.ruleId!).actions = actions;
    });
    return {};
  });
}
