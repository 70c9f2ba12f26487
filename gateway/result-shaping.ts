/**
 * The last step of every federated response: `@apollo/gateway` walks the merged subgraph data
 * along the operation to build the response (aliases, fragments, @skip/@include, null
 * propagation, leaf checks). Its walker re-derives everything about a selection for every value
 * (directive lookups, type unwrapping through getters, a result object per value): on a 186 KB
 * response that was about a third of the gateway's CPU. This is the same walk with what depends
 * only on the operation worked out once per selection set and kept with it, and from a selection
 * set's second request on, compiled into straight-line code (`compileShaper`).
 *
 * `installResultShaping()` puts it in place of Apollo's `computeResponse`, only for the exact
 * `@apollo/gateway` version it was written against (its behaviour is tested against Apollo's).
 */
import {
  ERRORS,
  assert,
  isCustomScalarType,
  isEnumType,
  isSubtype,
  Variable,
  type CompositeType,
  type FieldSelection,
  type FragmentElement,
  type NamedType,
  type Operation,
  type Schema,
  type SelectionSet,
  type Type,
} from '@apollo/federation-internals';
import type { DefinitionNode, DocumentNode, GraphQLError } from 'graphql';
import { literalKey } from '../shared/literal-key';
import type { Logger } from '../shared/logger';

const TYPENAME = '__typename';
// Kind tests inline: called once per value, and each federation-internals export is a getter.
const COMPOSITE_KINDS = new Set(['ObjectType', 'InterfaceType', 'UnionType']);
const isComposite = (type: { kind: string }) => COMPOSITE_KINDS.has(type.kind);
const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;
const hasOwn = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

type Path = (string | number)[];
type Data = Record<string, unknown>;

export interface ComputeResponseArgs {
  operation: Operation;
  variables?: Record<string, unknown>;
  input: Data | null | undefined;
  introspectionHandling: (selection: FieldSelection) => unknown;
}

interface Request {
  /** Numbers requests, so a selection set can count the requests that used it. */
  id: number;
  schema: Schema;
  variables: Record<string, unknown>;
  errors: GraphQLError[];
  introspectionHandling: (selection: FieldSelection) => unknown;
  /** Per conditional selection set (@skip/@include): which of its steps this request skips. */
  skips: Map<SelectionSet, boolean[]>;
  /** What the last `complete` call found: INVALID (null must bubble up) and HAS_ERRORS bits. */
  flags: number;
}

const INVALID = 1;
const HAS_ERRORS = 2;
const OK = 0;
const NULL_BUBBLE_UP = 1;

interface FieldStep {
  kind: 'field';
  selection: FieldSelection;
  responseName: string;
  introspection: boolean;
  typename: boolean;
  type: Type;
  selectionSet: SelectionSet | undefined;
  /** The field's leaf check when it is a leaf, `T` or `T!`: compiled shapers inline the common case. */
  leaf: ((value: unknown) => boolean) | undefined;
}
interface FragmentStep {
  kind: 'fragment';
  typeCondition: CompositeType | undefined;
  selectionSet: SelectionSet;
  /** Whether the condition holds, by runtime type name (or parent type name without one). */
  applies: Map<string, boolean>;
}
type Step = (FieldStep | FragmentStep) & { element: FieldSelection['element'] | FragmentElement; conditional: boolean };

type Shaper = (request: Request, input: Data, output: Data, path: Path, parentType: CompositeType, skips: boolean[]) => number;

/** A selection set's steps, which depend only on the operation, kept with it across requests. */
interface ShapedSet {
  schema: Schema;
  steps: Step[];
  /** Whether any step has @skip/@include (then each request works out which to skip). */
  conditional: boolean;
  /** The last request that used it, and how many did: the second one compiles it. */
  lastRequest: number;
  requests: number;
  shaper: Shaper | undefined;
}

/**
 * The prototype of every object the response is built of: no properties, so a response name such
 * as `constructor` or `__proto__` is an own key like any other, as with Apollo's
 * `Object.create(null)`. Unlike those, objects on it keep V8's fast properties: a `small` response
 * then serialises in 25 µs instead of 40, and the plugins after it read it faster.
 */
const NO_PROPERTIES: object = Object.freeze(Object.create(null));
const newData = (): Data => Object.create(NO_PROPERTIES) as Data;

let requestsShaped = 0;

/** Drop-in for `@apollo/gateway`'s `computeResponse` (dist/resultShaping.js), same results and errors. */
export function computeResponse({ operation, variables, input, introspectionHandling }: ComputeResponseArgs): { data: Data | null | undefined; errors: GraphQLError[] } {
  if (!input) return { data: input, errors: [] };
  const schema = operation.schema();
  const request: Request = {
    id: ++requestsShaped,
    schema,
    variables: { __proto__: null, ...operation.collectDefaultedVariableValues(), ...variables } as Record<string, unknown>,
    errors: [],
    introspectionHandling,
    skips: new Map(),
    flags: 0,
  };
  const data = newData();
  const root = schema.schemaDefinition.rootType(operation.rootKind)!;
  const res = applySelectionSet(request, input, operation.selectionSet, data, [], root);
  return { data: res === NULL_BUBBLE_UP ? null : data, errors: request.errors };
}

// Kept weakly with the operation's selection sets, as the operation is with its document.
const shapedSets = new WeakMap<SelectionSet, ShapedSet>();

function shapedSetOf(schema: Schema, selectionSet: SelectionSet): ShapedSet {
  const kept = shapedSets.get(selectionSet);
  if (kept && kept.schema === schema) return kept;
  const steps = selectionSet.selections().map((selection): Step => {
    const element = selection.element;
    const conditional = element.appliedDirectivesOf(schema.skipDirective()).length + element.appliedDirectivesOf(schema.includeDirective()).length > 0;
    if (selection.kind === 'FieldSelection') {
      const field = selection.element;
      const type = field.definition.type!;
      const named = type.kind === 'NonNullType' ? type.ofType : type;
      return {
        kind: 'field',
        element,
        conditional,
        selection,
        responseName: field.responseName(),
        introspection: field.definition.isSchemaIntrospectionField(),
        typename: field.name === TYPENAME,
        type,
        selectionSet: selection.selectionSet,
        leaf: named.kind === 'ListType' || isComposite(named) || selection.selectionSet ? undefined : leafCheck(schema, named as NamedType),
      };
    }
    return { kind: 'fragment', element, conditional, typeCondition: selection.element.typeCondition, selectionSet: selection.selectionSet, applies: new Map() };
  });
  const set: ShapedSet = { schema, steps, conditional: steps.some((s) => s.conditional), lastRequest: 0, requests: 0, shaper: undefined };
  shapedSets.set(selectionSet, set);
  return set;
}

const NO_SKIPS: boolean[] = [];

function skipsOf(request: Request, selectionSet: SelectionSet, set: ShapedSet): boolean[] {
  let skips = request.skips.get(selectionSet);
  if (!skips) {
    skips = set.steps.map((step) => step.conditional && shouldSkip(request, step.element));
    request.skips.set(selectionSet, skips);
  }
  return skips;
}

function shouldSkip(request: Request, element: FieldSelection['element'] | FragmentElement): boolean {
  const skip = element.appliedDirectivesOf(request.schema.skipDirective())[0];
  const include = element.appliedDirectivesOf(request.schema.includeDirective())[0];
  return !!((skip && ifValue(skip, request.variables)) || (include && !ifValue(include, request.variables)));
}

function ifValue(directive: { arguments(): Record<string, unknown>; toString(): string }, variables: Record<string, unknown>): boolean {
  const condition = directive.arguments().if;
  if (condition instanceof Variable) {
    const value = variables[condition.name];
    assert(value !== undefined && typeof value === 'boolean', () => `Unexpected value ${value} for variable ${condition} of ${directive}`);
    return value;
  }
  return condition as boolean;
}

function applySelectionSet(request: Request, input: Data, selectionSet: SelectionSet, output: Data, path: Path, parentType: CompositeType): number {
  const set = shapedSetOf(request.schema, selectionSet);
  const skips = set.conditional ? skipsOf(request, selectionSet, set) : NO_SKIPS;
  if (set.shaper) return set.shaper(request, input, output, path, parentType, skips);
  // A selection set is compiled once a second request uses it: one-off documents are not.
  if (set.lastRequest !== request.id) {
    set.lastRequest = request.id;
    if (++set.requests >= 2) {
      set.shaper = compileShaper(set.steps);
      return set.shaper(request, input, output, path, parentType, skips);
    }
  }
  const { steps } = set;
  for (let i = 0; i < steps.length; i++) {
    if (skips[i]) continue;
    const step = steps[i];
    if (step.kind === 'field') {
      const { responseName } = step;
      const outputValue = output[responseName];
      if (step.introspection) {
        if (outputValue === undefined) output[responseName] = request.introspectionHandling(step.selection);
        continue;
      }
      const inputValue = (hasOwn(input, responseName) ? input[responseName] : undefined) ?? null;
      if (step.typename) {
        if (outputValue === undefined) {
          const name = typenameOf(request, input, inputValue, responseName, parentType);
          if (name === undefined) return NULL_BUBBLE_UP;
          output[responseName] = name;
        }
        continue;
      }
      path.push(responseName);
      output[responseName] = complete(request, outputValue, step.type, inputValue, step.selectionSet, path, parentType);
      path.pop();
      if (request.flags & INVALID) return NULL_BUBBLE_UP;
    } else if (applyFragment(request, input, output, path, parentType, step) === NULL_BUBBLE_UP) {
      return NULL_BUBBLE_UP;
    }
  }
  return OK;
}

/** A `__typename` selection's value; undefined where the type is not an object type (null bubbles up). */
function typenameOf(request: Request, input: Data, inputValue: unknown, responseName: string, parentType: CompositeType): string | undefined {
  if (inputValue === null && responseName !== TYPENAME) inputValue = input[TYPENAME] ?? null;
  const type = inputValue !== null && typeof inputValue === 'string' ? (request.schema.type(inputValue) ?? parentType) : parentType;
  return type.kind === 'ObjectType' ? type.name : undefined;
}

function applyFragment(request: Request, input: Data, output: Data, path: Path, parentType: CompositeType, step: FragmentStep): number {
  const typename = input[TYPENAME];
  if (typename && typeof typename !== 'string') throw new Error(`Got unexpected value for __typename: ${typename}`);
  const key = (typename as string | undefined) || `\0${parentType.name}`;
  let applies = step.applies.get(key);
  if (applies === undefined) {
    applies = typeConditionApplies(request.schema, step.typeCondition, typename as string | undefined, parentType);
    // Kept across requests, so only for names of the schema's types: a subgraph's stray names are not.
    if (!typename || request.schema.type(typename as string)) step.applies.set(key, applies);
  }
  return applies ? applySelectionSet(request, input, step.selectionSet, output, path, step.typeCondition ?? parentType) : OK;
}

/** Whether requests now shape this selection set with compiled code (for tests and diagnostics). */
export function isCompiled(selectionSet: SelectionSet): boolean {
  return !!shapedSets.get(selectionSet)?.shaper;
}

/**
 * The loop above as straight-line code with literal property names: the loop's reads and writes
 * by a variable key, on objects of every shape in the response, were megamorphic. A leaf field
 * whose value is new and valid is stored inline; anything else goes through `complete`.
 */
function compileShaper(steps: Step[]): Shaper {
  const constants: string[] = [];
  const lines: string[] = [];
  steps.forEach((step, i) => {
    const guard = step.conditional ? `if (!skips[${i}]) ` : '';
    if (step.kind === 'fragment') {
      lines.push(`${guard}if (applyFragment(request, input, output, path, parentType, steps[${i}]) === ${NULL_BUBBLE_UP}) return ${NULL_BUBBLE_UP};`);
      return;
    }
    const { responseName } = step;
    const key = literalKey(responseName);
    // Object.prototype's members are read as own properties only, as the loop does.
    const read = responseName in Object.prototype ? `(hasOwn(input, ${key}) ? input[${key}] : undefined)` : `input[${key}]`;
    if (step.introspection) {
      lines.push(`${guard}if (output[${key}] === undefined) output[${key}] = request.introspectionHandling(steps[${i}].selection);`);
    } else if (step.typename) {
      lines.push(
        `${guard}if (output[${key}] === undefined) { const name = typenameOf(request, input, ${read} ?? null, ${key}, parentType); if (name === undefined) return ${NULL_BUBBLE_UP}; output[${key}] = name; }`,
      );
    } else {
      constants.push(`const type${i} = steps[${i}].type, set${i} = steps[${i}].selectionSet, leaf${i} = steps[${i}].leaf;`);
      const slow = `path.push(${key}); output[${key}] = complete(request, out, type${i}, value, set${i}, path, parentType); path.pop(); if (request.flags & ${INVALID}) return ${NULL_BUBBLE_UP};`;
      const fast = step.leaf ? `if (out === undefined && value !== null && leaf${i}(value)) output[${key}] = value; else ` : '';
      lines.push(`${guard}{ const out = output[${key}]; const value = ${read} ?? null; ${fast}{ ${slow} } }`);
    }
  });
  const body = `${constants.join('\n')}\nreturn function shape(request, input, output, path, parentType, skips) {\n${lines.join('\n')}\nreturn ${OK};\n};`;
  return new Function('steps', 'hasOwn', 'complete', 'typenameOf', 'applyFragment', body)(steps, hasOwn, complete, typenameOf, applyFragment) as Shaper;
}

function typeConditionApplies(schema: Schema, typeCondition: CompositeType | undefined, typename: string | undefined, parentType: CompositeType): boolean {
  if (!typeCondition) return true;
  if (typename) {
    const type = schema.type(typename);
    return !!type && isSubtype(typeCondition, type);
  }
  return isSubtype(typeCondition, parentType);
}

function describeLast(path: Path, currentType: Type, parentType: CompositeType): string {
  const element = path[path.length - 1];
  assert(element !== undefined, 'Should not have been called on an empty path');
  return typeof element === 'string' ? `field ${parentType}.${element}` : `array element of type ${currentType} at index ${element}`;
}

/** Apollo's `updateOutputValue`: returns the value, and leaves INVALID/HAS_ERRORS in `request.flags`. */
function complete(request: Request, outputValue: unknown, type: Type, inputValue: unknown, selectionSet: SelectionSet | undefined, path: Path, parentType: CompositeType): unknown {
  // Apollo's asserts, inline: their messages are built only when one fails.
  if (inputValue === undefined) throw new Error('Should not pass undefined for `inputValue` to this method');
  if (outputValue === null || (outputValue !== undefined && !selectionSet)) {
    request.flags = 0;
    return outputValue;
  }
  if (type.kind === 'NonNullType') {
    const updated = complete(request, outputValue, type.ofType, inputValue, selectionSet, path, parentType);
    if (updated === null) {
      if (!(request.flags & HAS_ERRORS)) {
        request.errors.push(ERRORS.INVALID_GRAPHQL.err(`Cannot return null for non-nullable ${describeLast(path, type.ofType, parentType)}.`, { path: Array.from(path) }));
      }
      request.flags = INVALID | HAS_ERRORS;
      return updated;
    }
    request.flags = 0;
    return updated;
  }
  if (inputValue === null) {
    request.flags = 0;
    return null;
  }
  if (type.kind === 'ListType') {
    if (!Array.isArray(inputValue)) throw new Error(`Invalid non-list value ${inputValue} returned by subgraph for list type ${type}`);
    if (!(outputValue === undefined || Array.isArray(outputValue))) throw new Error(`Invalid non-list value ${outputValue} returned by subgraph for list type ${type}`);
    const outputList = outputValue === undefined ? undefined : (outputValue as unknown[]);
    const length = inputValue.length;
    if (outputList && length !== outputList.length) throw new Error(`[${inputValue}].length (${inputValue.length}) !== [${outputList}].length (${outputList.length})`);
    let flags = 0;
    const updated = new Array(length);
    for (let i = 0; i < length; i++) {
      path.push(i);
      updated[i] = complete(request, outputList ? outputList[i] : undefined, type.ofType, inputValue[i], selectionSet, path, parentType);
      path.pop();
      flags |= request.flags;
    }
    request.flags = flags & HAS_ERRORS;
    return flags & INVALID ? null : updated;
  }
  if (isComposite(type)) {
    if (!selectionSet) throw new Error(`Invalid empty selection set for composite type ${type}`);
    if (typeof inputValue !== 'object') throw new Error(`Invalid non-object value ${inputValue} returned by subgraph for composite type ${type}`);
    if (!(outputValue === undefined || typeof outputValue === 'object')) throw new Error(`Invalid non-object value ${inputValue} returned by subgraph for composite type ${type}`);
    const input = inputValue as Data;
    const inputTypename = input[TYPENAME];
    if (!(inputTypename === undefined || typeof inputTypename === 'string')) throw new Error(`Invalid non-string value ${inputTypename} for __typename at ${path}`);
    let objectType = type as CompositeType;
    if (inputTypename) {
      const named = request.schema.type(inputTypename);
      if (!named || !isComposite(named)) {
        request.errors.push(ERRORS.INVALID_GRAPHQL.err(`Invalid __typename found for object at ${describeLast(path, type, parentType)}.`, { path: Array.from(path) }));
        request.flags = HAS_ERRORS;
        return null;
      }
      objectType = named as CompositeType;
    }
    const output = outputValue === undefined ? newData() : (outputValue as Data);
    const bubbled = applySelectionSet(request, input, selectionSet, output, path, objectType) === NULL_BUBBLE_UP;
    request.flags = bubbled ? HAS_ERRORS : 0;
    return bubbled ? null : output;
  }
  if (outputValue !== undefined) throw new Error(`Excepted output to be undefined but got ${type} for type ${type}`);
  if (leafCheck(request.schema, type as NamedType)(inputValue)) {
    request.flags = 0;
    return inputValue;
  }
  request.errors.push(ERRORS.INVALID_GRAPHQL.err(`Invalid value found for ${describeLast(path, type, parentType)}.`, { path: Array.from(path) }));
  request.flags = HAS_ERRORS;
  return null;
}

const leafChecks = new WeakMap<NamedType, (value: unknown) => boolean>();

/** `isValidLeafValue` of federation-internals, specialised once per leaf type. */
function leafCheck(schema: Schema, type: NamedType): (value: unknown) => boolean {
  let check = leafChecks.get(type);
  if (check) return check;
  if (isCustomScalarType(type)) {
    check = () => true;
  } else {
    const isBoolean = type === schema.booleanType();
    const isInt = type === schema.intType();
    const isFloat = type === schema.floatType();
    const integral = isInt || type === schema.idType();
    const enumType = isEnumType(type) ? type : undefined;
    check = (value) => {
      if (typeof value === 'boolean') return isBoolean;
      if (typeof value === 'number' && Number.isFinite(value)) return integral ? INTEGER.test(String(value)) : isFloat;
      if (typeof value === 'string') return enumType ? enumType.value(value) !== undefined : !isBoolean && !isInt && !isFloat;
      return false;
    };
  }
  leafChecks.set(type, check);
  return check;
}

/** The `@apollo/gateway` release whose `computeResponse` this replaces: anything else keeps Apollo's own. */
export const SHAPED_GATEWAY_VERSION = '2.14.4';

type OperationFromDocument = (schema: Schema, document: DocumentNode, options?: { operationName?: string; validate?: boolean }) => Operation;

/**
 * Apollo's executor builds the request's federation-internals `Operation` anew for every request,
 * only to shape the response and evaluate plan conditions: `operationFromDocument(apiSchema,
 * { definitions: [operation, ...fragments] }, { validate: false })`, about 3% of the gateway's
 * CPU on `small`. Its definitions are the same parsed nodes for every request of one document
 * (Apollo Server keeps documents parsed; authorize and audit keep the ones they rewrite), so the
 * `Operation` is kept per schema and definitions, weakly: it goes with its document. The executor
 * and the shaping above only read it. Other calls (planning, with validation) build as before.
 */
export function sharedOperations(build: OperationFromDocument): OperationFromDocument {
  const bySchema = new WeakMap<Schema, WeakMap<DefinitionNode, { rest: readonly DefinitionNode[]; operation: Operation }>>();
  return (schema, document, options) => {
    const [first, ...rest] = document.definitions;
    if (options?.validate !== false || options.operationName !== undefined || !first) return build(schema, document, options);
    let byFirst = bySchema.get(schema);
    if (!byFirst) bySchema.set(schema, (byFirst = new WeakMap()));
    const kept = byFirst.get(first);
    if (kept && kept.rest.length === rest.length && kept.rest.every((d, i) => d === rest[i])) return kept.operation;
    const operation = build(schema, document, options);
    byFirst.set(first, { rest, operation });
    return operation;
  };
}

let operationsShared = false;

/**
 * Replaces `@apollo/gateway`'s `computeResponse` with the one above, and has its executor share
 * each document's `Operation` (`sharedOperations`). Both are called through their module's
 * exports object, so the swap takes effect for every gateway in the process. Returns whether it
 * was installed.
 */
export function installResultShaping(logger?: Logger): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { version } = require('@apollo/gateway/package.json') as { version: string };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const shaping = require('@apollo/gateway/dist/resultShaping') as { computeResponse: unknown };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const operations = require('@apollo/federation-internals/dist/operations') as { operationFromDocument: unknown };
  if (version !== SHAPED_GATEWAY_VERSION || typeof shaping.computeResponse !== 'function' || typeof operations.operationFromDocument !== 'function') {
    logger?.warn({ version, expected: SHAPED_GATEWAY_VERSION }, "@apollo/gateway is not the version Meshgate's result shaping was written for: keeping Apollo's");
    return false;
  }
  shaping.computeResponse = computeResponse;
  if (!operationsShared) {
    operations.operationFromDocument = sharedOperations(operations.operationFromDocument as OperationFromDocument);
    operationsShared = true;
  }
  return true;
}
