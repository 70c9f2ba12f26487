import { graphqlBody, probe, type Probe } from './load';
import type { Mesh } from './mesh';
import { GATEWAYS, GOVERNED, ownRowsOnly, readsTokens, type GatewayName, type Operation, type Workload } from './workloads';

/** Why a response is not valid data for an operation, or undefined when it is. */
function problemWith({ status, body }: Probe, operation: Operation, minItems: number): string | undefined {
  const nodes = body?.data?.[operation.list]?.nodes;
  return body?.errors?.length ? `HTTP ${status}, errors: ${body.errors.map((e) => e.message).join('; ')}`
    : status !== 200 ? `HTTP ${status}`
    : !Array.isArray(nodes) ? `no data.${operation.list}.nodes in the response`
    : nodes.length < minItems ? `${nodes.length} ${operation.list}, expected at least ${minItems}`
    : undefined;
}

/** The governed gateway must refuse a token it cannot verify: proof that its pipeline is on. */
async function verifyGovernanceOn(mesh: Mesh): Promise<void> {
  const { status, body } = await probe(mesh.gateways[GOVERNED].url, graphqlBody('{ __typename }'), { authorization: 'Bearer not.a.token' });
  const code = body?.errors?.[0]?.extensions?.code;
  if (status !== 401 || code !== 'UNAUTHENTICATED') throw new Error(`the governed gateway accepted an unverifiable token (HTTP ${status}, ${code ?? 'no error code'}): its pipeline is not on`);
}

/** Response size per gateway and workload: the mean over the workload's requests, in KB. */
export type ResponseSizes = Map<string, number>;
export const sizeKey = (gateway: GatewayName, workload: string) => `${workload}@${gateway}`;

/**
 * Sends every distinct request of the workloads once to every gateway and throws unless each
 * returns the expected data without any error: a benchmark of failing requests measures nothing.
 * The governed gateways get each operation once per caller (their answer depends on the caller);
 * the others, which ignore the token, each operation once. `onGoverned` counts requests the
 * governed gateway was sent.
 */
export async function verifyWorkloads(mesh: Mesh, workloads: Workload[], onGoverned: (requests: number) => void): Promise<ResponseSizes> {
  onGoverned(1);
  await verifyGovernanceOn(mesh);
  const sizes: ResponseSizes = new Map();
  const pairs = workloads.flatMap((w) => w.steps.flatMap((step) => step.principals.map((principal) => ({ workload: w.name, operation: step.operation, principal }))));
  for (const gateway of GATEWAYS) {
    const keyOf = (p: (typeof pairs)[number]) => (readsTokens(gateway) ? `${p.operation.name} ${p.principal}` : p.operation.name);
    const distinct = [...new Map(pairs.map((p) => [keyOf(p), p])).values()];
    if (gateway === GOVERNED) onGoverned(distinct.length);
    const bytes = new Map(
      await Promise.all(
        distinct.map(async (p) => {
          const response = await probe(mesh.gateways[gateway].url, graphqlBody(p.operation.query), mesh.tokens.headersOf(p.principal));
          const problem = problemWith(response, p.operation, ownRowsOnly(p.principal) ? 1 : p.operation.minItems);
          if (problem) throw new Error(`${gateway}: ${p.operation.name} as ${p.principal} does not return valid data (${problem})`);
          return [keyOf(p), response.bytes] as const;
        }),
      ),
    );
    for (const w of workloads) {
      const mine = pairs.filter((p) => p.workload === w.name).map((p) => bytes.get(keyOf(p))!);
      sizes.set(sizeKey(gateway, w.name), mine.reduce((a, b) => a + b, 0) / mine.length / 1024);
    }
  }
  return sizes;
}
