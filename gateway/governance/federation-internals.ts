import type { FieldDefinitionNode } from 'graphql';

/**
 * Federation and link machinery, in a subgraph's `_service.sdl` or a supergraph: never client
 * data, so never classified or documented (`join__*`, `link__*`, `federation__*` such as the
 * `federation__FieldSet` a running subgraph's `_service.sdl` declares, `_Service`, `_Entity`, `_Any`, introspection).
 */
export function isFederationInternalType(name: string): boolean {
  return (
    name.startsWith('join__') ||
    name.startsWith('link__') ||
    name.startsWith('federation__') ||
    name.startsWith('__') ||
    name === '_Service' ||
    name === '_Entity' ||
    name === '_Any'
  );
}

/** `Query._service`, `Query._entities` (gateway-only entry points) and introspection fields. */
export function isFederationInternalField(typeName: string, field: FieldDefinitionNode): boolean {
  return field.name.value.startsWith('__') || (typeName === 'Query' && (field.name.value === '_service' || field.name.value === '_entities'));
}
