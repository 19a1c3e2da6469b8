import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { shJoinRemote } from '../../src/core/ssh/shellQuote';

// Fault kind: free text crossing into another language raw (issue 3/8, kind 1) — here argv words bound for a remote bash.
// Each payload must first create its canary through a naive renderer (string concatenation), proving the payload is
// live; then, quoted by ours, bash must print it back byte for byte and create nothing.
const payloads = (canary: string): string[] => [
  `$(touch ${canary})`,
  `\`touch ${canary}\``,
  `x; touch ${canary}`,
  `x\ntouch ${canary}`,
  `x && touch ${canary} #`,
  `x | touch ${canary}`,
];

test('argv words quoted for a remote bash never run as commands (naive renderer creates the canary, ours does not)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-hostile-'));
  try {
    for (const [i, word] of payloads(path.join(dir, 'canary')).entries()) {
      const canary = path.join(dir, 'canary');
      spawnSync('bash', ['-c', `echo ${word}`], { encoding: 'utf8' });
      assert.ok(fs.existsSync(canary), `payload ${i} is live through a naive renderer`);
      fs.rmSync(canary);
      const r = spawnSync('bash', ['-c', `printf '%s' ${shJoinRemote([word])}`], { encoding: 'utf8' });
      assert.equal(r.stdout, word, `payload ${i} printed back unchanged`);
      assert.ok(!fs.existsSync(canary), `payload ${i} ran through our quoting`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
