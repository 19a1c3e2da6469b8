import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { remoteHomePath, shellVar, shJoinRemote, shQuote, shQuoteRemote, showShellVars } from '../../src/core/ssh/shellQuote';

const bashPrints = (words: readonly string[], env: Record<string, string> = {}): string[] =>
  spawnSync('bash', ['-c', `printf '%s\\0' ${shJoinRemote(words)}`], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } }).stdout.split('\0').slice(0, -1);

test('user text stays literal ($VAR, ${VAR}, ~, $(…)); only variables our code adds with shellVar expand', () => {
  const literal = ['$HOME', '${SLURM_NODEID}', '~/x', '~', '$(id)', "a'b", ''];
  assert.deepEqual(bashPrints(literal, { HOME: '/h', SLURM_NODEID: '3' }), literal);
  assert.deepEqual(bashPrints([`${shellVar('SLURM_NODEID')}`, `${shellVar('H')}:5000`, remoteHomePath('~/.cache/hf'), remoteHomePath('/abs')], { SLURM_NODEID: '3', H: '10.0.0.1', HOME: '/h' }), ['3', '10.0.0.1:5000', '/h/.cache/hf', '/abs']);
});

test('a generated variable whose value holds shell syntax is still one word, not re-parsed', () => {
  assert.deepEqual(bashPrints([shellVar('V')], { V: 'a b;$(touch /nonexistent/x)' }), ['a b;$(touch /nonexistent/x)']);
});

test('NUL is refused (it frames generated variables and cannot be in an argv word); bad names refused', () => {
  assert.throws(() => shQuote('a\u0000b'), /NUL/);
  assert.throws(() => shellVar('A-B'), /invalid shell variable name/);
  assert.throws(() => shQuoteRemote('\u0000A'), /unbalanced/);
  assert.equal(showShellVars(`${shellVar('X')}:1`), '${X}:1');
});
