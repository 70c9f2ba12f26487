import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { isCategory, isLevel, LEVELS, PERSONAL_DATA_CATEGORIES, type Level, type PersonalDataCategory } from '../shared/classification';
import { MeshgateError } from '../shared/errors';
import type { Grant, MaskingData, OwnData, PolicyData, RoleData } from './data';
import { isMaskerName, MASKERS, type MaskerName } from './masking/maskers';

/** The policy file shipped with Meshgate. */
export const DEFAULT_POLICY_FILE = path.join(__dirname, 'policy.yaml');

interface Problem {
  key: string;
  message: string;
}

type Json = Record<string, unknown>;

const show = (value: unknown) => (value === undefined ? 'nothing' : JSON.stringify(value));
const child = (parent: string, key: string | number) =>
  typeof key === 'number' ? `${parent}[${key}]` : /^[A-Za-z_][\w-]*$/.test(key) ? (parent ? `${parent}.${key}` : key) : `${parent}[${JSON.stringify(key)}]`;

/** Collects every problem of the file, so one run names them all. */
class Checker {
  readonly problems: Problem[] = [];

  fail(key: string, message: string): undefined {
    this.problems.push({ key, message });
    return undefined;
  }

  object(value: unknown, key: string, known: readonly string[], required: readonly string[] = []): Json | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return this.fail(key || '(top level)', `must be a mapping, got ${show(value)}`);
    const object = value as Json;
    for (const name of Object.keys(object)) {
      if (!known.includes(name)) this.fail(child(key, name), `unknown key (expected one of: ${known.join(', ')})`);
    }
    for (const name of required) if (object[name] === undefined) this.fail(child(key, name), 'is required');
    return object;
  }

  level(value: unknown, key: string): Level | undefined {
    return isLevel(value) ? value : this.fail(key, `unknown level ${show(value)} (expected one of: ${LEVELS.join(', ')})`);
  }

  list(value: unknown, key: string): unknown[] | undefined {
    if (!Array.isArray(value) || value.length === 0) return this.fail(key, `must be a non-empty list, got ${show(value)}`);
    return value;
  }

  /** A non-empty list whose items all pass `ok`; each bad item is reported at its index. */
  items<T>(value: unknown, key: string, ok: (item: unknown) => item is T, problem: (item: unknown) => string): T[] | undefined {
    const list = this.list(value, key);
    if (!list) return undefined;
    list.forEach((item, i) => ok(item) || this.fail(child(key, i), problem(item)));
    return list.every(ok) ? list : undefined;
  }

  strings(value: unknown, key: string): string[] | undefined {
    const isName = (item: unknown): item is string => typeof item === 'string' && item.trim() !== '';
    return this.items(value, key, isName, (item) => `must be a non-empty string, got ${show(item)}`);
  }

  categories(value: unknown, key: string): PersonalDataCategory[] | undefined {
    return this.items(value, key, isCategory, (item) => `unknown category ${show(item)} (expected one of: ${PERSONAL_DATA_CATEGORIES.join(', ')})`);
  }

  masker(value: unknown, key: string): MaskerName | undefined {
    return isMaskerName(value) ? value : this.fail(key, `unknown masker ${show(value)} (expected one of: ${Object.keys(MASKERS).join(', ')})`);
  }
}

function grant(c: Checker, value: unknown, key: string): Grant | undefined {
  const g = c.object(value, key, ['categories', 'upTo', 'types', 'purposes'], ['categories', 'upTo']);
  if (!g) return undefined;
  const categories = g.categories === undefined ? undefined : c.categories(g.categories, child(key, 'categories'));
  const upTo = g.upTo === undefined ? undefined : c.level(g.upTo, child(key, 'upTo'));
  const types = g.types === undefined ? undefined : c.strings(g.types, child(key, 'types'));
  const purposes = g.purposes === undefined ? undefined : c.strings(g.purposes, child(key, 'purposes'));
  if (!categories || !upTo) return undefined;
  return { categories, upTo, ...(types && { types }), ...(purposes && { purposes }) };
}

function grants(c: Checker, value: unknown, key: string): Grant[] {
  if (value === undefined) return [];
  const list = c.list(value, key) ?? [];
  return list.flatMap((item, i) => grant(c, item, child(key, i)) ?? []);
}

function ownData(c: Checker, value: unknown, key: string): OwnData | undefined {
  const o = c.object(value, key, ['types', 'fields', 'upTo'], ['upTo']);
  if (!o) return undefined;
  if (o.types === undefined && o.fields === undefined) c.fail(child(key, 'types'), 'is required (or fields)');
  const types = o.types === undefined ? [] : c.strings(o.types, child(key, 'types'));
  const isCoordinate = (item: unknown): item is string => typeof item === 'string' && /^[A-Za-z_]\w*\.[A-Za-z_]\w*$/.test(item);
  const fields = o.fields === undefined ? [] : c.items(o.fields, child(key, 'fields'), isCoordinate, (item) => `must be a field coordinate like Query.orders, got ${show(item)}`);
  const upTo = o.upTo === undefined ? undefined : c.level(o.upTo, child(key, 'upTo'));
  return types && fields && upTo && (types.length || fields.length) ? { types, fields, upTo } : undefined;
}

function role(c: Checker, value: unknown, key: string): RoleData | undefined {
  const r = c.object(value, key, ['clearance', 'clear', 'masked', 'ownData'], ['clearance']);
  if (!r) return undefined;
  const clearance = r.clearance === undefined ? undefined : c.level(r.clearance, child(key, 'clearance'));
  const result = { clear: grants(c, r.clear, child(key, 'clear')), masked: grants(c, r.masked, child(key, 'masked')) };
  const own = r.ownData === undefined ? undefined : ownData(c, r.ownData, child(key, 'ownData'));
  return clearance ? { clearance, ...result, ...(own && { ownData: own }) } : undefined;
}

function masking(c: Checker, value: unknown, key: string): MaskingData {
  const m = (value === undefined ? {} : c.object(value, key, ['fields', 'categories'])) ?? {};
  const fields = m.fields === undefined ? {} : (c.object(m.fields, child(key, 'fields'), Object.keys(m.fields ?? {})) ?? {});
  const categories = m.categories === undefined ? {} : (c.object(m.categories, child(key, 'categories'), PERSONAL_DATA_CATEGORIES) ?? {});
  return {
    fields: Object.entries(fields).flatMap(([pattern, masker]) => {
      const name = c.masker(masker, child(child(key, 'fields'), pattern));
      return name ? [{ pattern, masker: name }] : [];
    }),
    categories: Object.fromEntries(
      Object.entries(categories).flatMap(([category, masker]) => {
        const name = c.masker(masker, child(child(key, 'categories'), category));
        return name ? [[category, name]] : [];
      }),
    ),
  };
}

/** Checks the parsed YAML against the policy format; every problem names its exact key. */
export function validatePolicyData(value: unknown, file: string): PolicyData {
  const c = new Checker();
  const top = c.object(value, '', ['anonymous', 'defaultClassification', 'roles', 'masking'], ['anonymous', 'roles', 'masking']) ?? {};
  const anonymous = top.anonymous === undefined || top.anonymous === 'allow' || top.anonymous === 'deny' ? top.anonymous : c.fail('anonymous', `must be allow or deny, got ${show(top.anonymous)}`);
  const defaultClassification = top.defaultClassification === undefined ? undefined : c.level(top.defaultClassification, 'defaultClassification');
  const roleMap = top.roles === undefined ? {} : (c.object(top.roles, 'roles', Object.keys(top.roles ?? {})) ?? {});
  if (top.roles !== undefined && Object.keys(roleMap).length === 0) c.fail('roles', 'must define at least one role');
  const roles: Record<string, RoleData> = {};
  for (const [name, r] of Object.entries(roleMap)) {
    if (!/^[A-Za-z][\w:.-]*$/.test(name)) c.fail(child('roles', name), 'role names start with a letter, then letters, digits, _ : . -');
    const parsed = role(c, r, child('roles', name));
    if (parsed) Object.defineProperty(roles, name, { value: parsed, enumerable: true });
  }
  const mask = masking(c, top.masking, 'masking');
  if (c.problems.length) throw policyInvalid(file, c.problems);
  return {
    file,
    anonymous: anonymous as 'allow' | 'deny',
    ...(defaultClassification && { defaultClassification }),
    roles,
    masking: mask,
  };
}

export function policyInvalid(file: string, problems: Problem[]): MeshgateError {
  const message = problems.map((p) => `${file}: ${p.key}: ${p.message}`).join('\n');
  return new MeshgateError('POLICY_INVALID', message, { file, problems });
}

/** Reads, parses and validates a policy file; throws POLICY_INVALID naming the file and each bad key. */
export function loadPolicyData(file: string = DEFAULT_POLICY_FILE): PolicyData {
  const relative = path.relative(process.cwd(), path.resolve(file));
  const shown = relative && !relative.startsWith('..') ? relative : path.resolve(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw policyInvalid(shown, [{ key: '(file)', message: `cannot be read: ${(err as Error).message}` }]);
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length) {
    throw policyInvalid(shown, doc.errors.map((e) => ({ key: '(yaml)', message: e.message.split('\n')[0] })));
  }
  return validatePolicyData(doc.toJS(), shown);
}
