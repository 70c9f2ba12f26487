import * as classification from './rules/classification';
import { isLeaf, nameOf, type ShieldRule } from './shield';
import type { RuleSet } from './trees';

interface Problem {
  key: string;
  message: string;
}

function leaves(r: ShieldRule): ShieldRule[] {
  return isLeaf(r) ? [r] : r.getRules().flatMap(leaves);
}

/**
 * Rules must be named (reasons and the audit trail name them), and a name must mean one rule:
 * `contextual` caching keys results by name within an evaluation.
 */
export function checkRuleSet(ruleSet: RuleSet): Problem[] {
  const problems: Problem[] = [];
  const roots: { key: string; rule: ShieldRule }[] = [
    ...Object.entries(classification).map(([key, rule]) => ({ key: `global.${key}`, rule })),
    ...Object.entries(ruleSet.namedPolicies).map(([name, rule]) => ({ key: `namedPolicies[${JSON.stringify(name)}]`, rule })),
    ...ruleSet.domains.flatMap((d) =>
      Object.entries(d.rules).flatMap(([type, entry]) =>
        'resolve' in entry && typeof entry.resolve === 'function'
          ? [{ key: `domains.${d.domain}.${type}`, rule: entry as ShieldRule }]
          : Object.entries(entry as Record<string, ShieldRule>).map(([field, rule]) => ({ key: `domains.${d.domain}.${type}.${field}`, rule })),
      ),
    ),
  ];
  const byName = new Map<string, { key: string; rule: ShieldRule }>();
  for (const { key, rule } of roots) {
    if (!nameOf(rule)) problems.push({ key, message: 'rule has no name (use rule("name") or named("name", …))' });
    for (const leaf of leaves(rule)) {
      const name = nameOf(leaf);
      if (!isLeaf(leaf)) continue;
      if (!name) {
        problems.push({ key, message: 'contains a rule without a name' });
        continue;
      }
      const seen = byName.get(name);
      if (seen && seen.rule !== leaf && !(isLeaf(seen.rule) && seen.rule.equals(leaf))) {
        problems.push({ key, message: `rule name ${JSON.stringify(name)} is also used by a different rule in ${seen.key}` });
      } else if (!seen) byName.set(name, { key, rule: leaf });
    }
  }
  return problems;
}
