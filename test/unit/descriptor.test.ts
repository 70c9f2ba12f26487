import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, Source } from 'graphql';
import { afterAll, describe, expect, it } from 'vitest';
import { composeSupergraph, loadSubgraphSchemas, type SubgraphSchema } from '../../gateway/compose';
import { loadConfig } from '../../gateway/config';
import { freshnessMs, inspectDataProduct, readDataProduct, undocumentedElements } from '../../gateway/governance/descriptor';
import { CLASSIFIED_DIRECTIVE_SDL, CLASSIFICATION_SPEC_URL } from '../../shared/classification';
import { MeshgateError } from '../../shared/errors';

const root = path.resolve(__dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-descriptor-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const COMPLETE = `name: alpha
description: Alpha things.
owner:
  team: Alpha
  contact: alpha@example.com
version: 1.2.0
serviceLevels:
  freshness: 15m
  availability: "99.5%"
tags: [alpha]
`;

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const rel = (file: string) => path.relative(process.cwd(), file);

const HEADER = [
  'extend schema',
  '  @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@external", "@composeDirective"])',
  `  @link(url: "${CLASSIFICATION_SPEC_URL}", import: ["@classified"])`,
  '  @composeDirective(name: "@classified")',
  CLASSIFIED_DIRECTIVE_SDL,
].join('\n');

describe('readDataProduct', () => {
  it('reads every demo descriptor into a typed data product', () => {
    for (const s of loadConfig(path.join(root, 'supergraph.yaml')).subgraphs) {
      const product = readDataProduct(s.descriptor!);
      expect(product.name).toBe(s.name);
      expect(product.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(product.owner.contact).toContain('@');
      expect(freshnessMs(product.serviceLevels.freshness)).toBeGreaterThan(0);
      expect(product.serviceLevels.availability).toMatch(/%$/);
      expect(product.tags.length).toBeGreaterThan(0);
      expect(product.description.length).toBeGreaterThan(20);
    }
  });

  it('lists every missing or invalid key at its line, and throws DESCRIPTOR_INVALID naming the file and each', () => {
    const file = write(
      'bad.yaml',
      'name: bad\nowner:\n  team: Bad\nversion: "1.0"\nserviceLevels:\n  freshness: soon\n  availability: 99.5\ntags: []\n',
    );
    const inspection = inspectDataProduct(file);
    expect(inspection.readable).toBe(true);
    if (!inspection.readable) return;
    expect(inspection.descriptor).toBeUndefined();
    expect(inspection.problems.map((p) => [p.key, p.location])).toEqual([
      ['description', rel(file)],
      ['owner.contact', `${rel(file)}:3:3`],
      ['version', `${rel(file)}:4:10`],
      ['serviceLevels.freshness', `${rel(file)}:6:14`],
      ['serviceLevels.availability', `${rel(file)}:7:17`],
      ['tags', `${rel(file)}:8:7`],
    ]);
    expect(inspection.problems.find((p) => p.key === 'version')!.message).toBe('must be a semantic version like 1.0.0, got "1.0"');
    expect(inspection.problems.find((p) => p.key === 'serviceLevels.availability')!.message).toBe('must be a percentage like "99.5%", got 99.5');
    let err: unknown;
    try {
      readDataProduct(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MeshgateError);
    expect((err as MeshgateError).code).toBe('DESCRIPTOR_INVALID');
    expect((err as MeshgateError).message).toContain(`data-product descriptor ${rel(file)} is incomplete or invalid`);
    expect((err as MeshgateError).message).toContain(`${rel(file)}:6:14: serviceLevels.freshness must be a duration like 15m, 1h or 1d, got "soon"`);
  });

  it('says why a file cannot be read: missing, not YAML, not a mapping', () => {
    expect(inspectDataProduct(path.join(dir, 'none.yaml'))).toMatchObject({ readable: false, reason: 'cannot be read (ENOENT)' });
    expect(inspectDataProduct(write('broken.yaml', 'owner: [\n'))).toMatchObject({ readable: false, reason: expect.stringMatching(/^is not valid YAML/) });
    expect(inspectDataProduct(write('list.yaml', '- a\n'))).toMatchObject({ readable: false, reason: expect.stringMatching(/not a mapping/) });
    expect(() => readDataProduct(path.join(dir, 'none.yaml'))).toThrow(/the descriptor cannot be read \(ENOENT\)/);
  });

  it('accepts a complete descriptor, and reads freshness objectives', () => {
    expect(readDataProduct(write('ok.yaml', COMPLETE))).toEqual({
      name: 'alpha',
      description: 'Alpha things.',
      owner: { team: 'Alpha', contact: 'alpha@example.com' },
      version: '1.2.0',
      serviceLevels: { freshness: '15m', availability: '99.5%' },
      tags: ['alpha'],
      entities: {},
    });
    expect([freshnessMs('30s'), freshnessMs('15m'), freshnessMs('2h'), freshnessMs('1d'), freshnessMs('soon')]).toEqual([30_000, 900_000, 7_200_000, 86_400_000, undefined]);
  });
});

describe('undocumentedElements', () => {
  it('asks a description of every type but the root types and extensions, and of every field but @external ones', () => {
    const sdl = `${HEADER}
type Query { "Documented." a: Thing b: Int }
"A thing." type Thing @key(fields: "id") { id: ID! "Documented." name: String }
type Bare { "Documented." x: Int }
extend type Other @key(fields: "id") { id: ID! @external "Documented." y: Int }
input Filter { "Documented." q: String r: Int }
enum Colour { RED GREEN }
"Documented." enum Size { S M }
scalar federation__FieldSet
scalar link__Import`;
    // Federation's own types (in a running subgraph's _service.sdl) are not the product's to document.
    const missing = undocumentedElements(parse(new Source(sdl, 'alpha.graphql')));
    expect(missing.map((m) => m.coordinate)).toEqual(['Query.b', 'Thing.id', 'Bare', 'Filter', 'Filter.r', 'Colour']);
    expect(missing[0].location).toMatch(/^alpha\.graphql:\d+:\d+$/);
    // A contributed entity may leave its description to the subgraph that owns it.
    expect(undocumentedElements(parse(sdl), new Set(['Thing.id', 'Bare'])).map((m) => m.coordinate)).toEqual(['Query.b', 'Filter', 'Filter.r', 'Colour']);
  });
});

describe('composition refuses an incomplete data product', () => {
  function subgraph(name: string, body: string, descriptor: string): SubgraphSchema {
    return { name, routingUrl: `http://127.0.0.1:1/${name}`, origin: `${name}.graphql`, sdl: `${HEADER}\n${body}`, descriptor };
  }
  const body = 'type Query @classified(level: "PUBLIC") { "Documented." a: String }';

  it('INCOMPLETE_DESCRIPTOR names the subgraph, the file and every gap; UNDOCUMENTED_SCHEMA names each element at its line', () => {
    const incomplete = write('incomplete.yaml', 'name: alpha\nowner: { team: A, contact: a@example.com }\nversion: one\n');
    const result = composeSupergraph([
      subgraph('alpha', body, incomplete),
      subgraph('beta', 'type Query @classified(level: "PUBLIC") { b: String }\n"Documented." type Thing @classified(level: "PUBLIC") { c: Int }', write('beta.yaml', COMPLETE)),
    ]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('GOVERNANCE_FAILED');
    expect(result.problems.map((p) => p.code)).toEqual(['INCOMPLETE_DESCRIPTOR', 'UNDOCUMENTED_SCHEMA']);
    expect(result.problems[0].message).toBe(
      `Subgraph "alpha": its descriptor ${rel(incomplete)} is incomplete: description is missing; version must be a semantic version like 1.0.0, got "one"; ` +
        'serviceLevels is missing (serviceLevels.freshness and serviceLevels.availability); tags is missing',
    );
    expect(result.problems[0].locations).toEqual([rel(incomplete), `${rel(incomplete)}:3:10`]);
    expect(result.problems[1].message).toMatch(/^Subgraph "beta" \(beta\.graphql\) has 2 undocumented type\(s\) or field\(s\): Query\.b, Thing\.c\. Add a description/);
    expect(result.problems[1].locations).toEqual(['beta.graphql:6:43', 'beta.graphql:7:57']);
  });

  it('MISSING_DESCRIPTOR: a subgraph without a descriptor is refused, an inline owner notwithstanding, naming the missing descriptor', () => {
    const { descriptor: _none, ...alpha } = subgraph('alpha', body, '');
    const result = composeSupergraph([{ ...alpha, owner: { team: 'A', contact: 'a@example.com' } }]);
    expect(result.ok || result.code).toBe('GOVERNANCE_FAILED');
    expect(result.ok || result.problems).toEqual([
      {
        code: 'MISSING_DESCRIPTOR',
        message:
          'Subgraph "alpha" has no data-product descriptor: give it a data-product.yaml (`descriptor:` in the config, or beside its schema file) ' +
          'with name, description, owner, version, serviceLevels and tags; an inline owner does not replace it',
        locations: ['alpha.graphql'],
      },
    ]);
    // The same subgraph with its descriptor composes.
    expect(composeSupergraph([subgraph('alpha', body, write('alpha.yaml', COMPLETE))]).ok).toBe(true);
  });

  it('an unreadable descriptor is refused even when the config names the owner inline', () => {
    const missing = path.join(dir, 'gone.yaml');
    const result = composeSupergraph([{ ...subgraph('alpha', body, missing), owner: { team: 'A', contact: 'a@example.com' } }]);
    expect(result.ok || result.problems).toEqual([
      { code: 'INCOMPLETE_DESCRIPTOR', message: `Subgraph "alpha": its descriptor ${rel(missing)} cannot be read (ENOENT)`, locations: [rel(missing)] },
    ]);
  });

  it('the demo mesh composes; a demo schema with one description removed does not', async () => {
    const schemas = await loadSubgraphSchemas(loadConfig(path.join(root, 'supergraph.yaml')).subgraphs);
    expect(composeSupergraph(schemas).ok).toBe(true);
    const inventory = schemas.find((s) => s.name === 'inventory')!;
    const stripped = inventory.sdl.replace('  "Stock-keeping unit, unique per product."\n', '');
    expect(stripped).not.toBe(inventory.sdl);
    const result = composeSupergraph(schemas.map((s) => (s === inventory ? { ...s, sdl: stripped } : s)));
    expect(result.ok || result.problems.map((p) => [p.code, p.message.split(':')[0]])).toEqual([
      ['UNDOCUMENTED_SCHEMA', `Subgraph "inventory" (${inventory.origin}) has 1 undocumented type(s) or field(s)`],
    ]);
  });
});
