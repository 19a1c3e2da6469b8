import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from '../../src/cli/cliArgs';

test('CLI options: flags, values (last wins), repeatable, aliases, positionals; a missing value or stray word is a usage error', () => {
  const spec = { flags: ['--json'], values: ['--host'], repeatable: ['--identity'], aliases: { '-i': '--identity' }, positionals: 1 };
  const r = parseArgs(['--host', 'a', '-i', 'k1', '--identity', 'k2', '--json', '--host', 'b', 'file.yaml'], spec);
  assert.ok(!('error' in r));
  assert.equal(r.values.get('--host'), 'b');
  assert.deepEqual(r.lists.get('--identity'), ['k1', 'k2']);
  assert.ok(r.flags.has('--json'));
  assert.deepEqual(r.positionals, ['file.yaml']);
  assert.deepEqual(parseArgs(['--host'], spec), { error: '--host needs a value' });
  assert.deepEqual(parseArgs(['--nope'], spec), { error: 'unknown option --nope' });
  assert.deepEqual(parseArgs(['a', 'b'], spec), { error: 'unexpected argument b' });
  assert.equal((parseArgs(['--host', 'x', '-h'], spec) as { help: boolean }).help, true);
});
