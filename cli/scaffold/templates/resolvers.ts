import type { DomainNames } from '../names';

/** resolvers.ts: the list, the by-id query and the entity's reference resolver. */
export const resolversTs = (n: DomainNames) => `import type { DomainContext } from '../../shared/domain';
import { connectionResolvers, mapConnection, pageSize, type PageArgs } from '../../shared/pagination';
import * as data from './data';
import type { ${n.pascal}Loaders } from './loaders';

type Ctx = DomainContext<${n.pascal}Loaders>;

const item = (row: data.ItemRow) => ({
  id: row.id,
  name: row.name,
  description: row.description,
  createdAt: row.created_at,
});

async function itemById(id: string | number, ctx: Ctx) {
  const row = await ctx.loaders.item.load(id);
  return row && item(row);
}

export const resolvers = {
  ${n.entity}Connection: connectionResolvers,

  Query: {
    ${n.listField}: async (_: unknown, args: PageArgs, ctx: Ctx) => {
      const page = await data.itemPage(ctx.db, pageSize(args.first), args.after);
      // Items of the page are primed: a later lookup of one in this request needs no statement.
      for (const row of page.nodes) ctx.loaders.item.prime(row.id, row);
      return { ...mapConnection(page, item), totalCount: () => data.countItems(ctx.db) };
    },
    ${n.byIdField}: (_: unknown, { id }: { id: string }, ctx: Ctx) => itemById(id, ctx),
  },

  ${n.entity}: {
    __resolveReference: (ref: { id: string }, ctx: Ctx) => itemById(ref.id, ctx),
  },
};
`;
