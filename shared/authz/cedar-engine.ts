import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuthorizationAnswer, Context, EntityJson, EntityUidJson } from '@cedar-policy/cedar-wasm/web';
import * as cedar from '@cedar-policy/cedar-wasm/web';
import { BASE_POLICY, BASE_POLICY_ID, CEDAR_SCHEMA } from './cedar-schema';
import type { AccessPolicy } from './org-access';

const WASM_FILE = 'cedar_wasm_bg.wasm';

/**
 * Cedar's engine is a 4 MiB WebAssembly module: compiled on first use only (~20 ms), so functions
 * of orgs without policies never pay for it. In a Lambda bundle the module sits beside the bundle
 * (copied at bundling); from source it is read from the package.
 */
let loaded = false;
function engine(): typeof cedar {
  if (loaded) return cedar;
  const candidates = [
    fileURLToPath(new URL(`./${WASM_FILE}`, import.meta.url)),
    join(process.cwd(), 'node_modules', '@cedar-policy', 'cedar-wasm', 'web', WASM_FILE),
  ];
  const file = candidates.find((c) => existsSync(c));
  if (!file) throw new Error(`Cedar's WebAssembly module was not found (looked in ${candidates.join(', ')})`);
  cedar.initSync({ module: readFileSync(file) });
  loaded = true;
  return cedar;
}

const messages = (errors: readonly { message: string; help?: string | null }[]) =>
  errors.map((e) => (e.help ? `${e.message} (${e.help})` : e.message));

/**
 * Checks one policy statement: it must parse as exactly one Cedar policy and validate against the
 * hub's schema in strict mode. Returns the problems; empty when the policy is good.
 */
export function validatePolicy(statement: string): string[] {
  const c = engine();
  const parts = c.policySetTextToParts(statement);
  if (parts.type === 'failure') return messages(parts.errors);
  if (parts.policies.length !== 1 || parts.policy_templates.length > 0) {
    return [`Give exactly one policy (and no template); found ${parts.policies.length}`];
  }
  const answer = c.validate({
    schema: CEDAR_SCHEMA,
    policies: { staticPolicies: { candidate: statement } },
    validationSettings: { mode: 'strict' },
  });
  if (answer.type === 'failure') return messages(answer.errors);
  // Cedar reports a problem once per action it applies to; say it once, without the placeholder id.
  const problems = answer.validationErrors.map((e) =>
    (e.error.help ? `${e.error.message} (${e.error.help})` : e.error.message)
      .replace(/^for policy `candidate`, /, '')
      .replace(/ for Hub::Action::"[^"]+"/, ''),
  );
  return [...new Set(problems)];
}

/** What one policy can change: whether it widens (`permit`) or narrows (`forbid`), and the actions it applies to. */
export interface PolicyReach {
  readonly effect: 'permit' | 'forbid';
  /** The actions' ids (`org:delete`, …); every action of the schema when the scope names none. */
  readonly actions: readonly string[];
}

/** Every action of the schema, as Cedar names them (`Hub::Action::"org:read"`); read once. */
let schemaActions: readonly string[] | undefined;
function allActions(c: typeof cedar): readonly string[] {
  if (schemaActions) return schemaActions;
  const envs = c.getValidRequestEnvsPolicy('permit (principal, action, resource);', CEDAR_SCHEMA);
  if (envs.type === 'failure') throw new Error(`The hub's Cedar schema does not load: ${envs.error}`);
  schemaActions = envs.actions;
  return schemaActions;
}

const actionId = (uid: EntityUidJson): string => ('__entity' in uid ? uid.__entity.id : uid.id);
const ACTION_UID = /^Hub::Action::"(.+)"$/;

/**
 * The actions a valid policy's scope names, by Cedar's own reading: `action == …`, `action in
 * [...]` (an action group standing for its members) and no action constraint (every action).
 * Both Cedar's scope and its typechecker's valid request environments are read, and their union
 * kept, so nothing a policy could reach is missed.
 */
export function policyReach(statement: string): PolicyReach {
  const c = engine();
  const parsed = c.policyToJson(statement);
  if (parsed.type === 'failure')
    throw new Error(`A policy does not parse: ${messages(parsed.errors).join('; ')}`);
  const { effect, action } = parsed.json;
  const all = allActions(c);
  const envs = c.getValidRequestEnvsPolicy(statement, CEDAR_SCHEMA);
  // Where Cedar cannot say, the policy is taken to reach every action: the check fails closed.
  const reached = envs.type === 'success' ? envs.actions : all;
  const named =
    action.op === 'All'
      ? all
      : 'slot' in action
        ? all
        : 'entities' in action
          ? action.entities.map((e) => `Hub::Action::"${actionId(e)}"`)
          : [`Hub::Action::"${actionId(action.entity)}"`];
  // A named group is not itself an action: its members come from the request environments.
  const actions = [...new Set([...named.filter((uid) => all.includes(uid)), ...reached])].map(
    (uid) => ACTION_UID.exec(uid)?.[1] ?? uid,
  );
  return { effect, actions: actions.sort() };
}

export interface CedarRequest {
  readonly principal: EntityUidJson;
  readonly action: EntityUidJson;
  readonly resource: EntityUidJson;
  readonly context: Context;
  readonly entities: EntityJson[];
}

export interface CedarDecision {
  readonly allowed: boolean;
  /** The policies that determined the decision (for a denial by policy, the forbidding ones). */
  readonly determining: readonly string[];
  readonly errors: readonly string[];
}

/** Parsed policy sets, by content: an org's set is parsed once per change, not once per request. */
const prepared = new Map<string, string>();

/**
 * Org policies sit in their own namespace of ids (`org:` cannot appear in an org's policy id), so
 * no org policy can replace the hub's base policy by taking its id.
 */
const ORG_POLICY_PREFIX = 'org:';
const orgPolicyId = (id: string) => `${ORG_POLICY_PREFIX}${id}`;
const reportedId = (id: string) =>
  id.startsWith(ORG_POLICY_PREFIX) ? id.slice(ORG_POLICY_PREFIX.length) : id;

function preparedSet(policies: readonly AccessPolicy[]): string {
  const key = createHash('sha256')
    .update(JSON.stringify(policies.map((p) => [p.id, p.statement])))
    .digest('base64url');
  if (prepared.has(key)) return key;
  const set = Object.fromEntries([
    [BASE_POLICY_ID, BASE_POLICY],
    ...policies.map((p) => [orgPolicyId(p.id), p.statement]),
  ]);
  const parsed = engine().preparsePolicySet(key, { staticPolicies: set });
  if (parsed.type === 'failure')
    throw new Error(`An org policy set does not parse: ${messages(parsed.errors).join('; ')}`);
  if (prepared.size >= 1000) prepared.clear();
  prepared.set(key, key);
  return key;
}

/** Evaluates a request against the hub's base policy and the org's policies. */
export function decide(policies: readonly AccessPolicy[], request: CedarRequest): CedarDecision {
  const setId = preparedSet(policies);
  const answer: AuthorizationAnswer = engine().statefulIsAuthorized({
    ...request,
    preparsedPolicySetId: setId,
  });
  if (answer.type === 'failure') {
    // A request the engine cannot evaluate is refused: access control fails closed.
    return { allowed: false, determining: [], errors: messages(answer.errors) };
  }
  return {
    allowed: answer.response.decision === 'allow',
    determining: answer.response.diagnostics.reason.map(reportedId),
    errors: answer.response.diagnostics.errors.map((e) => `${reportedId(e.policyId)}: ${e.error.message}`),
  };
}
