import { salesRules } from './sales';
import type { DomainRules } from './types';

export type { DomainRules } from './types';

/** Every domain's rules; add a domain's file here. */
export const domainRules: readonly DomainRules[] = [salesRules];
