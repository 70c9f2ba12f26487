import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kind, parse, print, visit, type ASTNode, type StringValueNode } from 'graphql';

// Composition refuses a subgraph that is not a complete, documented data product
// (MISSING_DESCRIPTOR, INCOMPLETE_DESCRIPTOR, UNDOCUMENTED_SCHEMA). Tests whose fixtures are about
// something else make them one with these helpers.

let dir: string | undefined;
function descriptorDir(): string {
  if (!dir) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-fixture-descriptors-'));
    const created = dir;
    process.once('exit', () => fs.rmSync(created, { recursive: true, force: true }));
  }
  return dir;
}

/**
 * A complete data-product descriptor for fixture `name`, written to a temporary file; without
 * `owner` (`owner: false`) when the test gives the owner inline or tests its absence.
 */
export function fixtureDescriptor(name: string, options: { owner?: boolean } = {}): string {
  const lines = [
    `name: ${name}`,
    `description: The ${name} test fixture.`,
    ...(options.owner === false ? [] : ['owner:', `  team: ${name} team`, `  contact: ${name}@example.com`]),
    'version: 1.0.0',
    'serviceLevels:',
    '  freshness: 1d',
    '  availability: "99%"',
    'tags: [fixture]',
  ];
  const file = path.join(descriptorDir(), `${name}${options.owner === false ? '-ownerless' : ''}.yaml`);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const DESCRIBABLE = new Set<string>([
  Kind.OBJECT_TYPE_DEFINITION,
  Kind.INTERFACE_TYPE_DEFINITION,
  Kind.INPUT_OBJECT_TYPE_DEFINITION,
  Kind.UNION_TYPE_DEFINITION,
  Kind.ENUM_TYPE_DEFINITION,
  Kind.SCALAR_TYPE_DEFINITION,
  Kind.FIELD_DEFINITION,
  Kind.INPUT_VALUE_DEFINITION,
]);

/** `sdl` with a description on every type and field that has none (reprinted: line numbers change). */
export function documented(sdl: string): string {
  const described = visit(parse(sdl), {
    // A directive's definition must stay as every subgraph declares it.
    DirectiveDefinition: () => false,
    enter(node: ASTNode) {
      if (!DESCRIBABLE.has(node.kind) || (node as { description?: StringValueNode }).description) return undefined;
      const name = (node as { name: { value: string } }).name.value;
      return { ...node, description: { kind: Kind.STRING, value: `The fixture's ${name}.`, block: false } };
    },
  });
  return print(described);
}

/** A subgraph made a data product: its SDL documented and a complete descriptor beside it. */
export function asDataProduct<T extends { name: string; sdl: string }>(subgraph: T): T & { descriptor: string } {
  return { ...subgraph, sdl: documented(subgraph.sdl), descriptor: fixtureDescriptor(subgraph.name) };
}
