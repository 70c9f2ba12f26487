export { checkGovernance, GOVERNANCE_CODES, type GovernanceCode, type GovernanceInput, type GovernanceProblem, type GovernedSubgraph } from './checks';
export { classificationOf, readClassifications, scanSupergraph, type ClassificationMap, type ScannedField, type SupergraphScan } from './classification-map';
export { classifiedDirectiveName, readApplication } from './directive';
export { freshnessMs, inspectDataProduct, readDataProduct, undocumentedElements, type DataProduct, type DescriptorInspection, type DescriptorProblem } from './descriptor';
export { expandClassification } from './expand-classification';
export { lookupOwner, type Owner, type OwnedSubgraph } from './owner';
export { namesPersonalData } from './personal-data';
export { checkSupergraphClassification, type SupergraphCheckOptions } from './supergraph-check';
