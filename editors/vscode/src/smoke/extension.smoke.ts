/**
 * Smoke test: activates the real extension (with vscode-languageclient) under node against a mocked
 * `vscode` module and a stand-in cadre server (smoke/fake_server.py, pygls), and checks the wire
 * contract end to end: initializationOptions, workspace/configuration, didChangeConfiguration, the
 * job commands' arguments, cadre/jobs -> status bar, cadre/result -> panel, cancel, crash restart,
 * and the missing-server path.
 *
 * Needs a Python with pygls: $CADRE_SMOKE_PYTHON, else the repository's .venv; skipped without one.
 * Run: npm run compile && npm run smoke
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { mock, vscodeModule } from './vscodeMock';

// Serve the mock to every `require('vscode')`, before the extension and the client load.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Module = require('node:module') as { _load: (request: string, ...rest: unknown[]) => unknown };
const originalLoad = Module._load;
Module._load = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? vscodeModule : originalLoad.call(this, request, ...rest);
};

const ROOT = path.resolve(__dirname, '..', '..');

function findPython(): string | undefined {
  const candidates = [process.env.CADRE_SMOKE_PYTHON, path.resolve(ROOT, '..', '..', '.venv', 'bin', 'python')];
  for (const python of candidates) {
    if (!python) continue;
    try {
      execFileSync(python, ['-c', 'import pygls, lsprotocol'], { stdio: 'ignore' });
      return python;
    } catch {
      // Not usable; try the next.
    }
  }
  return undefined;
}

const python = process.platform === 'win32' ? undefined : findPython();
const skip = python ? false : 'needs a Python with pygls ($CADRE_SMOKE_PYTHON or the repo .venv), and a POSIX shell';

interface Logged {
  kind: string;
  data: unknown;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('extension against a stand-in server', { skip }, () => {
  let dir: string;
  let logFile: string;
  // eslint-disable-next-line @typescript-eslint/consistent-type-imports
  let extension: typeof import('../extension');
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const secrets = new Map<string, string>();
  const globalState = new Map<string, unknown>();
  const context = () => ({
    subscriptions: [] as { dispose(): unknown }[],
    extension: { packageJSON: pkg },
    extensionPath: ROOT,
    // No managed venv there: the stand-in server configured through the settings is what starts.
    globalStorageUri: { fsPath: path.join(dir, 'global-storage') },
    globalState: {
      get: <T>(k: string, fallback?: T) => (globalState.has(k) ? (globalState.get(k) as T) : fallback),
      update: async (k: string, v: unknown) => void globalState.set(k, v),
    },
    secrets: {
      get: async (k: string) => secrets.get(k),
      store: async (k: string, v: string) => void secrets.set(k, v),
      delete: async (k: string) => void secrets.delete(k),
    },
  });

  const logged = (kind: string): unknown[] =>
    fs.existsSync(logFile)
      ? fs
          .readFileSync(logFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Logged)
          .filter((e) => e.kind === kind)
          .map((e) => e.data)
      : [];
  const status = (): string => mock.statusItems[0]?.text ?? '';
  const select = (line: number): void => {
    mock.activeTextEditor = {
      document: { uri: vscodeModule.Uri.file('/w/a.py'), version: 4 },
      selection: { start: { line, character: 0 }, end: { line: line + 2, character: 5 } },
    };
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cadre-smoke-'));
    logFile = path.join(dir, 'server.jsonl');
    const wrapper = path.join(dir, 'cadre-lsp');
    const server = path.join(ROOT, 'smoke', 'fake_server.py');
    fs.writeFileSync(wrapper, `#!/bin/sh\nexec "${python}" "${server}" "${logFile}" "$@"\n`, { mode: 0o755 });
    mock.settings = {
      'cadre.server.path': wrapper,
      'cadre.profile': 'ollama',
      'cadre.hover.budget_ms': 900,
      'cadre.trace.server': 'off',
    };
    extension = await import('../extension');
  });

  after(async () => {
    await extension?.deactivate();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts the server with `serve` and only the settings the user set', async () => {
    await extension.activate(context() as never);
    assert.equal(status(), '$(sparkle) cadre');
    const [argv] = await waitFor('initialize', () => logged('argv').length > 0 && logged('argv'));
    assert.deepEqual(argv, ['serve']);
    assert.deepEqual(logged('initializationOptions'), [{ profile: 'ollama', hover: { budget_ms: 900 } }]);
    assert.deepEqual(logged('experimental'), [{ cadre: { resultPanel: true, jobsStatus: true, patternPicker: true } }]);
  });

  it('answers workspace/configuration for cadre sections', async () => {
    const [answer] = await waitFor('configuration', () => logged('configuration').length > 0 && logged('configuration'));
    assert.deepEqual(answer, [{ profile: 'ollama', hover: { budget_ms: 900 } }, { budget_ms: 900 }, null]);
  });

  it('keeps its palette commands apart from the server commands the client registers', () => {
    for (const id of ['cadre.explain', 'cadre.fix', 'cadre.status', 'cadre.cancel']) assert.ok(mock.commands.has(id), id);
    for (const id of ['cadre.explainSelection', 'cadre.fixSelection', 'cadre.restart']) assert.ok(mock.commands.has(id), id);
  });

  it('runs Fix on the selection, follows cadre/jobs in the status bar, and announces the result', async () => {
    select(1);
    await mock.commands.get('cadre.fixSelection')!({ pattern: 'validated' });
    const [cmd] = await waitFor('fix command', () => logged('command').length > 0 && logged('command'));
    assert.deepEqual(cmd, {
      action: 'fix',
      args: { uri: 'file:///w/a.py', range: { start: { line: 1, character: 0 }, end: { line: 3, character: 5 } }, version: 4, pattern: 'validated' },
    });
    await waitFor('running status', () => status() === '$(loading~spin) cadre: 1 running · fix');
    await waitFor('idle status', () => status() === '$(sparkle) cadre: qwen2.5-coder-1.5b');
    await waitFor('summary', () => mock.messages.some((m) => m[0] === 'info' && m[1] === 'cadre fix: fix done'));
    assert.equal(mock.panels.length, 0, 'fix results do not open the panel');
  });

  it('shows Explain results in the panel, escaped', async () => {
    select(5);
    await mock.commands.get('cadre.explainSelection')!();
    const panel = await waitFor('panel', () => mock.panels[0]?.webview.html.includes('explain done') && mock.panels[0]);
    assert.match(panel.webview.html, /<h1>Result<\/h1>/);
    assert.match(panel.webview.html, /&lt;script&gt;/);
    assert.ok(!panel.webview.html.includes('<script>'));
    assert.match(panel.webview.html, /Content-Security-Policy/);
  });

  it('asks Implement for an instruction and sends it; Escape sends nothing', async () => {
    select(9);
    mock.inputBox = 'add a docstring';
    await mock.commands.get('cadre.implementSelection')!();
    await waitFor('implement', () => logged('command').some((c) => (c as { action: string }).action === 'implement'));
    const implement = logged('command').find((c) => (c as { action: string }).action === 'implement') as { args: { instruction: string } };
    assert.equal(implement.args.instruction, 'add a docstring');
    mock.inputBox = undefined;
    const before = logged('command').length;
    await mock.commands.get('cadre.implementSelection')!();
    await sleep(200);
    assert.equal(logged('command').length, before);
  });

  it('pushes changed settings with didChangeConfiguration', async () => {
    mock.settings['cadre.review.on_save'] = true;
    for (const l of mock.configListeners) l({ affectsConfiguration: (s: string) => 'cadre.review.on_save'.startsWith(s) });
    const changes = await waitFor('didChangeConfiguration', () => {
      const all = logged('didChangeConfiguration') as { cadre?: { review?: unknown } }[];
      return all.some((c) => c.cadre?.review) && all;
    });
    assert.deepEqual(changes.at(-1), { cadre: { profile: 'ollama', hover: { budget_ms: 900 }, review: { on_save: true } } });
  });

  it('cancels and shows status', async () => {
    await waitFor('idle', () => !status().includes('running'));
    await mock.commands.get('cadre.cancelJobs')!();
    await waitFor('cancel', () => logged('cancel').length > 0);
    assert.deepEqual(logged('cancel'), [{}]);
    await mock.commands.get('cadre.showStatus')!();
    const pick = mock.messages.filter((m) => m[0] === 'quickpick').at(-1)?.[1] as string[];
    assert.ok(pick.includes('coding: qwen2.5-coder-1.5b'), pick.join(' | '));
  });

  it('restarts the server after a crash', async () => {
    void Promise.resolve(mock.commands.get('cadre.crash')!()).catch(() => undefined);
    await waitFor('second start', () => logged('argv').length === 2, 15000);
    await waitFor('running again', () => status() === '$(sparkle) cadre');
  });

  it('reports a missing server with the install help', async () => {
    mock.settings['cadre.server.path'] = path.join(dir, 'missing', 'cadre-lsp');
    mock.messages.length = 0;
    await mock.commands.get('cadre.restart')!();
    assert.equal(status(), '$(error) cadre: no server');
    const error = mock.messages.find((m) => m[0] === 'error');
    assert.ok(error, 'an error message is shown');
    assert.match(String(error[1]), /cadre\.server\.path is set to/);
    assert.deepEqual(error.slice(2), ['How to install', 'Open Settings', 'Show Output']);
    // A command while the server is missing repeats that one message, not a second error of its own.
    mock.messages.length = 0;
    select(1);
    await mock.commands.get('cadre.fixSelection')!();
    await sleep(50);
    const errors = mock.messages.filter((m) => m[0] === 'error');
    assert.equal(errors.length, 1, JSON.stringify(mock.messages));
    assert.equal(errors[0][2], 'How to install');
  });
});
