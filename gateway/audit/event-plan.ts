import {
  getNamedType,
  getOperationAST,
  isAbstractType,
  isObjectType,
  Kind,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
} from 'graphql';
import type { Decision } from '../../policies/types';
import type { Classification, Level } from '../../shared/classification';
import { hashQuery, type AuthorizationPlan, type FieldCatalog } from '../authorization/plan';
import { walkOperation, type SelectedField } from '../authorization/walk';
import { literalKey } from '../../shared/literal-key';
import { entityKeyString } from './event-keys';
import type { AuditFieldUse } from './types';

/**
 * Precomputed, per authorization plan, everything the audit step needs to build events cheaply:
 * the field uses (coordinate, classification, decision), the levels the executed operation reads
 * (for fail-closed), and how to count values and read entity keys in a response.
 */

/** Classification recorded for a field the supergraph does not classify (authorize denied it). */
export const UNCLASSIFIED: Classification = Object.freeze({ level: 'RESTRICTED' }) as Classification;

/** Prefix of every response key the audit step adds to the document; all are removed before sending. */
export const HIDDEN_PREFIX = '__meshgate_';
const TYPENAME_KEY = `${HIDDEN_PREFIX}typename`;
const keyAlias = (field: string) => `${HIDDEN_PREFIX}key_${field}`;

const DECISION: Record<Decision, AuditFieldUse['decision']> = { allow: 'allowed', mask: 'masked', deny: 'denied' };
const RANK: Record<Decision, number> = { allow: 0, mask: 1, deny: 2 };

export interface StaticUse {
  coordinate: string;
  classification: Classification;
  decision: AuditFieldUse['decision'];
  personal: boolean;
}

/** Field uses without response work: enough for operations refused before execution. */
export interface StaticPlan {
  uses: StaticUse[];
}

/** One key field: its name in `@key`, and the response key its value is read from. */
interface KeyField {
  name: string;
  responseKey: string;
}

interface EntityReader {
  /** Depth (path length) of the entity object in the response. */
  depth: number;
  /** Key fields by concrete type; '*' when the type is known statically. */
  byType: Map<string, KeyField[]>;
}

interface Position {
  /** Response keys from the root to the field. */
  path: string[];
  /** Concrete types the parent object must have (selections narrowed by a type condition). */
  types?: Set<string>;
  entity?: EntityReader;
}

export interface ResponsePlan {
  /** The document to execute (with hidden key and typename selections) and its query hash. */
  document: DocumentNode;
  operation: OperationDefinitionNode | undefined;
  queryHash: string;
  /** Levels of the data the executed operation reads. */
  levels: Level[];
  /** Positions per use (same order as StaticPlan.uses); empty for fields that are not executed. */
  positions: Position[][];
  /** Where hidden keys were added: the objects at these paths lose every `__meshgate_` key. */
  strip: string[][];
  /** False when the walk did not line up with the plan's outcomes: values are not counted. */
  aligned: boolean;
}

export function staticPlan(plan: AuthorizationPlan, catalog: FieldCatalog): StaticPlan {
  const byCoordinate = new Map<string, { decision: Decision; classification: Classification }>();
  for (const outcome of plan.outcomes) {
    const seen = byCoordinate.get(outcome.coordinate);
    if (seen) {
      if (RANK[outcome.decision] > RANK[seen.decision]) seen.decision = outcome.decision;
      continue;
    }
    byCoordinate.set(outcome.coordinate, { decision: outcome.decision, classification: catalog(outcome.coordinate)?.classification ?? UNCLASSIFIED });
  }
  return {
    uses: [...byCoordinate].map(([coordinate, u]) => ({
      coordinate,
      classification: u.classification,
      decision: DECISION[u.decision],
      personal: u.classification.category !== undefined,
    })),
  };
}

function fragmentsOf(document: DocumentNode): Record<string, FragmentDefinitionNode> {
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments[def.name.value] = def;
  return fragments;
}

function returnType(schema: GraphQLSchema, field: SelectedField): GraphQLCompositeType | undefined {
  const coordinate = field.coordinates[0];
  const dot = coordinate.indexOf('.');
  const owner = schema.getType(coordinate.slice(0, dot));
  const def = owner && 'getFields' in owner ? (owner as { getFields(): Record<string, { type: any }> }).getFields()[coordinate.slice(dot + 1)] : undefined;
  const named = def && getNamedType(def.type);
  return named && 'name' in named && (isObjectType(named) || isAbstractType(named)) ? named : undefined;
}

function concreteTypes(schema: GraphQLSchema, type: GraphQLCompositeType): string[] {
  return isAbstractType(type) ? schema.getPossibleTypes(type).map((t) => t.name) : [type.name];
}

/**
 * Plans the response work for one authorization plan: walks the document about to execute
 * (`executed`), lines its fields up with the plan's outcomes, and adds hidden selections — the
 * key fields of the nearest entity above each personal-data field, and `__typename` where a
 * selection is narrowed by a type condition — in a new document with a new query hash.
 */
export function responsePlan(args: {
  plan: AuthorizationPlan;
  uses: StaticUse[];
  /** True when denied fields were removed from the executed document (enforce mode with denials). */
  pruned: boolean;
  executed: DocumentNode;
  queryHash: string;
  operationName: string | null;
  schema: GraphQLSchema;
  variables: Record<string, unknown>;
  entityKeys: Map<string, string[]>;
}): ResponsePlan {
  const { plan, uses, schema, executed } = args;
  const useIndex = new Map(uses.map((u, i) => [u.coordinate, i]));
  const positions: Position[][] = uses.map(() => []);
  const levels = new Set<Level>();
  const outcomes = args.pruned ? plan.outcomes.filter((o) => o.decision !== 'deny') : plan.outcomes;
  for (const o of outcomes) levels.add(uses[useIndex.get(o.coordinate)!].classification.level);

  const operation = getOperationAST(executed, args.operationName) ?? undefined;
  const fields = operation ? walkOperation(schema, operation, fragmentsOf(executed), args.variables).fields : [];
  const aligned = fields.length === outcomes.length && fields.every((f, i) => f.path.join('\u0000') === outcomes[i].path.join('\u0000'));
  if (!aligned) return { document: executed, operation, queryHash: args.queryHash, levels: [...levels], positions, strip: [], aligned };

  // Hidden selections to add, per field node (by identity), keyed by response key.
  const additions = new Map<FieldNode, Map<string, SelectionNode>>();
  const addTo = (node: FieldNode, key: string, selection: SelectionNode) => {
    let extra = additions.get(node);
    if (!extra) additions.set(node, (extra = new Map()));
    if (!extra.has(key)) extra.set(key, selection);
  };
  const field = (name: string, alias: string): FieldNode => ({ kind: Kind.FIELD, alias: { kind: Kind.NAME, value: alias }, name: { kind: Kind.NAME, value: name } });
  const readers = new Map<SelectedField, EntityReader | null>();

  const entityReader = (start: SelectedField | undefined): EntityReader | undefined => {
    for (let p = start; p; p = p.parent) {
      const known = readers.get(p);
      if (known !== undefined) return known ?? undefined;
      const type = returnType(schema, p);
      const entities = type ? concreteTypes(schema, type).filter((t) => args.entityKeys.has(t)) : [];
      if (!type || entities.length === 0 || !p.node.selectionSet) {
        readers.set(p, null);
        continue;
      }
      const byType = new Map<string, KeyField[]>();
      if (isObjectType(type)) {
        const direct = new Set(
          p.node.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD && !s.alias && !s.directives?.length ? [s.name.value] : [])),
        );
        byType.set('*', args.entityKeys.get(type.name)!.map((k) => {
          if (direct.has(k)) return { name: k, responseKey: k };
          addTo(p.node, keyAlias(k), field(k, keyAlias(k)));
          return { name: k, responseKey: keyAlias(k) };
        }));
      } else {
        addTo(p.node, TYPENAME_KEY, field('__typename', TYPENAME_KEY));
        for (const t of entities) {
          const keys = args.entityKeys.get(t)!;
          addTo(p.node, `... on ${t}`, {
            kind: Kind.INLINE_FRAGMENT,
            typeCondition: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: t } },
            selectionSet: { kind: Kind.SELECTION_SET, selections: keys.map((k) => field(k, keyAlias(k))) },
          });
          byType.set(t, keys.map((k) => ({ name: k, responseKey: keyAlias(k) })));
        }
      }
      const reader = { depth: p.path.length, byType };
      readers.set(p, reader);
      return reader;
    }
    return undefined;
  };

  const seen = new Set<string>();
  fields.forEach((f, i) => {
    const u = useIndex.get(outcomes[i].coordinate)!;
    const use = uses[u];
    const position: Position = { path: f.path };
    // Narrowed by a type condition: count only objects of the narrowed type(s).
    const owner = f.coordinates[0].slice(0, f.coordinates[0].indexOf('.'));
    const parentType = f.parent ? returnType(schema, f.parent) : undefined;
    if (f.parent && parentType && parentType.name !== owner) {
      const ownerType = schema.getType(owner) as GraphQLCompositeType | undefined;
      if (ownerType) {
        position.types = new Set(concreteTypes(schema, ownerType));
        addTo(f.parent.node, TYPENAME_KEY, field('__typename', TYPENAME_KEY));
      }
    }
    const id = `${u}|${f.path.join('\u0000')}|${position.types ? [...position.types].join(',') : ''}`;
    if (seen.has(id)) return; // the same field merged from several selections: one position
    seen.add(id);
    if (use.personal) position.entity = entityReader(f.parent);
    positions[u].push(position);
  });

  if (additions.size === 0) return { document: executed, operation, queryHash: args.queryHash, levels: [...levels], positions, strip: [], aligned };
  const strip = new Map<string, string[]>();
  for (const f of fields) if (additions.has(f.node)) strip.set(f.path.join('\u0000'), f.path);
  // Replace, never mutate: the executed document is cached by Apollo (and by authorize).
  const document = visit(executed, {
    Field(node) {
      const extra = additions.get(node);
      if (!extra || !node.selectionSet) return undefined;
      return { ...node, selectionSet: { ...node.selectionSet, selections: [...node.selectionSet.selections, ...extra.values()] } };
    },
  });
  return {
    document,
    operation: getOperationAST(document, args.operationName) ?? undefined,
    queryHash: hashQuery(document),
    levels: [...levels],
    positions,
    strip: [...strip.values()],
    aligned,
  };
}

type Json = null | string | number | boolean | Json[] | { [key: string]: Json };

function countValues(value: Json | undefined): number {
  if (value === null || value === undefined) return 0;
  if (!Array.isArray(value)) return 1;
  let n = 0;
  for (const item of value) n += countValues(item);
  return n;
}

function keyOf(obj: Record<string, Json>, reader: EntityReader): string | undefined {
  const keys = reader.byType.get('*') ?? reader.byType.get(String(obj[TYPENAME_KEY]));
  if (!keys) return undefined;
  const fields = keys.map((k) => ({ name: k.name, value: obj[k.responseKey] }));
  if (fields.some((f) => f.value === null || f.value === undefined)) return undefined;
  return entityKeyString(fields);
}

/** A field counted at a tree node: the node is its parent object's path, `field` its response key. */
interface MeasureLeaf {
  use: number;
  field: string;
  types?: Set<string>;
  entity?: EntityReader;
}

/** One response path shared by the positions below it. */
interface MeasureNode {
  children: { key: string; node: MeasureNode }[];
  leaves: MeasureLeaf[];
}

function measureTree(positions: Position[][]): MeasureNode {
  const root: MeasureNode = { children: [], leaves: [] };
  positions.forEach((list, use) => {
    for (const { path, types, entity } of list) {
      let node = root;
      for (const key of path.slice(0, -1)) {
        let child = node.children.find((c) => c.key === key)?.node;
        if (!child) node.children.push({ key, node: (child = { children: [], leaves: [] }) });
        node = child;
      }
      node.leaves.push({ use, field: path[path.length - 1], types, entity });
    }
  });
  return root;
}

/**
 * Counts the values of every use in the (final) response data, and collects entity keys for the
 * uses given a set in `entityKeys` (by use). One walk of the response for all uses: walking it
 * once per field was most of the audit step's time on large responses.
 */
export function measureAll(data: Record<string, Json> | null | undefined, plan: ResponsePlan, entityKeys: (Set<string> | undefined)[]): number[] {
  const totals: number[] = plan.positions.map(() => 0);
  if (!data) return totals;
  let measure = measures.get(plan);
  if (!measure) measures.set(plan, (measure = compileMeasure(measureTree(plan.positions))));
  measure(data, totals, entityKeys, { ancestors: [], lastEntity: undefined, lastReader: undefined, lastKey: undefined });
  return totals;
}

/** One walk's state: the objects along the path, by depth (an entity key is read from one of them), and the last key read. */
interface WalkState {
  ancestors: Record<string, Json>[];
  lastEntity: Record<string, Json> | undefined;
  lastReader: EntityReader | undefined;
  lastKey: string | undefined;
}

type Measure = (data: Record<string, Json>, totals: number[], entityKeys: (Set<string> | undefined)[], state: WalkState) => void;

/** Each plan's walk, compiled on its first response. */
const measures = new WeakMap<ResponsePlan, Measure>();

function noteEntityKey(state: WalkState, keys: Set<string> | undefined, reader: EntityReader): void {
  if (!keys) return;
  // Sibling personal fields of one entity (name, email, …) share its key: read it once.
  const entity = state.ancestors[reader.depth];
  if (entity !== state.lastEntity || reader !== state.lastReader) {
    state.lastEntity = entity;
    state.lastReader = reader;
    state.lastKey = keyOf(entity, reader);
  }
  if (state.lastKey !== undefined) keys.add(state.lastKey);
}

/**
 * The measure tree as one function per node, reading response keys as literal property names:
 * a loop reading `value[key]` by variable key, over objects of every shape in the response, was
 * megamorphic (as in result shaping, gateway/result-shaping.ts).
 */
function compileMeasure(root: MeasureNode): Measure {
  const leaves: MeasureLeaf[] = [];
  const functions: string[] = [];
  const compileNode = (node: MeasureNode, depth: number): string => {
    // Its place is taken before its children compile theirs: the root is node0.
    const index = functions.push('') - 1;
    const name = `node${index}`;
    const lines = [
      `function ${name}(value, totals, entityKeys, state) {`,
      `if (value === null || typeof value !== 'object') return;`,
      `if (Array.isArray(value)) { for (let i = 0; i < value.length; i++) ${name}(value[i], totals, entityKeys, state); return; }`,
      `state.ancestors[${depth}] = value;`,
    ];
    for (const leaf of node.leaves) {
      const at = leaves.push(leaf) - 1;
      const guard = leaf.types ? `if (leaves[${at}].types.has(String(value[${literalKey(TYPENAME_KEY)}]))) ` : '';
      const entity = leaf.entity ? ` if (n > 0) noteEntityKey(state, entityKeys[${leaf.use}], leaves[${at}].entity);` : '';
      lines.push(`${guard}{ const v = value[${literalKey(leaf.field)}]; const n = v === null || v === undefined ? 0 : Array.isArray(v) ? countValues(v) : 1; totals[${leaf.use}] += n;${entity} }`);
    }
    for (const child of node.children) lines.push(`${compileNode(child.node, depth + 1)}(value[${literalKey(child.key)}], totals, entityKeys, state);`);
    lines.push('}');
    functions[index] = lines.join('\n');
    return name;
  };
  const rootName = compileNode(root, 0);
  const body = `${functions.join('\n')}\nreturn ${rootName};`;
  return new Function('leaves', 'countValues', 'noteEntityKey', body)(leaves, countValues, noteEntityKey) as Measure;
}

/** Removes every hidden key the audit step added, in place. */
export function stripHidden(data: Record<string, Json> | null | undefined, strip: string[][]): void {
  if (!data) return;
  for (const path of strip) {
    const walk = (value: Json | undefined, depth: number): void => {
      if (value === null || value === undefined || typeof value !== 'object') return;
      if (Array.isArray(value)) {
        for (const item of value) walk(item, depth);
        return;
      }
      if (depth < path.length) return walk(value[path[depth]], depth + 1);
      for (const k of Object.keys(value)) if (k.startsWith(HIDDEN_PREFIX)) delete value[k];
    };
    walk(data, 0);
  }
}
