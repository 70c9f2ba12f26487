import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createSignatureCache } from '../../gateway/audit/operation-signature';

const signatureOf = (source: string, operationName: string | null = null) => createSignatureCache().get('hash', operationName, source)!.signature;

describe('audit operation signature: no argument literal in clear', () => {
  it('blanks string, number, list, object, enum and boolean literals, in arguments, directives and variable defaults', () => {
    const source = `query Q($d: SortDirection = DESC, $b: Boolean = true, $s: String = "zz-default", $n: Int = 4242) {
      orders(first: 17, status: CANCELLED, filter: { customerId: "C000001", late: true }, ids: ["a", "b"], ratio: 0.75, open: false) @include(if: true) {
        id @skip(if: $b)
        total(currency: EUR, rounded: true)
      }
      products(orderBy: { direction: $d }, search: $s, first: $n) { id }
    }`;
    const signature = signatureOf(source, 'Q');
    for (const literal of ['DESC', 'CANCELLED', 'EUR', 'true', 'zz-default', '4242', '17', 'C000001', '0.75', '"a"']) expect(signature).not.toContain(literal);
    expect(signature).toContain('status:_');
    expect(signature).toContain('currency:_');
    expect(signature).toContain('@include(if:false)');
    expect(signature).toContain('$d:SortDirection=_');
    expect(signature).toContain('$b:Boolean=false');
    expect(signature).toContain('@skip(if:$b)'); // variables stay names
    expect(signature).toContain('first:0');
  });

  it('two operations differing only in an enum or boolean literal share a signature and hash', () => {
    const cache = createSignatureCache();
    const a = cache.get('a', null, '{ orders(status: OPEN) { id @include(if: true) } }')!;
    const b = cache.get('b', null, '{ orders(status: SHIPPED) { id @include(if: false) } }')!;
    expect(a).toEqual(b);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('leaves the given document untouched (Apollo caches it)', () => {
    const document = parse('{ orders(status: OPEN, open: true) { id } }', { noLocation: true });
    const before = JSON.stringify(document);
    createSignatureCache().get('h', null, undefined, document);
    expect(JSON.stringify(document)).toBe(before);
  });
});
