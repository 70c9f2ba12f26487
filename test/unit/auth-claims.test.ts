import { describe, expect, it } from 'vitest';
import { anonymousPrincipal, principalFromClaims } from '../../gateway/auth/claims';

describe('claims to principal', () => {
  it('maps the claims; the x-purpose header outranks the purpose claim; the token client outranks the header', () => {
    const principal = principalFromClaims(
      { sub: 'alice', roles: ['analyst'], scope: 'a  b', purposes: 'x y', purpose: 'x', azp: 'crm', customer_id: 'C1' },
      { 'x-purpose': ' y ', 'apollographql-client-name': 'spoof', 'apollographql-client-version': '3' },
    );
    expect(principal).toEqual({
      subject: 'alice',
      roles: ['analyst'],
      scopes: ['a', 'b'],
      grantedPurposes: ['x', 'y'],
      purpose: 'y',
      client: { name: 'crm', version: '3' },
      attributes: { customerId: 'C1' },
    });
  });

  it('refuses claims of the wrong shape with UNAUTHENTICATED', () => {
    for (const claims of [{ sub: 'a', roles: [1] }, { sub: 'a', scope: 5 }, { sub: 'a', customer_id: 42 }, { sub: 7 }, {}]) {
      expect(() => principalFromClaims(claims as any, {})).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED', reason: 'TOKEN_CLAIMS' }) }));
    }
  });

  it('gives an anonymous caller no identity, but keeps its declared purpose and client headers', () => {
    expect(anonymousPrincipal({ 'x-purpose': 'marketing', 'apollographql-client-name': 'web' })).toMatchObject({ subject: null, roles: [], purpose: 'marketing', client: { name: 'web', version: null } });
  });
});
