import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fillerPieces, generateText } from '../../src/simulator/textGen';
import { SimTokenizer } from '../../src/simulator/tokenizer';

// The request path tokenizes cached parts instead of the whole text; a different split would change token counts.
test('generated text tokenizes the same whole or in its cached parts, for 500 seeds', () => {
  const tok = new SimTokenizer();
  for (let seed = 0; seed < 500; seed++) {
    const g = generateText(seed, true);
    assert.deepEqual(g.answerParts.flatMap((p) => tok.pieces(p)), tok.pieces(g.answer));
    assert.deepEqual(g.reasoningParts.flatMap((p) => tok.pieces(p)), tok.pieces(g.reasoning));
    const filler = fillerPieces(seed, 300, (t) => tok.pieces(t));
    assert.ok(filler.length >= 300);
    assert.deepEqual(tok.pieces(filler.join('')), filler);
  }
});
