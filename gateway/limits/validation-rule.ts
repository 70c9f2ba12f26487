import type { ValidationRule } from 'graphql';
import type { ErrorCode } from '../../shared/errors';
import { measureDocument, type OperationMeasures } from './measure';
import { count, LimitRefusal } from './refusal';
import type { LimitSettings } from './settings';

const CHECKS: { measure: keyof OperationMeasures; limit: keyof LimitSettings; code: ErrorCode; what: string }[] = [
  { measure: 'depth', limit: 'maxDepth', code: 'DEPTH_LIMIT_EXCEEDED', what: 'nests fields {n} deep' },
  { measure: 'introspectionDepth', limit: 'maxIntrospectionDepth', code: 'INTROSPECTION_DEPTH_LIMIT_EXCEEDED', what: 'nests introspection fields {n} deep' },
  { measure: 'aliases', limit: 'maxAliases', code: 'ALIAS_LIMIT_EXCEEDED', what: 'uses {n} aliases' },
  { measure: 'rootFields', limit: 'maxRootFields', code: 'ROOT_FIELD_LIMIT_EXCEEDED', what: 'selects {n} root fields' },
  { measure: 'directives', limit: 'maxDirectives', code: 'DIRECTIVE_LIMIT_EXCEEDED', what: 'carries {n} directives' },
  { measure: 'selections', limit: 'maxSelections', code: 'SELECTION_LIMIT_EXCEEDED', what: 'selects {n} fields once its fragments are expanded' },
];

/**
 * The document limits as a graphql validation rule: Apollo runs it once per new document, before
 * any plugin walks the operation and before the gateway plans it. Every exceeded limit is reported.
 */
export function documentLimitsRule(settings: LimitSettings): ValidationRule {
  return (context) => ({
    Document(document) {
      for (const [operation, measures] of measureDocument(document)) {
        const name = operation.name ? `operation ${operation.name.value}` : 'the operation';
        for (const check of CHECKS) {
          const max = settings[check.limit] as number;
          if (measures[check.measure] <= max) continue;
          const message = `${name} ${check.what.replace('{n}', count(measures[check.measure]))}; the limit is ${max} (meshgate.limits.${check.limit})`;
          context.reportError(new LimitRefusal(check.code, message));
        }
      }
    },
  });
}
