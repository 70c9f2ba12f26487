import { isLeaf, nameOf, type ShieldRule } from './shield';

type Run = (r: ShieldRule) => Promise<boolean>;

// graphql-shield does not export its logic classes, and ESM and CJS builds differ: tell them by name.
const kindOf = (r: ShieldRule) => (isLeaf(r) ? 'leaf' : r.constructor.name);

/**
 * The name of the rule that decided `node`'s outcome. Success descends to the granting leaves
 * (`and` joins its non-trivial ones with `&`, `or` takes the first that held); failure stops at
 * the first named rule that failed (`and`: the first failing part; an unnamed `or`: all its
 * alternatives joined with `|`). Leaf results come from the evaluation's shield cache.
 */
export async function explain(node: ShieldRule, run: Run): Promise<string> {
  const held = await run(node);
  const name = nameOf(node);
  if (isLeaf(node) || (!held && name)) return name ?? 'unnamed-rule';
  const parts = node.getRules();
  switch (kindOf(node)) {
    case 'RuleTrue':
      return 'allow';
    case 'RuleFalse':
      return 'deny';
    case 'RuleNot':
      return `not(${await explain(parts[0], run)})`;
    case 'RuleAnd':
    case 'RuleChain': {
      const results = await Promise.all(parts.map(run));
      if (!held) return explain(parts[results.indexOf(false)], run);
      const decisive = parts.filter((p) => kindOf(p) !== 'RuleTrue');
      return decisive.length ? (await Promise.all(decisive.map((p) => explain(p, run)))).join('&') : 'allow';
    }
    case 'RuleOr':
    case 'RuleRace': {
      const results = await Promise.all(parts.map(run));
      if (held) return explain(parts[results.indexOf(true)], run);
      return [...new Set(await Promise.all(parts.map((p) => explain(p, run))))].join('|') || 'deny';
    }
    default:
      return name ?? 'unnamed-rule';
  }
}
