import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseStatus } from '../common/protocol';
import { headlineModel, shortModel, statusItems, statusReport, statusView } from '../common/status';

describe('statusView', () => {
  it('counts running jobs and names the action when there is one', () => {
    const v = statusView('running', {
      running: [{ jobId: 'j1', action: 'fix', uri: 'file:///w/a.py', step: 'coding model drafting' }],
      models: { coding: 'qwen-1.5b' },
    });
    assert.equal(v.text, '$(loading~spin) cadre: 1 running · fix');
    assert.match(v.tooltip, /fix · a\.py — coding model drafting/);
  });

  it('shows only the count for several jobs', () => {
    const job = { jobId: 'x', action: 'explain', uri: 'file:///a', step: '' };
    const v = statusView('running', { running: [job, { ...job, jobId: 'y' }], models: {} });
    assert.equal(v.text, '$(loading~spin) cadre: 2 running');
  });

  it('names the coding model when idle, shortened', () => {
    const v = statusView('running', {
      running: [],
      models: { reasoning: 'r-model', coding: '/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf' },
    });
    assert.equal(v.text, '$(sparkle) cadre: qwen2.5-coder-1.5b-inst…');
    assert.match(v.tooltip, /reasoning: r-model/);
  });

  it('says plainly when the server is missing or stopped', () => {
    assert.equal(statusView('missing').severity, 'error');
    assert.match(statusView('missing').text, /no server/);
    assert.match(statusView('stopped').text, /stopped/);
    assert.equal(statusView('running').text, '$(sparkle) cadre');
  });
});

describe('model names', () => {
  it('prefers coding, then reasoning, then any role', () => {
    assert.equal(headlineModel({ judge: 'j', reasoning: 'r', coding: 'c' }), 'c');
    assert.equal(headlineModel({ judge: 'j', reasoning: 'r' }), 'r');
    assert.equal(headlineModel({ tools: 't', judge: 'j' }), 'j');
    assert.equal(headlineModel({}), undefined);
  });

  it('keeps short names and takes the basename of paths and repos', () => {
    assert.equal(shortModel('qwen2.5-coder:7b'), 'qwen2.5-coder:7b');
    assert.equal(shortModel('mlx-community/Qwen2.5-7B'), 'Qwen2.5-7B');
    assert.equal(shortModel('C:\\models\\tiny.gguf'), 'tiny');
  });
});

describe('status picker and report', () => {
  const status = parseStatus({
    roles: {
      coding: { endpoints: ['local', 'backup'], model: 'qwen-1.5b', healthy: true },
      reasoning: { endpoints: ['local'], model: 'qwen-0.5b', healthy: null },
    },
    jobs: [{ jobId: 'j7', action: 'review', uri: 'file:///w/b.py', step: 'validator', startedAt: '2025-01-01T10:00:00Z' }],
    queue: 2,
    stats: { 'qwen-1.5b': { calls: 10, failures: 1, p50_s: 1.234, p95_s: 12.5, tokens_per_s: 31.25 } },
  });

  it('lists roles, cancellable jobs and model stats', () => {
    const items = statusItems(status);
    assert.deepEqual(
      items.filter((i) => i.separator).map((i) => i.label),
      ['Roles', 'Jobs (1 running, 2 queued)', 'Models'],
    );
    const job = items.find((i) => i.jobId);
    assert.equal(job?.jobId, 'j7');
    assert.match(job?.label ?? '', /review · b\.py/);
    const coding = items.find((i) => i.label.startsWith('coding:'));
    assert.equal(coding?.detail, 'endpoints: local → backup');
    assert.match(coding?.description ?? '', /healthy/);
    assert.equal(items.at(-1)?.detail, 'p50 1.23 s, p95 12.5 s, 31.3 tokens/s');
  });

  it('writes a readable report', () => {
    const text = statusReport(status);
    assert.match(text, /coding\s+qwen-1\.5b\s+\[healthy\]\s+endpoints: local, backup/);
    assert.match(text, /Jobs: 1 running, 2 queued/);
    assert.match(text, /qwen-1\.5b: 10 calls, 1 failures/);
  });
});
