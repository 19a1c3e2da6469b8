import { test } from 'node:test';
import assert from 'node:assert/strict';
import { terminalSafe } from '../../src/cli/terminalText';

// Terminal-escape fault: `deepseek-deploy chat` on a terminal prints the model's text; a hostile model must not be able
// to clear the screen, rewrite lines, set the title or write the clipboard (OSC 52) through it.
test('terminal-escape fault: control sequences in model text are shown as U+FFFD; tabs, newlines and Unicode text stay', () => {
  const hostile = 'ok\x1b[2J\x1b]0;pwned\x07\x1b]52;c;ZWNobyBoaQ==\x07\rover\bX\x9b31m';
  const shown = terminalSafe(hostile);
  // eslint-disable-next-line no-control-regex
  assert.equal(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(shown), false, JSON.stringify(shown));
  assert.equal(shown, 'ok\uFFFD[2J\uFFFD]0;pwned\uFFFD\uFFFD]52;c;ZWNobyBoaQ==\uFFFD\uFFFDover\uFFFDX\uFFFD31m');
  const prose = 'Line 1\n\tindented — 深度求索 🐋 x² ≤ y';
  assert.equal(terminalSafe(prose), prose);
});
