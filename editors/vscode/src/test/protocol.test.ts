import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { jobArgs, parseJobs, parseResult, parseStatus, pickerArgs, ServerCommand, uriBasename } from '../common/protocol';
import { serverSettingKeys } from '../common/settings';

const range = { start: { line: 1, character: 0 }, end: { line: 3, character: 4 } };

describe('jobArgs', () => {
  it('sends uri, range and version, and leaves empty extras out', () => {
    assert.deepEqual(jobArgs('file:///a.py', range, 7, { pattern: ' ', instruction: '' }), {
      uri: 'file:///a.py',
      range,
      version: 7,
    });
  });

  it('includes a pattern and an instruction when given', () => {
    const args = jobArgs('untitled:Untitled-1', range, undefined, { pattern: 'validated', instruction: ' add a docstring ' });
    assert.deepEqual(args, { uri: 'untitled:Untitled-1', range, pattern: 'validated', instruction: 'add a docstring' });
  });
});

describe('pickerArgs', () => {
  it('reads the "With pattern…" code action argument', () => {
    const p = pickerArgs({ uri: 'file:///a.py', range, version: 3, actions: ['fix', 'nope'], patterns: ['primary', 'validated'], defaults: { fix: 'validated', x: 1 } });
    assert.deepEqual(p, { uri: 'file:///a.py', range, version: 3, actions: ['fix'], patterns: ['primary', 'validated'], defaults: { fix: 'validated' } });
  });

  it('is undefined for palette invocations and fills in missing choices', () => {
    assert.equal(pickerArgs(undefined), undefined);
    assert.equal(pickerArgs({ uri: 'file:///a.py' }), undefined);
    const p = pickerArgs({ uri: 'file:///a.py', range });
    assert.equal(p?.actions.length, 4);
    assert.ok(p?.patterns.includes('validated'));
  });
});

describe('payload parsers', () => {
  it('accepts a well-formed cadre/result', () => {
    const r = parseResult({ jobId: 'j1', action: 'explain', uri: 'file:///a.py', title: 'T', markdown: '# hi', summary: 's' });
    assert.deepEqual(r, { jobId: 'j1', action: 'explain', uri: 'file:///a.py', title: 'T', markdown: '# hi', summary: 's' });
  });

  it('rejects a result without job id or text', () => {
    assert.equal(parseResult({ action: 'explain', markdown: 'x' }), undefined);
    assert.equal(parseResult({ jobId: 'j', markdown: '', summary: '' }), undefined);
    assert.equal(parseResult(null), undefined);
    assert.equal(parseResult('text'), undefined);
  });

  it('reads cadre/jobs tolerantly', () => {
    const jobs = parseJobs({
      running: [{ jobId: 'a', action: 'fix', uri: 'file:///x', step: 'drafting' }, { action: 'no id' }, 'junk'],
      models: { coding: 'm', bad: 3 },
    });
    assert.deepEqual(jobs, { running: [{ jobId: 'a', action: 'fix', uri: 'file:///x', step: 'drafting' }], models: { coding: 'm' } });
    assert.deepEqual(parseJobs(undefined), { running: [], models: {} });
  });

  it('reads cadre.status with missing parts', () => {
    const s = parseStatus({ roles: { coding: { model: 'm', healthy: 'yes' } }, stats: { m: { calls: 3, p50_s: null } } });
    assert.deepEqual(s.roles.coding, { endpoints: [], model: 'm', healthy: null });
    assert.deepEqual(s.stats.m, { calls: 3, failures: 0, p50_s: null, p95_s: null, tokens_per_s: null });
    assert.equal(s.queue, 0);
    assert.deepEqual(s.jobs, []);
  });
});

describe('uriBasename', () => {
  it('handles file, untitled and encoded uris', () => {
    assert.equal(uriBasename('file:///w/src/a%20b.py'), 'a b.py');
    assert.equal(uriBasename('untitled:Untitled-1'), 'Untitled-1');
    assert.equal(uriBasename(''), '');
  });
});

describe('package.json', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));

  it('contributes no command id the server registers through executeCommand', () => {
    const contributed: string[] = pkg.contributes.commands.map((c: { command: string }) => c.command);
    for (const id of Object.values(ServerCommand)) assert.ok(!contributed.includes(id), `${id} would clash with the server`);
    for (const id of ['cadre.explainSelection', 'cadre.implementSelection', 'cadre.fixSelection', 'cadre.reviewSelection', 'cadre.cancelJobs', 'cadre.showStatus', 'cadre.restart']) {
      assert.ok(contributed.includes(id), `${id} missing from contributes.commands`);
    }
  });

  it('declares exactly the server settings of the contract', () => {
    assert.deepEqual(serverSettingKeys(pkg.contributes.configuration.properties), [
      'action_patterns',
      'config_file',
      'endpoints',
      'hover.budget_ms',
      'hover.enabled',
      'profile',
      'review.on_save',
      'roles',
    ]);
  });

  it('ships the language client as a runtime dependency', () => {
    assert.match(pkg.dependencies['vscode-languageclient'], /^\^?9\./);
    assert.equal(pkg.engines.vscode, '^1.82.0');
  });
});
