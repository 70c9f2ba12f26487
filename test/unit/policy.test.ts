import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { allow, and, deny, not, or, rule } from 'graphql-shield';
import { afterAll, describe, expect, it } from 'vitest';
import { LEVELS, PERSONAL_DATA_CATEGORIES, type Classification, type Level, type PersonalDataCategory } from '../../shared/classification';
import { MeshgateError } from '../../shared/errors';
import { ANONYMOUS, type Principal } from '../../shared/principal';
import { assertKnownPolicies, createPolicy, loadPolicy, loadPolicyData, MASKERS, named, REDACTED, type DomainRules, type RuleContext } from '../../policies';
import type { Decision, FieldInfo, FieldRequirements } from '../../policies/types';

const policy = loadPolicy();
const data = loadPolicyData();

const NO_REQUIREMENTS: FieldRequirements = { authenticated: false, scopes: [], policies: [] };

function field(coordinate: string, level: Level, category?: PersonalDataCategory, requirements = NO_REQUIREMENTS): FieldInfo {
  const [typeName, fieldName] = coordinate.split('.');
  const classification: Classification = category ? { level, category } : { level };
  return { coordinate, typeName, fieldName, classification, requirements };
}

function principal(roles: string[], extra: Partial<Principal> = {}): Principal {
  return { ...ANONYMOUS, subject: 'user-1', roles, client: { name: null, version: null }, attributes: {}, ...extra };
}

/** A principal declaring `purpose`, which its token grants. */
const withPurpose = (roles: string[], purpose: string | null) =>
  principal(roles, purpose ? { purpose, grantedPurposes: [purpose] } : {});

// The role matrix, written by hand from policies/README.md (not derived from the rules).
// Each level cell lists the decision for: no personal data, CONTACT, IDENTITY, FINANCIAL,
// FREE_TEXT, LOCATION (A = allow, M = mask, D = deny). Purpose `*` = for each purpose and none.
const MATRIX = `
role        types                      purposes                          PUBLIC  INTERNAL  CONFIDENTIAL  RESTRICTED
analyst     Product,Customer           *                                 AMMMMM  AMMMMM    DMMMMM        DDDDDD
analyst     SalesRep                   *                                 DDDDDD  DDDDDD    DDDDDD        DDDDDD
support     Product,Customer           -,hr-administration               AMMMMM  AMMMMM    AMMMMM        DDDDDD
support     Product,Customer           customer-support                  AAMMMM  AAMMMM    AAMMMM        DDDDDD
support     SalesRep                   *                                 DDDDDD  DDDDDD    DDDDDD        DDDDDD
hr          Product,Customer           *                                 ADDDDD  ADDDDD    DDDDDD        DDDDDD
hr          SalesRep                   -,customer-support                ADDDDD  ADDDDD    DDDDDD        DDDDDD
hr          SalesRep                   hr-administration                 AAADDD  AAADDD    DAADDD        DAADDD
auditor     Product,Customer           *                                 ADDDDD  ADDDDD    DDDDDD        DDDDDD
auditor     SalesRep                   *                                 DDDDDD  DDDDDD    DDDDDD        DDDDDD
admin       Product,Customer,SalesRep  *                                 AAAAAA  AAAAAA    AAAAAA        AAAAAA
customer    Product,Review,Query       *                                 ADDDDD  DDDDDD    DDDDDD        DDDDDD
customer    Customer,Order,Shipment    *                                 AAAAAA  AAAAAA    AAAAAA        DDDDDD
customer    SalesRep                   *                                 DDDDDD  DDDDDD    DDDDDD        DDDDDD
(anonymous) Product,Customer           *                                 ADDDDD  DDDDDD    DDDDDD        DDDDDD
(anonymous) SalesRep                   *                                 DDDDDD  DDDDDD    DDDDDD        DDDDDD
intern      Product,Customer,SalesRep  *                                 DDDDDD  DDDDDD    DDDDDD        DDDDDD
`;

const PURPOSES = [null, 'customer-support', 'hr-administration'];
const LETTER: Record<string, Decision> = { A: 'allow', M: 'mask', D: 'deny' };

const cases = MATRIX.trim()
  .split('\n')
  .slice(1)
  .flatMap((line) => {
    const [role, types, purposes, ...cells] = line.trim().split(/\s+/);
    const purposeList = purposes === '*' ? PURPOSES : purposes.split(',').map((p) => (p === '-' ? null : p));
    return types.split(',').flatMap((typeName) =>
      purposeList.flatMap((purpose) =>
        LEVELS.flatMap((level, l) =>
          [undefined, ...PERSONAL_DATA_CATEGORIES].map((category, c) => ({
            role,
            typeName,
            purpose,
            level,
            category,
            expected: LETTER[cells[l][c]],
          })),
        ),
      ),
    );
  });

describe('role matrix (default policy.yaml)', () => {
  it('covers every demo role, level, category and purpose', () => {
    const roles = new Set(cases.map((c) => c.role));
    for (const role of Object.keys(data.roles)) expect(roles).toContain(role);
    expect(cases.length).toBeGreaterThan(1000);
  });

  it('decides each case as the matrix says', async () => {
    const wrong: string[] = [];
    for (const c of cases) {
      const who = c.role === '(anonymous)' ? { ...ANONYMOUS, purpose: c.purpose, grantedPurposes: c.purpose ? [c.purpose] : [] } : withPurpose([c.role], c.purpose);
      const { decision } = await policy.decide(who, field(`${c.typeName}.someField`, c.level, c.category));
      if (decision !== c.expected) wrong.push(`${c.role} ${c.typeName} ${c.purpose ?? '-'} ${c.level} ${c.category ?? 'none'}: ${decision}, expected ${c.expected}`);
    }
    expect(wrong).toEqual([]);
  });

  it('names the deciding rule, and only rule names', async () => {
    const email = field('Customer.email', 'CONFIDENTIAL', 'CONTACT');
    expect(await policy.decide(withPurpose(['support'], 'customer-support'), email)).toEqual({ decision: 'allow', reason: 'hasClearGrant' });
    expect(await policy.decide(withPurpose(['support'], null), email)).toEqual({ decision: 'mask', reason: 'hasMaskedGrant' });
    expect(await policy.decide(principal(['auditor']), email)).toEqual({ decision: 'deny', reason: 'canReadInClear' });
    expect(await policy.decide(principal(['analyst']), field('Product.name', 'PUBLIC'))).toEqual({ decision: 'allow', reason: 'isWithinClearance' });
    expect(await policy.decide(principal(['customer']), email)).toEqual({ decision: 'allow', reason: 'isOwnData' });
    expect(await policy.decide(principal(['nobody']), field('Product.name', 'PUBLIC'))).toEqual({ decision: 'deny', reason: 'hasPolicyRole' });
  });

  it('lets customers start from the root fields of their own data only', async () => {
    const customer = principal(['customer'], { attributes: { customerId: 'C000001' } });
    for (const name of ['customer', 'customers', 'order', 'orders']) {
      expect(await policy.decide(customer, field(`Query.${name}`, 'INTERNAL'))).toEqual({ decision: 'allow', reason: 'isOwnData' });
    }
    for (const name of ['supportTickets', 'shipments', 'salesReps']) {
      expect((await policy.decide(customer, field(`Query.${name}`, 'INTERNAL'))).decision).toBe('deny');
    }
    expect((await policy.decide(customer, field('Review.body', 'CONFIDENTIAL', 'FREE_TEXT'))).decision).toBe('deny');
  });

  it('counts a declared purpose only when the token grants it', async () => {
    const email = field('Customer.email', 'CONFIDENTIAL', 'CONTACT');
    const undeclared = principal(['support'], { purpose: 'customer-support', grantedPurposes: [] });
    expect((await policy.decide(undeclared, email)).decision).toBe('mask');
  });

  it('exposes anonymous handling, and no default classification (unclassified fields are an error)', () => {
    expect(policy.anonymous).toBe('allow');
    expect(policy.defaultClassification).toBeUndefined();
    const opted = createPolicy({ ...loadPolicyData(), defaultClassification: 'INTERNAL' });
    expect(opted.defaultClassification).toBe('INTERNAL');
  });
});

describe('fallback and anonymous callers', () => {
  it('denies principals whose roles the policy does not define, even PUBLIC fields', async () => {
    for (const roles of [[], ['intern'], ['constructor'], ['__proto__']]) {
      expect(await policy.decide(principal(roles), field('Product.name', 'PUBLIC'))).toEqual({ decision: 'deny', reason: 'hasPolicyRole' });
    }
  });

  it('ignores unknown roles next to known ones', async () => {
    expect((await policy.decide(principal(['intern', 'analyst']), field('Product.name', 'INTERNAL'))).decision).toBe('allow');
  });

  it('denies anonymous callers everything when the policy says anonymous: deny', async () => {
    const closed = createPolicy({ ...data, anonymous: 'deny' });
    expect(closed.anonymous).toBe('deny');
    expect(await closed.decide(ANONYMOUS, field('Product.name', 'PUBLIC'))).toEqual({ decision: 'deny', reason: 'isAnonymousAllowed' });
    expect((await closed.decide(principal(['analyst']), field('Product.name', 'PUBLIC'))).decision).toBe('allow');
  });

  it('ignores roles an anonymous principal claims', async () => {
    expect((await policy.decide({ ...ANONYMOUS, roles: ['admin'] }, field('Product.cost', 'INTERNAL'))).decision).toBe('deny');
  });
});

describe('multiple roles', () => {
  it('get the most permissive outcome over the roles', async () => {
    const email = field('Customer.email', 'CONFIDENTIAL', 'CONTACT');
    expect((await policy.decide(principal(['auditor', 'analyst']), email)).decision).toBe('mask');
    expect((await policy.decide(withPurpose(['analyst', 'support'], 'customer-support'), email)).decision).toBe('allow');
    expect((await policy.decide(principal(['analyst', 'customer']), email))).toEqual({ decision: 'allow', reason: 'isOwnData' });
    const revenue = field('Product.revenue', 'CONFIDENTIAL');
    expect((await policy.decide(principal(['analyst', 'support']), revenue)).decision).toBe('allow');
  });

  it('judge each role on its own: a purpose granted for one role opens nothing for another', async () => {
    const phone = field('SalesRep.homePhone', 'RESTRICTED', 'CONTACT');
    expect((await policy.decide(withPurpose(['support', 'hr'], 'hr-administration'), phone)).decision).toBe('allow');
    expect((await policy.decide(withPurpose(['support', 'analyst'], 'hr-administration'), phone)).decision).toBe('deny');
  });

  it('decide the same whatever the order of the roles', async () => {
    const email = field('Customer.email', 'CONFIDENTIAL', 'CONTACT');
    expect(await policy.decide(principal(['support', 'auditor']), email)).toEqual(await policy.decide(principal(['auditor', 'support']), email));
  });
});

describe('domain rules', () => {
  const title = field('SalesRep.title', 'INTERNAL');

  it('sales: SalesRep fields need hr or admin on top of the global rules', async () => {
    expect(await policy.decide(principal(['analyst']), title)).toEqual({ decision: 'deny', reason: 'sales:isHrOrAdmin' });
    expect((await policy.decide(principal(['hr']), title)).decision).toBe('allow');
    expect((await policy.decide(principal(['admin']), title)).decision).toBe('allow');
  });

  it('cannot loosen: a domain rule that allows everything grants nothing the global rules deny', async () => {
    const everything = rule('loose:everything')(() => true);
    const loose: DomainRules = { domain: 'loose', rules: { Product: allow, Customer: everything, SalesRep: { birthDate: allow } } };
    const loosened = createPolicy(data, { domains: [loose] });
    const checks: [Principal, FieldInfo, Decision][] = [
      [ANONYMOUS, field('Product.cost', 'INTERNAL'), 'deny'],
      [principal(['analyst']), field('Product.margin', 'CONFIDENTIAL'), 'deny'],
      [principal(['analyst']), field('Customer.email', 'CONFIDENTIAL', 'CONTACT'), 'mask'],
      [principal(['auditor']), field('Customer.email', 'CONFIDENTIAL', 'CONTACT'), 'deny'],
      [principal(['intern']), field('Product.name', 'PUBLIC'), 'deny'],
      [principal(['hr']), field('SalesRep.birthDate', 'RESTRICTED', 'IDENTITY'), 'deny'],
    ];
    for (const [who, f, expected] of checks) expect((await loosened.decide(who, f)).decision).toBe(expected);
  });

  it('tightens per type or per field, combined by and with every other domain', async () => {
    const noPrices: DomainRules = { domain: 'inventory', rules: { Product: { unitPrice: rule('inventory:never')(() => false) } } };
    const tightened = createPolicy(data, { domains: [noPrices, { domain: 'other', rules: { Product: deny } }] });
    expect(await tightened.decide(principal(['admin']), field('Product.unitPrice', 'PUBLIC'))).toEqual({ decision: 'deny', reason: 'inventory:never' });
    const partial = createPolicy(data, { domains: [noPrices] });
    expect((await partial.decide(principal(['admin']), field('Product.name', 'PUBLIC'))).decision).toBe('allow');
    expect((await partial.decide(principal(['admin']), field('Product.unitPrice', 'PUBLIC'))).decision).toBe('deny');
  });

  it('fails closed when a domain rule throws', async () => {
    const broken: DomainRules = { domain: 'broken', rules: { Product: rule('broken:throws')(() => { throw new Error('boom'); }) } };
    expect(await createPolicy(data, { domains: [broken] }).decide(principal(['admin']), field('Product.name', 'PUBLIC'))).toEqual({ decision: 'deny', reason: 'broken:throws' });
  });

  it('refuses unnamed rules and one name for two rules at load time', () => {
    const unnamed: DomainRules = { domain: 'x', rules: { Product: rule()(() => true) } };
    expect(() => createPolicy(data, { domains: [unnamed] })).toThrow(/domains\.x\.Product: rule has no name/);
    const clash: DomainRules = { domain: 'y', rules: { Product: rule('hasClearGrant')(() => true) } };
    expect(() => createPolicy(data, { domains: [clash] })).toThrow(/"hasClearGrant" is also used by a different rule/);
  });
});

describe('Apollo Router directives', () => {
  const requires = (r: Partial<FieldRequirements>) => field('Product.name', 'PUBLIC', undefined, { ...NO_REQUIREMENTS, ...r });

  it('@authenticated: anonymous callers are denied, anyone with a role passes', async () => {
    const f = requires({ authenticated: true });
    expect(await policy.decide(ANONYMOUS, f)).toEqual({ decision: 'deny', reason: 'isAuthenticated' });
    expect((await policy.decide(principal(['customer']), f)).decision).toBe('allow');
    expect((await policy.decide(ANONYMOUS, requires({}))).decision).toBe('allow');
  });

  it('@requiresScopes: at least one inner list fully held (OR of AND)', async () => {
    const f = requires({ scopes: [['orders:read', 'customers:read'], ['admin']] });
    const withScopes = (scopes: string[]) => policy.decide(principal(['analyst'], { scopes }), f);
    expect(await withScopes([])).toEqual({ decision: 'deny', reason: 'hasScope:orders:read|hasScope:admin' });
    expect((await withScopes(['orders:read'])).decision).toBe('deny');
    expect((await withScopes(['customers:read', 'orders:read'])).decision).toBe('allow');
    expect((await withScopes(['admin'])).decision).toBe('allow');
    expect((await withScopes(['x', 'admin', 'y'])).decision).toBe('allow');
  });

  it('@policy: OR of AND over named rules; an unknown name denies', async () => {
    const f = requires({ policies: [['sales:read-own'], ['audit:read', 'sales:read-all']] });
    expect((await policy.decide(principal(['customer']), f)).decision).toBe('allow');
    expect((await policy.decide(principal(['admin']), f)).decision).toBe('allow');
    expect(await policy.decide(principal(['auditor']), f)).toEqual({ decision: 'deny', reason: 'policy:sales:read-own|policy:sales:read-all' });
    expect(await policy.decide(principal(['analyst']), f)).toEqual({ decision: 'deny', reason: 'policy:sales:read-own|policy:audit:read' });
    expect(await policy.decide(principal(['admin']), requires({ policies: [['no-such-policy']] }))).toEqual({ decision: 'deny', reason: 'unknownPolicy:no-such-policy' });
    expect((await policy.decide(principal(['auditor']), requires({ policies: [['no-such-policy'], ['audit:read']] }))).decision).toBe('allow');
    // audit:read is the auditor's alone: not even an admin reads the trail.
    expect(await policy.decide(principal(['admin']), requires({ policies: [['audit:read']] }))).toEqual({ decision: 'deny', reason: 'policy:audit:read' });
  });

  it('@policy with a purpose: hr:employee-records needs hr-administration (or admin)', async () => {
    const f = requires({ policies: [['hr:employee-records']] });
    expect((await policy.decide(withPurpose(['hr'], 'hr-administration'), f)).decision).toBe('allow');
    expect(await policy.decide(withPurpose(['hr'], null), f)).toEqual({ decision: 'deny', reason: 'policy:hr:employee-records' });
    expect((await policy.decide(principal(['admin']), f)).decision).toBe('allow');
  });

  it('combines with the classification rules by and', async () => {
    const secret = field('Product.margin', 'CONFIDENTIAL', undefined, { authenticated: true, scopes: [['admin']], policies: [['sales:read-all']] });
    expect(await policy.decide(principal(['analyst'], { scopes: ['admin'] }), secret)).toEqual({ decision: 'deny', reason: 'canReadInClear' });
    expect((await policy.decide(principal(['admin'], { scopes: ['admin'] }), secret)).decision).toBe('allow');
    expect(await policy.decide(principal(['admin']), secret)).toEqual({ decision: 'deny', reason: 'hasScope:admin' });
    const maskable = field('Customer.email', 'CONFIDENTIAL', 'CONTACT', { ...NO_REQUIREMENTS, scopes: [['customers:read']] });
    expect((await policy.decide(principal(['analyst'], { scopes: ['customers:read'] }), maskable)).decision).toBe('mask');
    expect((await policy.decide(principal(['analyst']), maskable)).decision).toBe('deny');
  });

  it('reports unknown policy names when the supergraph loads', () => {
    const requirements = new Map<string, FieldRequirements>([
      ['Order.total', { ...NO_REQUIREMENTS, policies: [['sales:read-own'], ['sales:read-everything']] }],
      ['Customer.email', { ...NO_REQUIREMENTS, policies: [['audit:read']] }],
    ]);
    expect(() => assertKnownPolicies(requirements)).toThrow(/Order\.total: @policy names "sales:read-everything"/);
    expect(() => assertKnownPolicies(new Map([['Customer.email', requirements.get('Customer.email')!]]))).not.toThrow();
  });
});

describe('principalKey', () => {
  const base = withPurpose(['support', 'analyst'], 'customer-support');

  it('is the same for users with the same roles, scopes and purpose', () => {
    const other = { ...base, subject: 'user-2', roles: ['analyst', 'support', 'analyst'], client: { name: 'app', version: '1' }, attributes: { customerId: 'C1' } };
    expect(policy.principalKey(other)).toBe(policy.principalKey(base));
    expect(policy.principalKey(base)).toBe(policy.principalKey({ ...base }));
  });

  it('changes with anything a decision depends on', () => {
    const keys = [
      base,
      { ...base, purpose: 'hr-administration', grantedPurposes: ['hr-administration'] },
      { ...base, purpose: null },
      { ...base, roles: ['support'] },
      { ...base, scopes: ['admin'] },
      { ...ANONYMOUS },
    ].map((p) => policy.principalKey(p));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('treats a purpose the token does not grant as none, as decisions do', () => {
    expect(policy.principalKey({ ...base, grantedPurposes: [] })).toBe(policy.principalKey({ ...base, purpose: null }));
  });
});

describe('policy file validation', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'meshgate-policy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const ok = `anonymous: allow\nroles:\n  analyst:\n    clearance: INTERNAL\nmasking: {}\n`;
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const problem = (text: string): MeshgateError => {
    const file = write('policy.yaml', text);
    try {
      loadPolicyData(file);
    } catch (err) {
      return err as MeshgateError;
    }
    throw new Error('expected POLICY_INVALID');
  };

  it('loads a minimal file', () => {
    expect(loadPolicyData(write('ok.yaml', ok)).roles).toEqual({ analyst: { clearance: 'INTERNAL', clear: [], masked: [] } });
  });

  it.each([
    ['an unknown role field', `${ok}`.replace('clearance: INTERNAL', 'clearance: INTERNAL\n    colour: blue'), 'roles.analyst.colour', 'unknown key'],
    ['an unknown level', ok.replace('INTERNAL', 'SECRET'), 'roles.analyst.clearance', 'unknown level "SECRET"'],
    ['an unknown category', ok.replace('clearance: INTERNAL', 'clearance: INTERNAL\n    clear:\n      - { categories: [CONTACT, HEALTH], upTo: INTERNAL }'), 'roles.analyst.clear[0].categories[1]', 'unknown category "HEALTH"'],
    ['a purpose that is not a string', ok.replace('clearance: INTERNAL', 'clearance: INTERNAL\n    masked:\n      - { categories: [CONTACT], upTo: INTERNAL, purposes: [support, 42] }'), 'roles.analyst.masked[0].purposes[1]', 'must be a non-empty string, got 42'],
    ['a grant without upTo', ok.replace('clearance: INTERNAL', 'clearance: INTERNAL\n    clear:\n      - { categories: [CONTACT] }'), 'roles.analyst.clear[0].upTo', 'is required'],
    ['a role without clearance', ok.replace('clearance: INTERNAL', 'clear: []'), 'roles.analyst.clearance', 'is required'],
    ['an unknown top-level key', `${ok}rolez: {}\n`, 'rolez', 'unknown key'],
    ['a bad anonymous setting', ok.replace('anonymous: allow', 'anonymous: yes'), 'anonymous', 'must be allow or deny'],
    ['an unknown masker', `${ok.replace('masking: {}', 'masking:\n  fields:\n    "*.email": scramble')}`, 'masking.fields["*.email"]', 'unknown masker "scramble"'],
    ['an unknown masking category', `${ok.replace('masking: {}', 'masking:\n  categories:\n    HEALTH: redact')}`, 'masking.categories.HEALTH', 'unknown key'],
    ['a bad default classification', `defaultClassification: TOP\n${ok}`, 'defaultClassification', 'unknown level "TOP"'],
    ['ownData without types', ok.replace('clearance: INTERNAL', 'clearance: PUBLIC\n    ownData: { upTo: INTERNAL }'), 'roles.analyst.ownData.types', 'is required (or fields)'],
    ['an ownData field that is no coordinate', ok.replace('clearance: INTERNAL', 'clearance: PUBLIC\n    ownData: { upTo: INTERNAL, fields: [Query.orders, orders] }'), 'roles.analyst.ownData.fields[1]', 'must be a field coordinate like Query.orders, got "orders"'],
    ['a bad role name', ok.replace('analyst:', '"__proto__":'), 'roles.__proto__', 'role names start with a letter'],
    ['a duplicate key', ok.replace('clearance: INTERNAL', 'clearance: INTERNAL\n    clearance: PUBLIC'), '(yaml)', 'Map keys must be unique'],
  ])('names the file and the key for %s', (_what, text, key, message) => {
    const err = problem(text);
    expect(err).toBeInstanceOf(MeshgateError);
    expect(err.code).toBe('POLICY_INVALID');
    expect(err.message).toContain(`policy.yaml: ${key}: ${message}`);
    expect(err.details.file).toMatch(/policy\.yaml$/);
  });

  it('reports every problem at once', () => {
    const err = problem('anonymous: maybe\nroles:\n  a: { clearance: NOPE }\n  b: { clearance: PUBLIC, masked: [{ categories: [X], upTo: PUBLIC }] }\n');
    const lines = err.message.split('\n');
    expect(lines).toHaveLength(4);
    for (const key of ['masking: is required', 'anonymous: must be allow or deny', 'roles.a.clearance: unknown level', 'roles.b.masked[0].categories[0]: unknown category']) {
      expect(lines.some((line) => line.includes(`policy.yaml: ${key}`))).toBe(true);
    }
  });

  it('names a missing file', () => {
    expect(() => loadPolicyData(path.join(dir, 'missing.yaml'))).toThrow(/missing\.yaml: \(file\): cannot be read/);
  });
});

describe('maskers', () => {
  it('email keeps the first letter and the domain', () => {
    expect(MASKERS.email('maria.anders@alfreds.example')).toBe('m***@alfreds.example');
    expect(MASKERS.email('not an email')).toBe(REDACTED);
  });

  it('phone keeps the separators and the last two digits', () => {
    expect(MASKERS.phone('030-0074321')).toBe('***-*****21');
    expect(MASKERS.phone('+49 (30) 123 45 42')).toBe('+** (**) *** ** 42');
    expect(MASKERS.phone('12')).toBe('**');
    expect(MASKERS.phone('unknown')).toBe(REDACTED);
  });

  it('initials reduce names to their initials', () => {
    expect(MASKERS.initials('Maria Anders')).toBe('M. A.');
    expect(MASKERS.initials('nancy')).toBe('N.');
    expect(MASKERS.initials('  Émile  Zola ')).toBe('É. Z.');
    expect(MASKERS.initials('')).toBe(REDACTED);
  });

  it('date keeps the year only', () => {
    expect(MASKERS.date('1968-12-08')).toBe('1968-**-**');
    expect(MASKERS.date('2024-03-01T10:00:00Z')).toBe('2024-**-**');
    expect(MASKERS.date('08/12/1968')).toBe('****-**-**');
  });

  it('redact replaces any text', () => {
    expect(MASKERS.redact()).toBe('[redacted]');
  });
});

describe('policy.mask', () => {
  it('picks the masker by coordinate pattern, then by category, else redacts', () => {
    expect(policy.mask(field('Customer.email', 'CONFIDENTIAL', 'CONTACT'), 'ann@shop.example')).toBe('a***@shop.example');
    expect(policy.mask(field('SalesRep.homePhone', 'RESTRICTED', 'CONTACT'), '(206) 555-9857')).toBe('(***) ***-**57');
    expect(policy.mask(field('Customer.contactName', 'CONFIDENTIAL', 'IDENTITY'), 'Maria Anders')).toBe('M. A.');
    expect(policy.mask(field('SalesRep.birthDate', 'CONFIDENTIAL', 'IDENTITY'), '1948-12-08')).toBe('1948-**-**');
    expect(policy.mask(field('Review.body', 'CONFIDENTIAL', 'FREE_TEXT'), 'Great tea, late parcel')).toBe(REDACTED);
    expect(policy.mask(field('Customer.contactTitle', 'CONFIDENTIAL', 'IDENTITY'), 'Owner')).toBe(REDACTED);
  });

  it('turns numbers and booleans into null, leaves null alone', () => {
    expect(policy.mask(field('Customer.creditLimit', 'CONFIDENTIAL', 'FINANCIAL'), 5000)).toBeNull();
    expect(policy.mask(field('Customer.vip', 'CONFIDENTIAL', 'FINANCIAL'), true)).toBeNull();
    expect(policy.mask(field('Customer.email', 'CONFIDENTIAL', 'CONTACT'), null)).toBeNull();
  });

  it('masks every leaf of objects and lists, matching nested keys by path', () => {
    const address = { __typename: 'PostalAddress', street: 'Obere Str. 57', city: 'Berlin', postalCode: '12209', country: 'Germany' };
    expect(policy.mask(field('Customer.address', 'CONFIDENTIAL', 'LOCATION'), address)).toEqual({
      __typename: 'PostalAddress',
      street: REDACTED,
      city: REDACTED,
      postalCode: REDACTED,
      country: REDACTED,
    });
    const contacts = [{ email: 'a@b.example', phone: '555 0142', visits: 3 }];
    expect(policy.mask(field('Customer.contacts', 'CONFIDENTIAL', 'CONTACT'), contacts)).toEqual([{ email: 'a***@b.example', phone: '*** **42', visits: null }]);
  });

  it('follows the masking section of the file', () => {
    const custom = createPolicy({ ...data, masking: { fields: [{ pattern: 'Customer.*', masker: 'initials' }], categories: { CONTACT: 'phone' } } });
    expect(custom.mask(field('Customer.email', 'CONFIDENTIAL', 'CONTACT'), 'ann smith')).toBe('A. S.');
    expect(custom.mask(field('Supplier.fax', 'CONFIDENTIAL', 'CONTACT'), '555-0199')).toBe('***-**99');
    expect(custom.mask(field('Supplier.notes', 'CONFIDENTIAL', 'FREE_TEXT'), 'x')).toBe(REDACTED);
  });
});

describe('rules as graphql-shield values', () => {
  const isAdmin = rule('t:isAdmin')((_p, _a, ctx: RuleContext) => ctx.roleName === 'admin');
  const isSupport = rule('t:isSupport')((_p, _a, ctx: RuleContext) => ctx.roleName === 'support');

  it('evaluates named shield combinators (and, or, not) in domain rules', async () => {
    const notSupport = named('t:notSupport', and(or(isAdmin, allow), not(isSupport)));
    const tightened = createPolicy(data, { domains: [{ domain: 't', rules: { Product: notSupport } }] });
    const name = field('Product.name', 'PUBLIC');
    expect(await tightened.decide(principal(['support']), name)).toEqual({ decision: 'deny', reason: 't:notSupport' });
    expect(await tightened.decide(principal(['analyst']), name)).toEqual({ decision: 'allow', reason: 'isWithinClearance' });
  });

  it('refuses an unnamed composite rule', () => {
    const composite: DomainRules = { domain: 't', rules: { Product: and(isAdmin, allow) } };
    expect(() => createPolicy(data, { domains: [composite] })).toThrow(/domains\.t\.Product: rule has no name/);
  });

  it('fails closed on a level outside the known levels', async () => {
    const odd = { ...field('Product.name', 'PUBLIC'), classification: { level: 'TOP_SECRET' as Level } };
    expect((await policy.decide(principal(['admin']), odd)).decision).toBe('deny');
  });
});
