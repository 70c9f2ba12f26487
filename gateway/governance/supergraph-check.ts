import { parse, Source, type DocumentNode } from 'graphql';
import { isLevel, levelRank, PERSONAL_DATA_CATEGORIES, type Level } from '../../shared/classification';
import { MeshgateError } from '../../shared/errors';
import { checkDefaultClassification, type GovernanceProblem } from './checks';
import { scanSupergraph } from './classification-map';
import { namesPersonalData } from './personal-data';

export interface SupergraphCheckOptions {
  /** The policy's classification of unclassified fields; absent: they are errors. */
  defaultClassification?: Level;
  /** The supergraph's file name, for locations. */
  source?: string;
}

/**
 * Governance of a supergraph composed elsewhere (`meshgate gateway --supergraph FILE`): every
 * field of its classification map classified (or defaulted by the policy, reported as one warning),
 * every application valid, personal data named. Throws CONFIG_INVALID when it is not GraphQL.
 */
export function checkSupergraphClassification(supergraphSdl: string, options: SupergraphCheckOptions = {}): GovernanceProblem[] {
  const source = options.source ?? 'supergraph.graphql';
  let doc: DocumentNode;
  try {
    doc = parse(new Source(supergraphSdl, source));
  } catch (err) {
    throw new MeshgateError('CONFIG_INVALID', `the supergraph ${source} is not valid GraphQL: ${(err as Error).message}`);
  }
  const { defaultClassification } = options;
  const problems = checkDefaultClassification(defaultClassification);
  const scan = scanSupergraph(doc);
  for (const invalid of scan.invalid) {
    problems.push({
      code: 'INVALID_CLASSIFICATION',
      severity: 'error',
      message: `@classified on "${invalid.coordinate}" in the supergraph: ${invalid.reason}`,
      locations: invalid.location ? [invalid.location] : [source],
      coordinates: [invalid.coordinate],
    });
  }
  const unclassified = scan.fields.filter((f) => !f.classification);
  if (unclassified.length && isLevel(defaultClassification)) {
    problems.push({
      code: 'UNCLASSIFIED_FIELD',
      severity: 'warning',
      message: `${unclassified.length} field(s) of the supergraph have no classification and get the policy default ${defaultClassification}: ${unclassified.map((f) => f.coordinate).join(', ')}`,
      locations: unclassified.map((f) => f.location ?? source),
      coordinates: unclassified.map((f) => f.coordinate),
    });
  } else {
    for (const f of unclassified) {
      problems.push({
        code: 'UNCLASSIFIED_FIELD',
        severity: 'error',
        message: `Field "${f.coordinate}" of the supergraph has no classification (no @classified from any subgraph), and no policy default classification is given`,
        locations: [f.location ?? source],
        coordinates: [f.coordinate],
      });
    }
  }
  for (const f of scan.fields) {
    const c = f.classification;
    if (c && levelRank(c.level) >= levelRank('CONFIDENTIAL') && !c.category && namesPersonalData(f.fieldName)) {
      problems.push({
        code: 'PERSONAL_DATA_WITHOUT_CATEGORY',
        severity: 'error',
        message: `Field "${f.coordinate}" of the supergraph is ${c.level} and its name says personal data, but it has no category (one of ${PERSONAL_DATA_CATEGORIES.join(', ')})`,
        locations: [f.location ?? source],
        coordinates: [f.coordinate],
      });
    }
  }
  return problems;
}
