/*
 * The `PostalAddress` type inventory, sales and logistics share (@shareable), and the columns that
 * hold it in their tables: street, city, region, postal_code, country.
 */

export interface PostalAddress {
  street: string | null;
  city: string | null;
  region: string | null;
  postalCode: string | null;
  country: string | null;
}

export interface AddressColumns {
  street: string | null;
  city: string | null;
  region: string | null;
  postal_code: string | null;
  country: string | null;
}

/** A row's address columns as a GraphQL `PostalAddress`. */
export function postalAddress(row: AddressColumns): PostalAddress {
  return { street: row.street, city: row.city, region: row.region, postalCode: row.postal_code, country: row.country };
}

/** An address as the columns that store it; an address without a region stores null. */
export function addressColumns(address: Omit<PostalAddress, 'region'> & { region?: string | null }): AddressColumns {
  return { street: address.street, city: address.city, region: address.region ?? null, postal_code: address.postalCode, country: address.country };
}
