import path from 'node:path';
import { assertKnownPolicies, DEFAULT_POLICY_FILE, loadPolicy } from '../policies';
import type { Policy } from '../policies/types';
import { MeshgateError } from '../shared/errors';
import { createLogger, type Logger } from '../shared/logger';
import type { AuditSink } from './audit/types';
import { catalogSource } from './authorization/catalog';
import { readClassifications } from './governance';
import type { GatewayMetrics } from './observability/metrics';
import { tracedPlugin } from './observability/tracing';
import { parseLimitSettings } from './limits/settings';
import { useAudit } from './plugins/audit';
import { useAuthenticate } from './plugins/authenticate';
import { useAuthorize, type AuthorizationMode } from './plugins/authorize';
import { useIntrospection } from './plugins/introspection';
import { useLimits } from './plugins/limit';
import { useMask } from './plugins/mask';
import { useMetrics } from './plugins/metrics';
import type { MeshgatePlugin } from './plugins/types';

export interface GovernanceSettings {
  /** The policy file (`meshgate.policy`), resolved against the config's folder; default policies/policy.yaml. */
  policyFile: string;
  mode: AuthorizationMode;
}

const MODES: AuthorizationMode[] = ['enforce', 'strict', 'dry-run'];

/** Reads `meshgate.policy` and `meshgate.governance` from the config's `meshgate:` section. */
export function governanceSettings(settings: Record<string, unknown>, baseDir: string): GovernanceSettings {
  const policy = settings.policy;
  if (policy !== undefined && typeof policy !== 'string') throw new MeshgateError('CONFIG_INVALID', 'meshgate.policy must be the path of a policy file');
  const governance = (settings.governance ?? {}) as Record<string, unknown>;
  const mode = governance.mode ?? 'enforce';
  if (!MODES.includes(mode as AuthorizationMode)) {
    throw new MeshgateError('CONFIG_INVALID', `meshgate.governance.mode must be one of ${MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  }
  return { policyFile: policy ? path.resolve(baseDir, policy) : DEFAULT_POLICY_FILE, mode: mode as AuthorizationMode };
}

export interface PipelineOptions {
  /** The config's `meshgate:` section and the folder its relative paths resolve against. */
  settings: Record<string, unknown>;
  baseDir: string;
  /** A loaded policy; default: the one `meshgate.policy` names. */
  policy?: Policy;
  logger?: Logger;
  /** Where audit events go; given, the audit step runs last and records every operation. */
  audit?: AuditSink;
  /** Prometheus metrics; given, the metrics step runs last and observes every request. */
  metrics?: GatewayMetrics;
}

/**
 * The governed gateway's request pipeline, in order: who is asking, whether the request is within
 * the abuse limits, what they may discover,
 * what they may read, and what leaves the gateway masked. Each step is one file in plugins/.
 */
export function createPipeline(options: PipelineOptions): { plugins: MeshgatePlugin[]; policy: Policy } {
  const { policyFile, mode } = governanceSettings(options.settings, options.baseDir);
  const policy = options.policy ?? loadPolicy(policyFile);
  // Each loaded supergraph is read once; authorize, introspection and audit share the result.
  const catalogOf = catalogSource(readClassifications, policy.defaultClassification);
  const classified = { policy, catalogOf };
  const plugins = [
    useAuthenticate({ settings: options.settings.auth, baseDir: options.baseDir, anonymous: policy.anonymous, logger: options.logger }),
    useLimits(parseLimitSettings(options.settings.limits, options.baseDir)),
    useIntrospection({ ...classified, anonymous: process.env.NODE_ENV !== 'production' }),
    useAuthorize({ ...classified, mode, checkRequirements: (requirements) => assertKnownPolicies(requirements), logger: options.logger }),
    useMask({ policy }),
  ];
  if (options.audit) plugins.push(useAudit({ sink: options.audit, logger: options.logger, catalogOf }));
  // Last: its willSendResponse sees the response as it leaves, after mask added its errors.
  if (options.metrics) plugins.push(useMetrics(options.metrics, options.logger ?? createLogger('gateway')));
  // With tracing on, each step's hooks run in their own spans (nothing is wrapped when it is off).
  return { plugins: plugins.map(tracedPlugin), policy };
}
