import { MeshgateError } from '../../shared/errors';

/** Every identifier a scaffolded domain uses, derived once from its kebab-case name. */
export interface DomainNames {
  /** The domain's name, folder and subgraph name: `loyalty-program`. */
  domain: string;
  /** The `Domain` value exported from its index.ts: `loyaltyProgram`. */
  camel: string;
  /** Type-name prefix: `LoyaltyProgram`. */
  pascal: string;
  /** For people: `Loyalty Program`. */
  title: string;
  /** The entity type the domain owns: `LoyaltyProgramItem`. */
  entity: string;
  /** Root list field: `loyaltyProgramItems`; by-id field: `loyaltyProgramItem`. */
  listField: string;
  byIdField: string;
}

const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
// `index` would clash with subgraphs/index.ts, the registry.
const RESERVED = new Set(['index']);

/** Derives the names; a name that is not kebab-case (or is reserved) is refused with DOMAIN_NAME_INVALID. */
export function domainNames(domain: string): DomainNames {
  if (!KEBAB.test(domain) || RESERVED.has(domain)) {
    throw new MeshgateError(
      'DOMAIN_NAME_INVALID',
      `invalid domain name "${domain}": use kebab-case (lower-case letters and digits, words joined by "-", starting with a letter), e.g. loyalty-program`,
    );
  }
  const words = domain.split('-');
  const cap = (w: string) => w[0].toUpperCase() + w.slice(1);
  const pascal = words.map(cap).join('');
  const camel = pascal[0].toLowerCase() + pascal.slice(1);
  return {
    domain,
    camel,
    pascal,
    title: words.map(cap).join(' '),
    entity: `${pascal}Item`,
    listField: `${camel}Items`,
    byIdField: `${camel}Item`,
  };
}
