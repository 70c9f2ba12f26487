import type { DomainNames } from '../names';

/** The subgraph schema: one entity with a key, its paginated list and a by-id query, every type and field classified and described. */
export const schemaGraphql = (n: DomainNames) => `extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@composeDirective"])
  @link(url: "https://meshgate.dev/classification/v1.0", import: ["@classified"])
  @composeDirective(name: "@classified")

# Data classification (shared/classification.ts): a type's @classified is the default for its
# fields here, a field's own @classified overrides it. Levels PUBLIC < INTERNAL < CONFIDENTIAL <
# RESTRICTED; category names the kind of personal data (CONTACT, IDENTITY, FINANCIAL, FREE_TEXT,
# LOCATION) and is present exactly when the field holds personal data.
directive @classified(level: String!, category: String) repeatable on OBJECT | INTERFACE | FIELD_DEFINITION

"""
An item of the ${n.domain} data product. Owned by the ${n.domain} domain; other subgraphs may add
fields to it by its id. Replace this description with what the item really is.
"""
type ${n.entity} @key(fields: "id") @classified(level: "INTERNAL") {
  "Item number, unique in the ${n.domain} domain."
  id: ID! @classified(level: "PUBLIC")
  "Name of the item."
  name: String! @classified(level: "PUBLIC")
  "What the item is, in a sentence; null when not recorded."
  description: String
  "When the item was recorded (ISO 8601 timestamp, UTC)."
  createdAt: String!
}

# Value types shared with other subgraphs: kept identical to inventory's, descriptions included.
"Cursor pagination, as in the Relay connection specification."
type PageInfo @shareable @classified(level: "PUBLIC") {
  "Whether another page follows this one."
  hasNextPage: Boolean!
  "Pass as \`after\` to fetch the next page."
  endCursor: String
}

"An item with its position in a list."
type ${n.entity}Edge @classified(level: "INTERNAL") {
  "Pass as \`after\` to continue after this item."
  cursor: String!
  "The item."
  node: ${n.entity}!
}

"A page of items."
type ${n.entity}Connection @classified(level: "INTERNAL") {
  "The items of the page, each with its cursor."
  edges: [${n.entity}Edge!]!
  "The items of the page, without cursors."
  nodes: [${n.entity}!]!
  "Whether and where the list continues."
  pageInfo: PageInfo!
  "Number of items over all pages."
  totalCount: Int!
}

type Query @classified(level: "INTERNAL") {
  "Items by name, at most 100 per page."
  ${n.listField}(first: Int = 20, after: String): ${n.entity}Connection!
  "An item by id; null when there is none."
  ${n.byIdField}(id: ID!): ${n.entity}
}
`;
