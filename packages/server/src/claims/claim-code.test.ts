import assert from 'node:assert/strict';
import { test } from 'node:test';
import { claimCodeHash, newClaimCode, normaliseClaimCode } from './claim-code.js';

test('new codes are four groups of four Crockford characters, and differ', () => {
  const codes = new Set(Array.from({ length: 1000 }, () => newClaimCode()));
  assert.equal(codes.size, 1000);
  for (const code of codes) assert.match(code, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
});

test('every character position carries randomness (80 bits)', () => {
  const seen = Array.from({ length: 16 }, () => new Set<string>());
  for (let round = 0; round < 2000; round++) {
    [...newClaimCode().replace(/-/g, '')].forEach((character, index) => seen[index]!.add(character));
  }
  // 2,000 draws of 32 symbols: every position should show nearly all of them.
  for (const symbols of seen) assert.ok(symbols.size >= 30, `a position showed only ${symbols.size} symbols`);
});

test('typing variations normalise to the same code', () => {
  const code = newClaimCode();
  const compact = code.replace(/-/g, '');
  for (const typed of [code, compact, code.toLowerCase(), ` ${code.replace(/-/g, ' ')} `]) {
    assert.equal(normaliseClaimCode(typed), compact, typed);
    assert.equal(claimCodeHash(typed), claimCodeHash(code));
  }
  assert.equal(normaliseClaimCode('0I1L-OOOO-2222-3333'), '0111000022223333');
});

test('text that cannot be a code normalises to null', () => {
  for (const typed of ['', 'ABCD-EFGH-JKMN', 'ABCD-EFGH-JKMN-PQRS-T', 'UUUU-EFGH-JKMN-PQRS', 'ABCD_EFGH_JKMN_PQRS']) {
    assert.equal(normaliseClaimCode(typed), null, typed);
    assert.equal(claimCodeHash(typed), null);
  }
});
