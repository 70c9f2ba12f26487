import type { Domain } from '../shared/domain';
import { customerExperience } from './customer-experience';
import { inventory } from './inventory';
import { logistics } from './logistics';
import { sales } from './sales';

/** Every domain data product of the demo mesh, by name. Used by the CLI and the tests only. */
export const domains: Record<string, Domain> = {
  inventory,
  sales,
  logistics,
  'customer-experience': customerExperience,
};

export function domainNamed(name: string): Domain | undefined {
  return Object.hasOwn(domains, name) ? domains[name] : undefined;
}
