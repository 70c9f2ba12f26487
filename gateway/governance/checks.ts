import { parse, Source, type ConstDirectiveNode, type DocumentNode } from 'graphql';
import { isLevel, LEVELS, levelRank, PERSONAL_DATA_CATEGORIES, stricter, type Classification, type Level } from '../../shared/classification';
import { classifiedDirectiveName, locationOf, readApplication } from './directive';
import { expandClassification, isExternal, isFielded } from './expand-classification';
import { isFederationInternalField, isFederationInternalType } from './federation-internals';
import { documentedElements, inspectDataProduct, undocumentedElements } from './descriptor';
import { lookupOwner, type OwnedSubgraph } from './owner';
import { namesPersonalData } from './personal-data';

/** What the governance checks report; each has a description in `GOVERNANCE_CODES`. */
export const GOVERNANCE_CODES = {
  UNCLASSIFIED_FIELD: 'A field has no @classified, on itself or as its type\'s default, and no policy default classification applies.',
  INVALID_CLASSIFICATION: 'A @classified names a level or personal-data category outside the vocabulary of shared/classification.ts.',
  PERSONAL_DATA_WITHOUT_CATEGORY: 'A field whose name says personal data (see gateway/governance/personal-data.ts) is CONFIDENTIAL or above without a category.',
  MISSING_OWNER: 'A subgraph has no owner: no readable descriptor with owner.team and owner.contact, and no inline owner in the config.',
  INCOMPLETE_DESCRIPTOR:
    'A data-product descriptor is unreadable or lacks (or has an invalid) name, description, version (semver), serviceLevels.freshness, serviceLevels.availability or tags.',
  UNDOCUMENTED_SCHEMA: 'A data product has a type or field without a GraphQL description (every type but the root types, every field but @external ones).',
  MISSING_DESCRIPTOR:
    'A subgraph has no data-product descriptor (`descriptor:` in the config, or data-product.yaml beside its schema file): every composed subgraph is a data product, an inline owner included.',
} as const;
export type GovernanceCode = keyof typeof GOVERNANCE_CODES;

/** A governance finding, located like a composition problem; warnings do not fail composition. */
export interface GovernanceProblem {
  code: GovernanceCode;
  severity: 'error' | 'warning';
  message: string;
  /** `file:line:column` (or the file) of each offending element. */
  locations: string[];
  subgraph?: string;
  /** The offending fields (`Type.field`) or types; empty for subgraph-level problems. */
  coordinates: string[];
}

/** One subgraph as the checks see it: its schema and where its owner is declared. */
export interface GovernedSubgraph extends OwnedSubgraph {
  name: string;
  /** Where the SDL came from, for locations. */
  origin: string;
  /** The subgraph's SDL, or its parsed document (type-level defaults expanded or not). */
  sdl: string | DocumentNode;
}

export interface GovernanceInput {
  subgraphs: GovernedSubgraph[];
  /** The policy's classification of fields their subgraph left unclassified; absent: such fields fail. */
  defaultClassification?: Level;
}

const CONFIDENTIAL_RANK = levelRank('CONFIDENTIAL');

function document(subgraph: GovernedSubgraph): DocumentNode | undefined {
  if (typeof subgraph.sdl !== 'string') return subgraph.sdl;
  try {
    return parse(new Source(subgraph.sdl, subgraph.origin));
  } catch {
    return undefined; // composition reports it as INVALID_GRAPHQL
  }
}

/** Checks the classification of one subgraph's fields (after expanding its type defaults). */
function checkClassification(subgraph: GovernedSubgraph, raw: DocumentNode, defaultClassification: Level | undefined): GovernanceProblem[] {
  const problems: GovernanceProblem[] = [];
  const name = classifiedDirectiveName(raw);
  const isClassified = (d: ConstDirectiveNode) => d.name.value === name;
  const where = (node: Parameters<typeof locationOf>[0]) => locationOf(node) ?? subgraph.origin;
  const problem = (code: GovernanceCode, message: string, coordinate: string, location: string): GovernanceProblem => ({
    code,
    severity: 'error',
    message,
    locations: [location],
    subgraph: subgraph.name,
    coordinates: [coordinate],
  });

  // Invalid applications, each reported once where it is written (type-level ones by type).
  for (const def of raw.definitions) {
    if (!isFielded(def)) continue;
    const typeName = def.name.value;
    for (const d of (def.directives ?? []).filter(isClassified)) {
      const read = readApplication(d);
      if (!read.ok) {
        problems.push(problem('INVALID_CLASSIFICATION', `@${name} on type "${typeName}" in subgraph "${subgraph.name}": ${read.reason}`, typeName, where(d)));
      }
    }
    for (const field of def.fields ?? []) {
      for (const d of (field.directives ?? []).filter(isClassified)) {
        const read = readApplication(d);
        if (!read.ok) {
          const coordinate = `${typeName}.${field.name.value}`;
          problems.push(problem('INVALID_CLASSIFICATION', `@${name} on field "${coordinate}" in subgraph "${subgraph.name}": ${read.reason}`, coordinate, where(d)));
        }
      }
    }
  }

  const defaulted: { coordinate: string; location: string }[] = [];
  for (const def of expandClassification(raw).definitions) {
    if (!isFielded(def) || isFederationInternalType(def.name.value)) continue;
    const typeName = def.name.value;
    for (const field of def.fields ?? []) {
      if (isExternal(field) || isFederationInternalField(typeName, field)) continue;
      const coordinate = `${typeName}.${field.name.value}`;
      const applications = (field.directives ?? []).filter(isClassified);
      if (applications.length === 0) {
        if (defaultClassification) defaulted.push({ coordinate, location: where(field) });
        else {
          problems.push(
            problem(
              'UNCLASSIFIED_FIELD',
              `Field "${coordinate}" in subgraph "${subgraph.name}" has no classification: add @${name}(level: …) to the field, or a default to type "${typeName}"`,
              coordinate,
              where(field),
            ),
          );
        }
        continue;
      }
      let classification: Classification | undefined;
      for (const d of applications) {
        const read = readApplication(d);
        if (read.ok) classification = classification ? stricter(classification, read.classification) : read.classification;
      }
      if (classification && levelRank(classification.level) >= CONFIDENTIAL_RANK && !classification.category && namesPersonalData(field.name.value)) {
        problems.push(
          problem(
            'PERSONAL_DATA_WITHOUT_CATEGORY',
            `Field "${coordinate}" in subgraph "${subgraph.name}" is ${classification.level} and its name says personal data, but it has no category: ` +
              `add category: one of ${PERSONAL_DATA_CATEGORIES.join(', ')}`,
            coordinate,
            where(field),
          ),
        );
      }
    }
  }
  if (defaulted.length) {
    problems.push({
      code: 'UNCLASSIFIED_FIELD',
      severity: 'warning',
      message:
        `${defaulted.length} field(s) of subgraph "${subgraph.name}" have no classification and get the policy default ` +
        `${defaultClassification}: ${defaulted.map((d) => d.coordinate).join(', ')}`,
      locations: defaulted.map((d) => d.location),
      subgraph: subgraph.name,
      coordinates: defaulted.map((d) => d.coordinate),
    });
  }
  return problems;
}

/**
 * Computational governance at composition: every field of every subgraph classified with the
 * shared vocabulary, personal data named as such, every subgraph owned. Reports every offender
 * (not the first), each located; fields defaulted by the policy come back as one warning per
 * subgraph. A subgraph whose SDL does not parse is left to composition to report.
 */
/** A policy's default classification must be a level; unset is fine (unclassified fields are then errors). */
export function checkDefaultClassification(defaultClassification: unknown): GovernanceProblem[] {
  if (defaultClassification === undefined || isLevel(defaultClassification)) return [];
  return [
    {
      code: 'INVALID_CLASSIFICATION',
      severity: 'error',
      message: `the default classification "${String(defaultClassification)}" is not one of ${LEVELS.join(', ')}`,
      locations: [],
      coordinates: [],
    },
  ];
}

export function checkGovernance(input: GovernanceInput): GovernanceProblem[] {
  const { defaultClassification } = input;
  const problems = checkDefaultClassification(defaultClassification);
  const documents = input.subgraphs.map(document);
  for (const [i, subgraph] of input.subgraphs.entries()) {
    const owner = lookupOwner(subgraph);
    if (!owner.ok) {
      problems.push({
        code: 'MISSING_OWNER',
        severity: 'error',
        message: `Subgraph "${subgraph.name}" has no owner: ${owner.reason}. Give owner.team and owner.contact in its data-product.yaml (\`descriptor:\` in the config) or inline (\`owner: { team, contact }\`)`,
        locations: [owner.location ?? subgraph.origin],
        subgraph: subgraph.name,
        coordinates: [],
      });
    }
    const doc = documents[i];
    // What the other subgraphs describe counts: a contributed entity leaves its description to its owner.
    const documentedElsewhere = new Set(documents.flatMap((d, j) => (d && j !== i ? [...documentedElements(d)] : [])));
    if (doc) problems.push(...checkClassification(subgraph, doc, isLevel(defaultClassification) ? defaultClassification : undefined));
    problems.push(...checkDataProduct(subgraph, doc, owner.ok, documentedElsewhere));
  }
  return problems;
}

/**
 * Every subgraph is a data product: its descriptor present, complete and valid, its schema
 * documented. The owner keys are MISSING_OWNER's to report (an inline owner may stand in for
 * them, never for the descriptor), as is an unreadable descriptor when no inline owner does.
 */
function checkDataProduct(subgraph: GovernedSubgraph, doc: DocumentNode | undefined, owned: boolean, documentedElsewhere: ReadonlySet<string>): GovernanceProblem[] {
  const located = (code: GovernanceCode, message: string, locations: string[], coordinates: string[] = []): GovernanceProblem => ({
    code,
    severity: 'error',
    message,
    locations,
    subgraph: subgraph.name,
    coordinates,
  });
  if (!subgraph.descriptor) {
    return [
      located(
        'MISSING_DESCRIPTOR',
        `Subgraph "${subgraph.name}" has no data-product descriptor: give it a data-product.yaml (\`descriptor:\` in the config, or beside its schema file) ` +
          'with name, description, owner, version, serviceLevels and tags; an inline owner does not replace it',
        [subgraph.origin],
      ),
    ];
  }
  const problems: GovernanceProblem[] = [];
  const read = inspectDataProduct(subgraph.descriptor);
  if (!read.readable && owned) {
    problems.push(located('INCOMPLETE_DESCRIPTOR', `Subgraph "${subgraph.name}": its descriptor ${read.file} ${read.reason}`, [read.location]));
  }
  const gaps = read.readable ? read.problems.filter((p) => p.key !== 'owner' && !p.key.startsWith('owner.')) : [];
  if (gaps.length) {
    problems.push(
      located(
        'INCOMPLETE_DESCRIPTOR',
        `Subgraph "${subgraph.name}": its descriptor ${read.file} is incomplete: ${gaps.map((p) => `${p.key} ${p.message}`).join('; ')}`,
        [...new Set(gaps.map((p) => p.location))],
      ),
    );
  }
  const undocumented = doc ? undocumentedElements(doc, documentedElsewhere) : [];
  if (undocumented.length) {
    problems.push(
      located(
        'UNDOCUMENTED_SCHEMA',
        `Subgraph "${subgraph.name}" (${subgraph.origin}) has ${undocumented.length} undocumented type(s) or field(s): ${undocumented.map((u) => u.coordinate).join(', ')}. ` +
          'Add a description ("…" or """…""") above each',
        undocumented.map((u) => u.location ?? subgraph.origin),
        undocumented.map((u) => u.coordinate),
      ),
    );
  }
  return problems;
}
