import { evaluatedRoleIs } from '../rules/principal';
import type { DomainRules } from './types';

/** Sales reps are employees: only hr and admin see any of their fields, on top of the global rules. */
export const isHrOrAdmin = evaluatedRoleIs('sales:isHrOrAdmin', 'hr', 'admin');

export const salesRules: DomainRules = {
  domain: 'sales',
  rules: { SalesRep: isHrOrAdmin },
};
