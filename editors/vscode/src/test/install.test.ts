import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decideStart, installSteps, managedPaths, offer, pickBundledWheel, type InstallFacts } from '../common/install';
import type { LocateResult } from '../common/settings';

const onPath: LocateResult = { ok: true, launch: { command: '/usr/bin/cadre-lsp', args: ['serve'], source: 'PATH' } };
const notFound: LocateResult = {
  ok: false,
  launch: { command: 'cadre-lsp', args: ['serve'], source: 'PATH' },
  message: 'cadre-lsp: cadre-lsp not found on PATH',
};
const configuredOk: LocateResult = { ok: true, launch: { command: '/v/bin/cadre-lsp', args: ['serve'], source: 'cadre.server.path' } };
const configuredBroken: LocateResult = {
  ok: false,
  launch: { command: '/gone/cadre-lsp', args: ['serve'], source: 'cadre.server.path' },
  message: "cadre-lsp: cadre.server.path is set to '/gone/cadre-lsp', which is not an executable file.",
};

function facts(over: Partial<InstallFacts>): InstallFacts {
  return { located: notFound, declined: false, platform: 'linux', ...over };
}

describe('decideStart', () => {
  it('starts what the user configured, even with a managed venv present', () => {
    const d = decideStart(facts({ located: configuredOk, managedExecutable: '/s/server-venv/bin/cadre-lsp' }));
    assert.deepEqual(d, { kind: 'start', launch: configuredOk.launch });
  });

  it('never offers to install over a broken configured server: it reports it', () => {
    const d = decideStart(facts({ located: configuredBroken }));
    assert.equal(d.kind, 'missing');
    if (d.kind === 'missing') assert.match(d.message, /cadre\.server\.path/);
  });

  it('reuses the managed venv before PATH', () => {
    const d = decideStart(facts({ located: onPath, managedExecutable: '/s/server-venv/bin/cadre-lsp' }));
    assert.deepEqual(d, { kind: 'start-managed', launch: { command: '/s/server-venv/bin/cadre-lsp', args: ['serve'], source: 'PATH' } });
  });

  it('starts cadre-lsp from PATH when there is one and no managed venv', () => {
    assert.deepEqual(decideStart(facts({ located: onPath })), { kind: 'start', launch: onPath.launch });
  });

  it('offers to install when nothing is configured or found', () => {
    const d = decideStart(facts({}));
    assert.deepEqual(d, { kind: 'offer', python: 'python3', pythonSource: 'PATH', requirement: 'cadre-lsp', fromWheel: false });
  });

  it('does not offer again after "Don\'t ask again"', () => {
    const d = decideStart(facts({ declined: true }));
    assert.deepEqual(d, { kind: 'missing', message: notFound.message });
  });
});

describe('offer', () => {
  it("prefers the Python extension's interpreter and the bundled wheel", () => {
    const d = offer({ platform: 'linux', pythonExtensionInterpreter: '/home/u/.venv/bin/python', bundledWheel: '/ext/server/cadre_lsp-0.1.0-py3-none-any.whl' });
    assert.deepEqual(d, {
      kind: 'offer',
      python: '/home/u/.venv/bin/python',
      pythonSource: 'Python extension',
      requirement: '/ext/server/cadre_lsp-0.1.0-py3-none-any.whl',
      fromWheel: true,
    });
  });

  it('uses python on Windows when there is no Python extension', () => {
    assert.equal(offer({ platform: 'win32' }).python, 'python');
  });
});

describe('managedPaths / installSteps', () => {
  it('puts the venv in global storage, bin/ on POSIX and Scripts\\ on Windows', () => {
    assert.deepEqual(managedPaths('/g', 'linux'), { venv: '/g/server-venv', python: '/g/server-venv/bin/python', executable: '/g/server-venv/bin/cadre-lsp' });
    assert.match(managedPaths('/g', 'win32').executable, /Scripts.cadre-lsp\.exe$/);
  });

  it('makes the venv with the chosen python, pip installs the requirement with the venv python, then checks', () => {
    const paths = managedPaths('/g', 'linux');
    const steps = installSteps('/usr/bin/python3', '/ext/server/cadre_lsp-0.1.0-py3-none-any.whl', paths);
    assert.deepEqual(steps.map((s) => [s.command, ...s.args]), [
      ['/usr/bin/python3', '-m', 'venv', '--clear', '/g/server-venv'],
      ['/g/server-venv/bin/python', '-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '/ext/server/cadre_lsp-0.1.0-py3-none-any.whl'],
      ['/g/server-venv/bin/cadre-lsp', '--version'],
    ]);
    assert.equal(steps[1].title, 'installing cadre_lsp-0.1.0-py3-none-any.whl');
  });
});

describe('pickBundledWheel', () => {
  it('picks the cadre_lsp wheel and ignores the rest', () => {
    assert.equal(pickBundledWheel(['README.md', 'cadre_lsp-0.1.0-py3-none-any.whl']), 'cadre_lsp-0.1.0-py3-none-any.whl');
    assert.equal(pickBundledWheel(['other-1.0-py3-none-any.whl']), undefined);
    assert.equal(pickBundledWheel([]), undefined);
  });
});
