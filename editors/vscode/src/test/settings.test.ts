import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  deepMerge,
  expandPath,
  explicitValue,
  findExecutable,
  locateServer,
  nestSettings,
  serverLaunch,
  flatServerSettings,
  serverKey,
  serverSettingKeys,
  settingsForSection,
  type Environment,
} from '../common/settings';

function env(files: string[], overrides: Partial<Environment> = {}): Environment {
  const set = new Set(files);
  return {
    platform: 'linux',
    home: '/home/u',
    env: { PATH: '/usr/local/bin:/usr/bin' },
    workspaceFolder: '/ws',
    isExecutable: (p) => set.has(p),
    ...overrides,
  };
}

describe('nestSettings', () => {
  it('nests dotted keys and keeps whole objects', () => {
    const out = nestSettings({
      profile: 'ollama',
      'hover.enabled': false,
      'hover.budget_ms': 800,
      'review.on_save': true,
      endpoints: { coder: { kind: 'ollama', model: 'qwen2.5-coder:7b' } },
    });
    assert.deepEqual(out, {
      profile: 'ollama',
      hover: { enabled: false, budget_ms: 800 },
      review: { on_save: true },
      endpoints: { coder: { kind: 'ollama', model: 'qwen2.5-coder:7b' } },
    });
  });

  it('drops unset values so the server keeps its own defaults and .cadre.toml', () => {
    assert.deepEqual(nestSettings({ profile: undefined, 'hover.enabled': null, roles: {} }), { roles: {} });
  });

  it('never sends client-only keys (the server rejects unknown keys)', () => {
    const out = nestSettings({ 'server.path': '/x', 'server.python': 'py', 'trace.server': 'verbose', server: { path: 'y' }, profile: 'tiny' });
    assert.deepEqual(out, { profile: 'tiny' });
  });

  it('copies values instead of aliasing the caller objects', () => {
    const endpoints = { a: { kind: 'openai' } };
    const out = nestSettings({ endpoints });
    (out.endpoints as Record<string, Record<string, string>>).a.kind = 'changed';
    assert.equal(endpoints.a.kind, 'openai');
  });
});

describe('explicitValue', () => {
  it('is undefined when only the declared default exists', () => {
    assert.equal(explicitValue({}), undefined);
    assert.equal(explicitValue(undefined), undefined);
  });

  it('lets the more specific scope win for scalars', () => {
    assert.equal(explicitValue({ globalValue: 'embedded', workspaceValue: 'ollama' }), 'ollama');
    assert.equal(explicitValue({ globalValue: 1, workspaceValue: 2, workspaceFolderValue: 3 }), 3);
    assert.equal(explicitValue({ globalValue: false }), false);
  });

  it('merges objects across scopes like VS Code does', () => {
    const v = explicitValue({
      globalValue: { a: { kind: 'ollama', model: 'm1' }, b: { kind: 'openai' } },
      workspaceValue: { a: { model: 'm2' } },
    });
    assert.deepEqual(v, { a: { kind: 'ollama', model: 'm2' }, b: { kind: 'openai' } });
  });

  it('replaces arrays rather than concatenating them', () => {
    assert.deepEqual(deepMerge({ coding: ['a', 'b'] }, { coding: ['c'] }), { coding: ['c'] });
  });
});

describe('serverSettingKeys', () => {
  it('takes cadre.* keys without the client-only ones', () => {
    const keys = serverSettingKeys({
      'cadre.profile': {},
      'cadre.hover.enabled': {},
      'cadre.server.path': {},
      'cadre.server.python': {},
      'cadre.trace.server': {},
      'other.key': {},
    });
    assert.deepEqual(keys, ['hover.enabled', 'profile']);
  });
});

describe('settingsForSection', () => {
  const settings = { profile: 'tiny', hover: { enabled: false } };
  it('answers the whole object, a sub-object, or null', () => {
    assert.deepEqual(settingsForSection(settings, 'cadre'), settings);
    assert.deepEqual(settingsForSection(settings, 'cadre.hover'), { enabled: false });
    assert.equal(settingsForSection(settings, 'cadre.hover.enabled'), false);
    assert.equal(settingsForSection(settings, 'cadre.review'), null);
    assert.equal(settingsForSection(settings, 'python'), null);
  });
});

describe('serverLaunch / locateServer', () => {
  it('prefers cadre.server.python and runs the module', () => {
    const launch = serverLaunch({ python: '/venv/bin/python', path: '/opt/cadre-lsp' }, env([]));
    assert.deepEqual(launch, { command: '/venv/bin/python', args: ['-m', 'cadre_lsp', 'serve'], source: 'cadre.server.python' });
  });

  it('uses cadre.server.path with the serve subcommand', () => {
    assert.deepEqual(serverLaunch({ path: '/opt/bin/cadre-lsp' }, env([])), {
      command: '/opt/bin/cadre-lsp',
      args: ['serve'],
      source: 'cadre.server.path',
    });
  });

  it('falls back to cadre-lsp on PATH, found in the first directory that has it', () => {
    const r = locateServer({}, env(['/usr/bin/cadre-lsp', '/usr/local/bin/cadre-lsp']));
    assert.equal(r.ok, true);
    assert.equal(r.launch.command, '/usr/local/bin/cadre-lsp');
    assert.deepEqual(r.launch.args, ['serve']);
  });

  it('reports a missing executable with a message naming the settings', () => {
    const r = locateServer({}, env([]));
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.match(r.message, /not found on PATH/);
      assert.match(r.message, /cadre\.server\.path/);
    }
  });

  it('reports a configured path that does not exist, naming the setting', () => {
    const r = locateServer({ path: '~/nope/cadre-lsp' }, env([]));
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.message, /cadre\.server\.path is set to '\/home\/u\/nope\/cadre-lsp'/);
  });

  it('treats blank settings as unset', () => {
    assert.equal(serverLaunch({ path: '  ', python: '' }, env([])).source, 'PATH');
  });

  it('finds a bare interpreter name on PATH', () => {
    const r = locateServer({ python: 'python3' }, env(['/usr/bin/python3']));
    assert.equal(r.ok, true);
    assert.equal(r.launch.command, '/usr/bin/python3');
  });

  it('uses PATHEXT and ; on Windows', () => {
    const e = env(['C:\\tools\\cadre-lsp.exe'], { platform: 'win32', env: { Path: 'C:\\bin;C:\\tools', PATHEXT: '.EXE;.CMD' } });
    assert.equal(findExecutable('cadre-lsp', e), 'C:\\tools\\cadre-lsp.exe');
  });
});

describe('expandPath', () => {
  it('expands ~, ${userHome}, ${workspaceFolder} and ${env:NAME}', () => {
    const e = { home: '/home/u', workspaceFolder: '/ws', env: { VENV: '/v' } };
    assert.equal(expandPath('~/bin/cadre-lsp', e), '/home/u/bin/cadre-lsp');
    assert.equal(expandPath('${workspaceFolder}/.venv/bin/python', e), '/ws/.venv/bin/python');
    assert.equal(expandPath('${env:VENV}/bin/python', e), '/v/bin/python');
    assert.equal(expandPath('${userHome}/x', e), '/home/u/x');
  });
});

describe('camelCase settings', () => {
  const properties = { 'cadre.actionPatterns': {}, 'cadre.action_patterns': {}, 'cadre.hover.budgetMs': {}, 'cadre.hover.budget_ms': {}, 'cadre.profile': {} };

  it('spells keys the way the server reads them', () => {
    assert.equal(serverKey('hover.budgetMs'), 'hover.budget_ms');
    assert.equal(serverKey('actionPatterns'), 'action_patterns');
    assert.deepEqual(serverSettingKeys(properties), ['action_patterns', 'hover.budget_ms', 'profile']);
  });

  it('prefers the camelCase key and reads the old one as a deprecated fallback', () => {
    const values: Record<string, unknown> = { actionPatterns: { fix: 'validated' }, action_patterns: { fix: 'compete' }, 'hover.budget_ms': 900 };
    const told: string[] = [];
    const flat = flatServerSettings(properties, (k) => (k in values ? { globalValue: values[k] } : undefined), (old, repl) => told.push(`${old}->${repl}`));
    assert.deepEqual(flat, { action_patterns: { fix: 'validated' }, 'hover.budget_ms': 900 });
    assert.deepEqual(told, ['cadre.hover.budget_ms->cadre.hover.budgetMs']);
  });
});
