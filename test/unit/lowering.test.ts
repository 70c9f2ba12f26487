import { describe, expect, it } from 'vitest';
import { loweredClassifications } from '../../gateway/checks/lowering';
import { CLASSIFICATION_SPEC_URL, CLASSIFIED_DIRECTIVE_SDL } from '../../shared/classification';

// `meshgate check`'s third rule: a field's classification may not go down without an override.

const sdl = (body: string) => `extend schema @link(url: "${CLASSIFICATION_SPEC_URL}", import: ["@classified"])
${CLASSIFIED_DIRECTIVE_SDL}
${body}`;

const CURRENT = sdl(`
type Query @classified(level: "PUBLIC") { customer(id: ID!): Customer }
type Customer @classified(level: "CONFIDENTIAL") {
  id: ID! @classified(level: "PUBLIC")
  notes: String
  email: String @classified(level: "CONFIDENTIAL", category: "CONTACT")
  phone: String @classified(level: "CONFIDENTIAL", category: "CONTACT")
  score: Int @classified(level: "RESTRICTED")
}
type Ledger {
  balance: Float @classified(level: "CONFIDENTIAL")
  memo: String @classified(level: "INTERNAL")
}`);

const none = new Set<string>();

describe('loweredClassifications', () => {
  it('finds nothing when nothing changes, and ignores raised, removed and new fields', () => {
    expect(loweredClassifications(CURRENT, CURRENT, none)).toEqual([]);
    const proposed = CURRENT.replace('  score: Int @classified(level: "RESTRICTED")\n', '  added: Int @classified(level: "PUBLIC")\n').replace(
      'memo: String @classified(level: "INTERNAL")',
      'memo: String @classified(level: "RESTRICTED")',
    );
    expect(loweredClassifications(CURRENT, proposed, none)).toEqual([]);
  });

  it('a lower level, and a personal-data category dropped at the same level, are lowerings', () => {
    const proposed = CURRENT.replace('score: Int @classified(level: "RESTRICTED")', 'score: Int @classified(level: "INTERNAL")').replace(
      'email: String @classified(level: "CONFIDENTIAL", category: "CONTACT")',
      'email: String @classified(level: "CONFIDENTIAL")',
    );
    expect(loweredClassifications(CURRENT, proposed, new Set(['Customer.score']))).toEqual([
      { coordinate: 'Customer.email', from: { level: 'CONFIDENTIAL', category: 'CONTACT' }, to: { level: 'CONFIDENTIAL' }, allowed: false },
      { coordinate: 'Customer.score', from: { level: 'RESTRICTED' }, to: { level: 'INTERNAL' }, allowed: true },
    ]);
  });

  it('lowering a type-level default lowers every field that inherits it, and only those', () => {
    const proposed = CURRENT.replace('type Customer @classified(level: "CONFIDENTIAL") {', 'type Customer @classified(level: "INTERNAL") {');
    expect(loweredClassifications(CURRENT, proposed, none)).toEqual([{ coordinate: 'Customer.notes', from: { level: 'CONFIDENTIAL' }, to: { level: 'INTERNAL' }, allowed: false }]);
    // A field's own application deleted: it falls back to its type's default.
    const bare = CURRENT.replace('phone: String @classified(level: "CONFIDENTIAL", category: "CONTACT")', 'phone: String');
    expect(loweredClassifications(CURRENT, bare, none)).toEqual([{ coordinate: 'Customer.phone', from: { level: 'CONFIDENTIAL', category: 'CONTACT' }, to: { level: 'CONFIDENTIAL' }, allowed: false }]);
  });

  it('a field left without @classified counts as the policy default, as the gateway serves it', () => {
    const deleted = CURRENT.replace('balance: Float @classified(level: "CONFIDENTIAL")', 'balance: Float');
    expect(loweredClassifications(CURRENT, deleted, none, 'INTERNAL')).toEqual([{ coordinate: 'Ledger.balance', from: { level: 'CONFIDENTIAL' }, to: { level: 'INTERNAL' }, allowed: false }]);
    expect(loweredClassifications(CURRENT, deleted, none, 'CONFIDENTIAL')).toEqual([]);
    // Without a default the field is unclassified: governance refuses it (UNCLASSIFIED_FIELD), not this rule.
    expect(loweredClassifications(CURRENT, deleted, none)).toEqual([]);
    // A field that had only the default, given a lower level of its own, is lowered too.
    const unclassified = CURRENT.replace('memo: String @classified(level: "INTERNAL")', 'memo: String');
    const explicit = CURRENT.replace('memo: String @classified(level: "INTERNAL")', 'memo: String @classified(level: "PUBLIC")');
    expect(loweredClassifications(unclassified, explicit, none, 'CONFIDENTIAL')).toEqual([{ coordinate: 'Ledger.memo', from: { level: 'CONFIDENTIAL' }, to: { level: 'PUBLIC' }, allowed: false }]);
  });

  it('leaves SDL that does not parse to composition', () => {
    expect(loweredClassifications(CURRENT, 'type {', none, 'PUBLIC')).toEqual([]);
  });
});
