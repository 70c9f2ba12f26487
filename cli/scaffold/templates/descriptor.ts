import type { DomainNames } from '../names';

export interface Owner {
  team: string;
  contact: string;
}

/** data-product.yaml: complete as governance requires (name, description, owner, semver version, service levels, tags). */
export const dataProductYaml = (n: DomainNames, owner: Owner) => `# The ${n.domain} data product: what it offers, who owns it, what it promises.
name: ${n.domain}
title: ${n.title}
description: >
  The ${n.title} domain's items, each with a name, a description and when it was recorded.
  Scaffolded by meshgate new-domain: describe what the data product really offers.
owner:
  team: ${JSON.stringify(owner.team)}
  contact: ${JSON.stringify(owner.contact)}
version: 0.1.0
serviceLevels:
  freshness: 1d
  availability: "99%"
tags: [${n.domain}]
entities:
  ${n.entity}: Owned here.
`;
