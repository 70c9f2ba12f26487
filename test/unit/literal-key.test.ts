import { describe, expect, it } from 'vitest';
import { literalKey } from '../../shared/literal-key';

describe('literalKey: response keys as literals in generated code', () => {
  it('quotes GraphQL names, Object.prototype members and hidden aliases included', () => {
    for (const name of ['id', '_x9', 'constructor', '__proto__', '__meshgate_key_id']) expect(JSON.parse(literalKey(name))).toBe(name);
  });

  it('refuses anything the GraphQL grammar does not allow as a name', () => {
    for (const name of ['', '9lives', 'a-b', 'a"]; process.exit(1); //', 'x\u2028', 'é']) {
      expect(() => literalKey(name)).toThrow(expect.objectContaining({ code: 'INTERNAL_SERVER_ERROR' }));
    }
  });
});
