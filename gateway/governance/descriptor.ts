import fs from 'node:fs';
import path from 'node:path';
import { Kind, type DefinitionNode, type DocumentNode, type FieldDefinitionNode } from 'graphql';
import YAML, { isMap, LineCounter, type Document } from 'yaml';
import { MeshgateError } from '../../shared/errors';
import { locationOf } from './directive';
import { isExternal } from './expand-classification';
import { isFederationInternalField, isFederationInternalType } from './federation-internals';

/** Who answers for a data product: a team and a way to reach it. */
export interface Owner {
  team: string;
  contact: string;
}

/** A domain's data-product descriptor (`data-product.yaml`), complete and valid. */
export interface DataProduct {
  name: string;
  title?: string;
  description: string;
  owner: Owner;
  /** Semantic version of the data product, e.g. `1.2.0`. */
  version: string;
  serviceLevels: {
    /** Newest data at most this old: `15m`, `1h`, `1d` (see `freshnessMs`). */
    freshness: string;
    /** Share of the time the product answers, e.g. `99.5%`. */
    availability: string;
  };
  tags: string[];
  /** What the product says about each entity it owns or contributes to (free text per type). */
  entities: Record<string, string>;
}

/** One missing or invalid descriptor key, located in the file. */
export interface DescriptorProblem {
  /** The key, dotted: `owner.contact`, `serviceLevels.freshness`. */
  key: string;
  /** What is wrong, without the key: `is missing`, `must be a semantic version like 1.0.0, got "1.0"`. */
  message: string;
  /** `file:line:column` of the key (or of its parent when absent), else the file. */
  location: string;
}

export type DescriptorInspection =
  /** The file cannot be read, is not YAML, or is not a mapping. */
  | { readable: false; file: string; reason: string; location: string }
  /** Read: every missing or invalid key, and the descriptor itself when there are none. */
  | { readable: true; file: string; problems: DescriptorProblem[]; descriptor?: DataProduct; owner?: Owner };

/** `MAJOR.MINOR.PATCH` with optional pre-release and build, as semver.org defines it. */
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
const FRESHNESS = /^(\d+)(s|m|h|d)$/;
const AVAILABILITY = /^(\d{1,3}(?:\.\d+)?)%$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

const filled = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/** A path as messages show it: relative to the working folder. */
export function shownPath(file: string): string {
  return path.relative(process.cwd(), file) || file;
}

/** A freshness objective (`15m`, `2h`, `1d`, `30s`) in milliseconds, or undefined when malformed. */
export function freshnessMs(freshness: string): number | undefined {
  const m = FRESHNESS.exec(freshness.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2]] : undefined;
}

/**
 * Reads a data-product descriptor and lists every missing or invalid key. Never throws: an
 * unreadable file comes back as such (the governance checks report it beside other problems).
 */
export function inspectDataProduct(file: string): DescriptorInspection {
  const shown = shownPath(file);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err as Error).message;
    return { readable: false, file: shown, reason: `cannot be read (${code})`, location: shown };
  }
  const lines = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lines });
  if (doc.errors.length) {
    const { line, col } = lines.linePos(doc.errors[0].pos[0]);
    return { readable: false, file: shown, reason: `is not valid YAML (${doc.errors[0].message.split('\n')[0]})`, location: `${shown}:${line}:${col}` };
  }
  if (!isMap(doc.contents)) return { readable: false, file: shown, reason: 'is not a mapping of keys (name, owner, version …)', location: shown };
  return { readable: true, file: shown, ...validate(doc, lines, shown) };
}

/** Where a dotted key is written, else where its nearest written parent is, else the file. */
function locator(doc: Document, lines: LineCounter, file: string) {
  return (key: string): string => {
    const parts = key.split('.');
    for (let n = parts.length; n > 0; n--) {
      const node = doc.getIn(parts.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node?.range) {
        const { line, col } = lines.linePos(node.range[0]);
        return `${file}:${line}:${col}`;
      }
    }
    return file;
  };
}

function validate(doc: Document, lines: LineCounter, file: string): { problems: DescriptorProblem[]; descriptor?: DataProduct; owner?: Owner } {
  const raw = doc.toJS() as Record<string, any>;
  const at = locator(doc, lines, file);
  const problems: DescriptorProblem[] = [];
  const problem = (key: string, message: string) => problems.push({ key, message, location: at(key) });
  const text = (key: string, value: unknown) => {
    if (value === undefined || value === null) problem(key, 'is missing');
    else if (!filled(value)) problem(key, `must be a non-empty text, got ${JSON.stringify(value)}`);
  };

  text('name', raw.name);
  if (raw.title !== undefined && !filled(raw.title)) problem('title', `must be a non-empty text when given, got ${JSON.stringify(raw.title)}`);
  text('description', raw.description);

  const owner = raw.owner;
  if (owner === undefined || owner === null) problem('owner', 'is missing (owner.team and owner.contact)');
  else if (typeof owner !== 'object' || Array.isArray(owner)) problem('owner', 'must be a mapping with team and contact');
  else {
    text('owner.team', owner.team);
    text('owner.contact', owner.contact);
  }

  if (raw.version === undefined || raw.version === null) problem('version', 'is missing');
  else if (typeof raw.version !== 'string' || !SEMVER.test(raw.version)) problem('version', `must be a semantic version like 1.0.0, got ${JSON.stringify(raw.version)}`);

  const levels = raw.serviceLevels;
  if (levels === undefined || levels === null) problem('serviceLevels', 'is missing (serviceLevels.freshness and serviceLevels.availability)');
  else if (typeof levels !== 'object' || Array.isArray(levels)) problem('serviceLevels', 'must be a mapping with freshness and availability');
  else {
    if (levels.freshness === undefined || levels.freshness === null) problem('serviceLevels.freshness', 'is missing');
    else if (typeof levels.freshness !== 'string' || freshnessMs(levels.freshness) === undefined) {
      problem('serviceLevels.freshness', `must be a duration like 15m, 1h or 1d, got ${JSON.stringify(levels.freshness)}`);
    }
    const availability = typeof levels.availability === 'string' ? AVAILABILITY.exec(levels.availability.trim()) : null;
    if (levels.availability === undefined || levels.availability === null) problem('serviceLevels.availability', 'is missing');
    else if (!availability || Number(availability[1]) > 100) {
      problem('serviceLevels.availability', `must be a percentage like "99.5%", got ${JSON.stringify(levels.availability)}`);
    }
  }

  if (raw.tags === undefined || raw.tags === null) problem('tags', 'is missing');
  else if (!Array.isArray(raw.tags) || raw.tags.length === 0 || !raw.tags.every(filled)) problem('tags', `must be a non-empty list of words, got ${JSON.stringify(raw.tags)}`);

  const entities = raw.entities ?? {};
  if (typeof entities !== 'object' || Array.isArray(entities) || !Object.values(entities).every(filled)) {
    problem('entities', 'must map each entity type to a text when given');
  }

  const validOwner = owner && typeof owner === 'object' && filled(owner.team) && filled(owner.contact) ? { team: owner.team, contact: owner.contact } : undefined;
  if (problems.length) return { problems, owner: validOwner };
  const descriptor: DataProduct = {
    name: raw.name,
    description: raw.description.trim(),
    owner: validOwner!,
    version: raw.version,
    serviceLevels: { freshness: levels.freshness.trim(), availability: levels.availability.trim() },
    tags: raw.tags,
    entities,
    ...(raw.title !== undefined && { title: raw.title }),
  };
  return { problems, descriptor, owner: validOwner };
}

/** Every problem of an inspection, one line each: `file:line:col: key is missing`. */
export function describeProblems(inspection: DescriptorInspection): string[] {
  if (!inspection.readable) return [`${inspection.location}: the descriptor ${inspection.reason}`];
  return inspection.problems.map((p) => `${p.location}: ${p.key} ${p.message}`);
}

/** Reads a complete, valid data-product descriptor; throws DESCRIPTOR_INVALID naming the file and every problem. */
export function readDataProduct(file: string): DataProduct {
  const inspection = inspectDataProduct(file);
  if (inspection.readable && inspection.descriptor) return inspection.descriptor;
  const lines = describeProblems(inspection);
  throw new MeshgateError('DESCRIPTOR_INVALID', `data-product descriptor ${inspection.file} is incomplete or invalid:\n  ${lines.join('\n  ')}`, {
    file: inspection.file,
    problems: inspection.readable ? inspection.problems : [{ key: '', message: inspection.reason, location: inspection.location }],
  });
}

// ---------------------------------------------------------------------------------------------
// Documentation: a data product documents every type and field it offers, as GraphQL descriptions.

/** A type or field of a subgraph schema without a description. */
export interface UndocumentedElement {
  /** `Type` or `Type.field`. */
  coordinate: string;
  location?: string;
}

const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

const TYPE_DEFINITIONS = new Set<string>([
  Kind.OBJECT_TYPE_DEFINITION,
  Kind.INTERFACE_TYPE_DEFINITION,
  Kind.INPUT_OBJECT_TYPE_DEFINITION,
  Kind.ENUM_TYPE_DEFINITION,
  Kind.UNION_TYPE_DEFINITION,
  Kind.SCALAR_TYPE_DEFINITION,
]);

const described = (node: { description?: { value: string } }) => filled(node.description?.value);

type Named = DefinitionNode & { name?: { value: string } };
const isOutputFielded = (kind: string) =>
  kind === Kind.OBJECT_TYPE_DEFINITION || kind === Kind.OBJECT_TYPE_EXTENSION || kind === Kind.INTERFACE_TYPE_DEFINITION || kind === Kind.INTERFACE_TYPE_EXTENSION;
const isInputFielded = (kind: string) => kind === Kind.INPUT_OBJECT_TYPE_DEFINITION || kind === Kind.INPUT_OBJECT_TYPE_EXTENSION;

/** Every element (`Type`, `Type.field`) of a schema the documentation rule asks about, described or not. */
function* elements(doc: DocumentNode): Generator<UndocumentedElement & { described: boolean }> {
  for (const def of doc.definitions as readonly Named[]) {
    const typeName = def.name?.value;
    if (!typeName || isFederationInternalType(typeName)) continue;
    if (TYPE_DEFINITIONS.has(def.kind) && !ROOT_TYPES.has(typeName)) {
      yield { coordinate: typeName, location: locationOf(def), described: described(def as never) };
    }
    if (isOutputFielded(def.kind) || isInputFielded(def.kind)) {
      for (const field of (def as { fields?: readonly FieldDefinitionNode[] }).fields ?? []) {
        if (isOutputFielded(def.kind) && (isExternal(field) || isFederationInternalField(typeName, field))) continue;
        yield { coordinate: `${typeName}.${field.name.value}`, location: locationOf(field), described: described(field) };
      }
    }
  }
}

/** The types and fields a schema describes, for `undocumentedElements`' `documentedElsewhere`. */
export function documentedElements(doc: DocumentNode): Set<string> {
  const found = new Set<string>();
  for (const e of elements(doc)) if (e.described) found.add(e.coordinate);
  return found;
}

/**
 * Types and fields of a subgraph schema without a description. Every type definition needs one
 * except the root types (their fields say it) and type extensions (GraphQL gives them none);
 * every object, interface and input field needs one except `@external` fields and federation
 * internals. Enum values and arguments are not required. An entity or value type another
 * subgraph owns may leave its description to that subgraph (`documentedElsewhere`): composition
 * keeps one description per element, and the owner's is the one to keep.
 */
export function undocumentedElements(doc: DocumentNode, documentedElsewhere: ReadonlySet<string> = new Set()): UndocumentedElement[] {
  const missing: UndocumentedElement[] = [];
  for (const { coordinate, location, described: has } of elements(doc)) {
    if (!has && !documentedElsewhere.has(coordinate)) missing.push({ coordinate, location });
  }
  return missing;
}
