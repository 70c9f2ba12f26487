import { inputRule } from 'graphql-shield';
import { evaluatedRoleIs } from '../rules/principal';
import type { DomainRules } from './types';

/** Sales reps are employees: only hr and admin see any of their fields, on top of the global rules. */
export const isHrOrAdmin = evaluatedRoleIs('sales:isHrOrAdmin', 'hr', 'admin');

/**
 * A customer's or rep's orders are listed at most 50 at a time: with many parents in one
 * operation, larger nested pages multiply into result sets the sales database should not serve.
 */
export const nestedOrderPageOfAtMost50 = inputRule('sales:nestedOrderPageOfAtMost50')((yup) =>
  yup.object({ first: yup.number().nullable().max(50) }),
);

export const salesRules: DomainRules = {
  domain: 'sales',
  rules: {
    SalesRep: isHrOrAdmin,
    Customer: { orders: nestedOrderPageOfAtMost50 },
  },
};
