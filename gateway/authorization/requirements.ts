import { Kind, parse, print, type ConstDirectiveNode, type ConstValueNode, type DocumentNode } from 'graphql';
import type { FieldRequirements } from '../../policies/types';

// Apollo Router's authorization directives, as composition writes them into the supergraph.
const SECURITY_SPECS = /^https:\/\/specs\.apollo\.dev\/(authenticated|requiresScopes|policy)\/v[\d.]+$/;

const NONE: FieldRequirements = Object.freeze({ authenticated: false, scopes: [], policies: [] }) as FieldRequirements;

function listOfLists(value: ConstValueNode | undefined): string[][] {
  if (value?.kind !== Kind.LIST) return [];
  return value.values.map((inner) => (inner.kind === Kind.LIST ? inner.values.flatMap((v) => (v.kind === Kind.STRING ? [v.value] : [])) : []));
}

function requirementsOf(directives: readonly ConstDirectiveNode[] | undefined): FieldRequirements | undefined {
  let result: FieldRequirements | undefined;
  for (const d of directives ?? []) {
    const arg = (name: string) => d.arguments?.find((a) => a.name.value === name)?.value;
    if (d.name.value === 'authenticated') result = { ...(result ?? NONE), authenticated: true };
    else if (d.name.value === 'requiresScopes') result = { ...(result ?? NONE), scopes: [...(result?.scopes ?? []), ...listOfLists(arg('scopes'))] };
    else if (d.name.value === 'policy') result = { ...(result ?? NONE), policies: [...(result?.policies ?? []), ...listOfLists(arg('policies'))] };
  }
  return result;
}

function merge(a: FieldRequirements | undefined, b: FieldRequirements | undefined): FieldRequirements | undefined {
  if (!a) return b;
  if (!b) return a;
  // Both must hold: a type's requirement and its field's are an AND, so the OR-lists multiply out.
  const product = (x: string[][], y: string[][]) => (x.length === 0 ? y : y.length === 0 ? x : x.flatMap((p) => y.map((q) => [...p, ...q])));
  return { authenticated: a.authenticated || b.authenticated, scopes: product(a.scopes, b.scopes), policies: product(a.policies, b.policies) };
}

/**
 * `@authenticated`, `@requiresScopes` and `@policy` of every field, keyed `Type.field`, with
 * Router semantics: a directive on a type applies to each of its fields and to every field that
 * returns the type.
 */
export function readRequirements(supergraph: string | DocumentNode): Map<string, FieldRequirements> {
  const doc = typeof supergraph === 'string' ? parse(supergraph) : supergraph;
  const typeLevel = new Map<string, FieldRequirements>();
  for (const def of doc.definitions) {
    if ('name' in def && def.name && 'directives' in def) {
      const req = requirementsOf(def.directives as readonly ConstDirectiveNode[]);
      if (req) typeLevel.set(def.name.value, merge(typeLevel.get(def.name.value), req)!);
    }
  }
  const result = new Map<string, FieldRequirements>();
  for (const def of doc.definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION && def.kind !== Kind.INTERFACE_TYPE_DEFINITION) continue;
    for (const field of def.fields ?? []) {
      let named = field.type;
      while (named.kind !== Kind.NAMED_TYPE) named = named.type;
      const req = merge(merge(typeLevel.get(def.name.value), typeLevel.get(named.name.value)), requirementsOf(field.directives));
      if (req) result.set(`${def.name.value}.${field.name.value}`, req);
    }
  }
  return result;
}

export function noRequirements(): FieldRequirements {
  return NONE;
}

/**
 * @apollo/gateway refuses supergraphs whose security features it does not implement
 * ("feature … is for: SECURITY but is unsupported"). Meshgate enforces them itself, so the
 * gateway gets the same supergraph with those links no longer marked `for: SECURITY`.
 */
export function acceptSecurityFeatures(supergraphSdl: string): string {
  const doc = parse(supergraphSdl);
  let changed = false;
  const definitions = doc.definitions.map((def) => {
    if (def.kind !== Kind.SCHEMA_DEFINITION) return def;
    const directives = def.directives?.map((d) => {
      const url = d.arguments?.find((a) => a.name.value === 'url')?.value;
      if (d.name.value !== 'link' || url?.kind !== Kind.STRING || !SECURITY_SPECS.test(url.value)) return d;
      changed = true;
      return { ...d, arguments: d.arguments?.filter((a) => a.name.value !== 'for') };
    });
    return { ...def, directives };
  });
  return changed ? print({ ...doc, definitions }) : supergraphSdl;
}
