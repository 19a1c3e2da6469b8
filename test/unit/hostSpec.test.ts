// What the Add Host box and the CLI accept as user@host[:port]: each refused example from issue 17 plus more of the
// same kind (ports outside 1–65535 or not decimal, whitespace/control characters, option-looking names).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseUserHost } from '../../src/core/ssh/sshTarget';

test('accepted forms keep user, host and port', () => {
  assert.deepEqual(parseUserHost('me@gpu01:2222', 'x'), { user: 'me', host: 'gpu01', port: 2222 });
  assert.deepEqual(parseUserHost('gpu01', 'x'), { user: 'x', host: 'gpu01', port: 22 });
  assert.deepEqual(parseUserHost('root@10.0.0.7:65535', 'x'), { user: 'root', host: '10.0.0.7', port: 65535 });
  assert.deepEqual(parseUserHost('me@[::1]:2200', 'x'), { user: 'me', host: '::1', port: 2200 });
  assert.deepEqual(parseUserHost('me@fe80::1%eth0', 'x'), { user: 'me', host: 'fe80::1%eth0', port: 22 });
  assert.deepEqual(parseUserHost('ci.user@gpu_node-1.example.com:1', 'x'), { user: 'ci.user', host: 'gpu_node-1.example.com', port: 1 });
});

const refused: [string, RegExp][] = [
  ['gpu01:abc', /port must be a number from 1 to 65535, not "abc"/],
  ['root@gpu 01', /no spaces/],
  ['me@gpu:99999', /port must be a number from 1 to 65535/],
  ['me@gpu:0', /port must be a number from 1 to 65535/],
  ['me@gpu:', /port must be a number/],
  ['me@gpu:+22', /port must be a number/],
  ['me@gpu:2e3', /port must be a number/],
  ['me@[::1]:70000', /port must be a number/],
  ['me@gpu\t01', /no spaces/],
  [' me@gpu', /no spaces/],
  ['me@gpu\u0007', /control characters/],
  ['@gpu', /empty user/],
  ['me@', /empty host/],
  ['me@:22', /empty host/],
  ['me@-oProxyCommand=x', /must not start with "-"/],
  ['-l@gpu', /user must not start with "-"/],
  ['me@gpu;rm', /may hold only letters/],
  ['me@gpu/01', /may hold only letters/],
  ['me@[gpu01]:22', /not an IPv6 address/],
];
for (const [spec, why] of refused) {
  test(`refuses ${JSON.stringify(spec)}`, () => {
    assert.throws(() => parseUserHost(spec, 'x'), (e: Error) => why.test(e.message) && e.message.includes('user@host[:port]'));
  });
}
