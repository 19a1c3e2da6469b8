import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiKeySecretNameProblem, apiKeySecretNamesIn } from '../../src/core/profiles/apiKeySecretNames';
import { ProfileSchema } from '../../src/core/profiles/profileSchema';

// "DeepSeek: Set Secret…" (issue 3/8, kind 4: apiKeySecret works): it offers the knobs.apiKeySecret names the
// workspace's profiles use and accepts exactly the names a profile may give, so what it stores is what a launch reads.

const profile = (name: string, secret?: string): string => [`name: ${name}`, 'engine: {kind: vllm}', 'model: {id: deepseek-ai/DeepSeek-R1}', ...(secret !== undefined ? ['knobs:', `  apiKeySecret: ${secret}`] : []), 'runtime: {kind: compose}', ''].join('\n');

const base = { name: 'p', engine: { kind: 'vllm' }, model: { id: 'deepseek-ai/DeepSeek-R1' }, runtime: { kind: 'compose' } };

test('the names profiles use, each with its files, sorted; profiles without the knob, broken YAML and bad names are skipped', () => {
  const uses = apiKeySecretNamesIn([
    { file: 'a.deepseek.yaml', text: profile('a', 'PROD_KEY') },
    { file: 'b.deepseek.yaml', text: profile('b', 'DEV_KEY') },
    { file: 'c.deepseek.yaml', text: profile('c', 'PROD_KEY') },
    { file: 'd.deepseek.yaml', text: profile('d') },
    { file: 'e.deepseek.yaml', text: 'name: [unclosed\n' },
    { file: 'f.deepseek.yaml', text: profile('f', '"bad name"') },
    { file: 'g.deepseek.yaml', text: '---\nname: g\n---\nname: h\n' },
    { file: 'h.deepseek.yaml', text: '' },
    // Otherwise invalid (unknown field): its name is still offered, the launch reports the field.
    { file: 'i.deepseek.yaml', text: `${profile('i', 'OTHER_1')}colour: blue\n` },
  ]);
  assert.deepEqual(uses, [
    { name: 'DEV_KEY', files: ['b.deepseek.yaml'] },
    { name: 'OTHER_1', files: ['i.deepseek.yaml'] },
    { name: 'PROD_KEY', files: ['a.deepseek.yaml', 'c.deepseek.yaml'] },
  ]);
});

test('a name is accepted exactly when a profile may give it (the schema\'s rule), with the reason otherwise', () => {
  for (const name of ['SERVER_KEY', 'k', 'key_2', '0']) {
    assert.equal(apiKeySecretNameProblem(name), undefined, name);
    assert.ok(ProfileSchema.safeParse({ ...base, knobs: { apiKeySecret: name } }).success, name);
  }
  for (const name of ['deepseek.hfToken', 'has space', 'a-b', 'x$(id)', 'ключ', 'A\nB']) {
    assert.match(apiKeySecretNameProblem(name) ?? '', /letters, digits and _/, name);
    assert.ok(!ProfileSchema.safeParse({ ...base, knobs: { apiKeySecret: name } }).success, name);
  }
  assert.match(apiKeySecretNameProblem('') ?? '', /required/);
});
