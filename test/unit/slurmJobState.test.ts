import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeJobEnd, parseJobStateOutput, parseSlurmJobId, slurmState, SLURM_JOB_STATES } from '../../src/core/runtimes/slurmJobState';

// Recorded outputs of the job-state script (squeue, then sacct and scontrol when the job is no longer alive), one
// folder per case: output.txt, expected.json, source.txt (the man page section or public report it comes from).
const FIELD = path.resolve(__dirname, '../../../test/field/slurm');
const cases = fs.readdirSync(FIELD).sort();

interface Expected { unknown?: boolean; code?: string; phase?: string; exitCode?: number; signal?: number; reason?: string; cancelledBy?: string; id?: string; success?: boolean }

for (const c of cases) {
  test(`SLURM field case ${c}`, () => {
    const dir = path.join(FIELD, c);
    const e = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Expected;
    assert.ok(fs.readFileSync(path.join(dir, 'source.txt'), 'utf8').trim().length > 10, 'source.txt names where the output comes from');
    const s = parseJobStateOutput(fs.readFileSync(path.join(dir, 'output.txt'), 'utf8'));
    if (e.unknown) {
      assert.equal(s, undefined);
      return;
    }
    assert.ok(s, 'a status');
    assert.equal(s.state.code, e.code);
    assert.equal(s.state.phase, e.phase);
    assert.equal(s.exitCode, e.exitCode, 'exit code');
    assert.equal(s.signal, e.signal, 'signal');
    assert.equal(s.reason, e.reason, 'reason');
    assert.equal(s.cancelledBy, e.cancelledBy, 'cancelled by');
    if (e.id) assert.equal(s.id, e.id);
    if (s.state.phase === 'ended') assert.equal(s.state.success, e.success ?? false, 'only COMPLETED is a success');
  });
}

test('every squeue(1) JOB STATE CODE (24, long and short form) has a recorded case', () => {
  const seen = new Set(cases.map((c) => (JSON.parse(fs.readFileSync(path.join(FIELD, c, 'expected.json'), 'utf8')) as Expected).code));
  assert.equal(SLURM_JOB_STATES.length, 24);
  for (const s of SLURM_JOB_STATES) {
    assert.ok(seen.has(s.code), `${s.code} ${s.name} has a case`);
    assert.equal(slurmState(s.code)?.state, s);
    assert.equal(slurmState(s.name)?.state, s);
    assert.equal(slurmState(s.name.toLowerCase())?.state, s, 'case-insensitive like squeue -t');
  }
  assert.equal(slurmState('CANCELLED by 1000')?.cancelledBy, '1000');
  assert.equal(slurmState('RUNNING NOW'), undefined);
  assert.equal(slurmState('BOGUS'), undefined);
});

test('CG (COMPLETING) means the job has ended: phase "ended", not "running"', () => {
  assert.equal(slurmState('COMPLETING')?.state.phase, 'ended');
  assert.equal(slurmState('CG')?.state.phase, 'ended');
});

test('job ids: plain, array task, array range, heterogeneous component, steps; bad ids are a clear error', () => {
  assert.deepEqual(parseSlurmJobId('1234'), { jobId: 1234 });
  assert.deepEqual(parseSlurmJobId('1234_5'), { jobId: 1234, arrayTask: 5 });
  assert.deepEqual(parseSlurmJobId('1234_[1-3]'), { jobId: 1234, arrayTask: '[1-3]' });
  assert.deepEqual(parseSlurmJobId('1234_[1,3-5%2]'), { jobId: 1234, arrayTask: '[1,3-5%2]' });
  assert.deepEqual(parseSlurmJobId('1234+0'), { jobId: 1234, hetOffset: 0 });
  assert.deepEqual(parseSlurmJobId('1234+1.batch'), { jobId: 1234, hetOffset: 1, step: 'batch' });
  assert.deepEqual(parseSlurmJobId('1234.0'), { jobId: 1234, step: '0' });
  assert.throws(() => parseSlurmJobId('Submitted batch job 1234'), /not a SLURM job id/);
});

test('the end is described with state, exit code, signal and canceller', () => {
  const s = (o: string) => parseJobStateOutput(fs.readFileSync(path.join(FIELD, o, 'output.txt'), 'utf8'))!;
  assert.match(describeJobEnd(s('f-failed-exit1')), /^FAILED, exit code 1: /);
  assert.match(describeJobEnd(s('ca-cancelled-by-0')), /^CANCELLED by 0, signal 15: cancelled/);
  assert.match(describeJobEnd(s('to-timeout')), /^TIMEOUT, exit code 0 \(TimeLimit\)/);
  assert.match(describeJobEnd(s('oom-0-125')), /^OUT_OF_MEMORY, signal 125 \(OutOfMemory\)/);
});
