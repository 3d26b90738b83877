/**
 * Settings: VS Code's flat `cadre.*` settings -> the nested object the server expects, and where the
 * server executable is.
 *
 * Pure (no `vscode` import): the extension hands in what `WorkspaceConfiguration.inspect` reported
 * and the environment, so every rule here is unit-tested under plain node.
 *
 * Only values the user actually set are sent. The server layers its sources (shipped defaults <
 * profile < user file < workspace `.cadre.toml` < editor settings), so sending VS Code's declared
 * defaults would silently override a workspace `.cadre.toml`. The server also rejects unknown keys,
 * so the client-only `server.*` and `trace.*` keys never leave the extension.
 */

/** Top-level keys under `cadre` that belong to the extension, not the server. */
export const CLIENT_ONLY_KEYS: readonly string[] = ['server', 'trace'];

/** The nested settings object sent as initializationOptions and for workspace/configuration. */
export type ServerSettings = Record<string, unknown>;

/** The part of `WorkspaceConfiguration.inspect()` that holds values a user wrote somewhere. */
export interface InspectedValue {
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep-merge `over` into a copy of `base`: objects merge, everything else replaces (as VS Code does). */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = k in out ? deepMerge(out[k], v) : v;
  }
  return out;
}

/**
 * The value the user set for one key, merging user < workspace < folder; undefined when only the
 * declared default applies. Object values merge across levels the way VS Code's own `get` does.
 */
export function explicitValue(inspected: InspectedValue | undefined): unknown {
  if (!inspected) return undefined;
  let value: unknown = undefined;
  for (const level of [inspected.globalValue, inspected.workspaceValue, inspected.workspaceFolderValue]) {
    if (level === undefined || level === null) continue;
    value = value === undefined ? level : deepMerge(value, level);
  }
  return value;
}

function isClientOnly(key: string): boolean {
  const head = key.split('.', 1)[0] ?? key;
  return CLIENT_ONLY_KEYS.includes(head);
}

/** `hover.budgetMs` -> `hover.budget_ms`: the server's (TOML) spelling of a VS Code setting key. */
export function serverKey(key: string): string {
  return key
    .split('.')
    .map((p) => p.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`))
    .join('.');
}

/**
 * Server key -> the declared VS Code keys (relative to `cadre`) that set it: the camelCase key first,
 * then the deprecated snake_case one it replaced (`actionPatterns`, then `action_patterns`).
 */
export function settingSources(properties: Record<string, unknown> | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!properties) return out;
  const keys = Object.keys(properties)
    .filter((k) => k.startsWith('cadre.'))
    .map((k) => k.slice('cadre.'.length))
    .filter((k) => k.length > 0 && !isClientOnly(k))
    .sort();
  for (const key of keys) {
    const sk = serverKey(key);
    const list = out.get(sk) ?? [];
    // The camelCase spelling (which differs from the server key) wins over the legacy one.
    if (key !== sk) list.unshift(key);
    else list.push(key);
    out.set(sk, list);
  }
  return out;
}

/**
 * The server-bound keys (server spelling, relative to `cadre`) declared in package.json's
 * `contributes.configuration.properties` (`cadre.hover.budgetMs` -> `hover.budget_ms`).
 */
export function serverSettingKeys(properties: Record<string, unknown> | undefined): string[] {
  return [...settingSources(properties).keys()].sort();
}

/**
 * The flat server settings from what the user set: per server key the camelCase setting, else the
 * deprecated snake_case one (reported through `onDeprecated(old, replacement)`).
 */
export function flatServerSettings(
  properties: Record<string, unknown> | undefined,
  inspect: (key: string) => InspectedValue | undefined,
  onDeprecated?: (legacy: string, replacement: string) => void,
): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const [sk, sources] of settingSources(properties)) {
    for (const key of sources) {
      const value = explicitValue(inspect(key));
      if (value === undefined) continue;
      flat[sk] = value;
      if (key !== sources[0]) onDeprecated?.(`cadre.${key}`, `cadre.${sources[0]}`);
      break;
    }
  }
  return flat;
}

/**
 * Nest flat dotted keys (`hover.budget_ms`) into objects, dropping unset values and client-only keys.
 * Values are deep-copied so the result can be sent and kept without aliasing VS Code's objects.
 */
export function nestSettings(flat: Record<string, unknown>): ServerSettings {
  let out: ServerSettings = {};
  for (const key of Object.keys(flat).sort()) {
    const value = flat[key];
    if (value === undefined || value === null || isClientOnly(key)) continue;
    const parts = key.split('.').filter((p) => p.length > 0);
    if (parts.length === 0) continue;
    let node: unknown = JSON.parse(JSON.stringify(value));
    for (let i = parts.length - 1; i >= 0; i--) node = { [parts[i]]: node };
    out = deepMerge(out, node) as ServerSettings;
  }
  return out;
}

/**
 * The settings to send for a `workspace/configuration` item: the whole object for `cadre`, the
 * sub-object for `cadre.hover` and the like, and null when that part is unset.
 */
export function settingsForSection(settings: ServerSettings, section: string): unknown {
  if (section === 'cadre') return settings;
  if (!section.startsWith('cadre.')) return null;
  let node: unknown = settings;
  for (const part of section.slice('cadre.'.length).split('.')) {
    if (!isPlainObject(node) || !(part in node)) return null;
    node = node[part];
  }
  return node;
}

// ---------------------------------------------------------------------------------------------
// Locating the server

/** The client-only settings that say how to start the server. */
export interface ServerLocation {
  /** `cadre.server.path`: the cadre-lsp executable. */
  path?: string;
  /** `cadre.server.python`: an interpreter with cadre_lsp installed; wins over `path`. */
  python?: string;
}

/** How the server process is started, and where that choice came from (for messages). */
export interface ServerLaunch {
  command: string;
  args: string[];
  source: 'cadre.server.python' | 'cadre.server.path' | 'PATH';
}

/** Everything the pure lookup needs from the outside world. */
export interface Environment {
  platform: string;
  home: string;
  env: Record<string, string | undefined>;
  workspaceFolder?: string;
  /** True when `path` is an existing file we may run. */
  isExecutable: (path: string) => boolean;
}

/** Default executable name looked up on PATH. */
export const DEFAULT_EXECUTABLE = 'cadre-lsp';

/** Expand `~`, `${userHome}`, `${workspaceFolder}` and `${env:NAME}` in a path setting. */
export function expandPath(value: string, environment: Pick<Environment, 'home' | 'env' | 'workspaceFolder'>): string {
  let out = value.trim();
  if (out === '~' || out.startsWith('~/') || out.startsWith('~\\')) out = environment.home + out.slice(1);
  out = out.replace(/\$\{userHome\}/g, environment.home);
  if (environment.workspaceFolder !== undefined) {
    out = out.replace(/\$\{workspaceFolder\}/g, environment.workspaceFolder);
  }
  out = out.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => environment.env[name] ?? '');
  return out;
}

/** The launch command from the settings, before checking that it exists. */
export function serverLaunch(location: ServerLocation, environment: Environment): ServerLaunch {
  const python = location.python ? expandPath(location.python, environment) : '';
  if (python) return { command: python, args: ['-m', 'cadre_lsp', 'serve'], source: 'cadre.server.python' };
  const path = location.path ? expandPath(location.path, environment) : '';
  if (path) return { command: path, args: ['serve'], source: 'cadre.server.path' };
  return { command: DEFAULT_EXECUTABLE, args: ['serve'], source: 'PATH' };
}

function hasSeparator(command: string, platform: string): boolean {
  return command.includes('/') || (platform === 'win32' && command.includes('\\'));
}

/**
 * Resolve a command the way the OS would: a path is checked as is, a bare name is searched on PATH
 * (with PATHEXT on Windows). Returns the full path, or undefined when nothing runnable is there.
 */
export function findExecutable(command: string, environment: Environment): string | undefined {
  const win = environment.platform === 'win32';
  const exts = win
    ? ['', ...(environment.env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean).map((e) => e.toLowerCase())]
    : [''];
  const candidates = (base: string): string[] => exts.map((ext) => base + ext);
  if (hasSeparator(command, environment.platform)) {
    return candidates(command).find((c) => environment.isExecutable(c));
  }
  const pathVar = (win ? environment.env.Path ?? environment.env.PATH : environment.env.PATH) ?? '';
  const sep = win ? '\\' : '/';
  for (const dir of pathVar.split(win ? ';' : ':')) {
    if (!dir) continue;
    const base = dir.endsWith(sep) || dir.endsWith('/') ? dir + command : dir + sep + command;
    const found = candidates(base).find((c) => environment.isExecutable(c));
    if (found) return found;
  }
  return undefined;
}

/** The outcome of locating the server: a runnable launch, or a message saying what is missing. */
export type LocateResult = { ok: true; launch: ServerLaunch } | { ok: false; launch: ServerLaunch; message: string };

/** Decide how to start the server and check that the executable is there. */
export function locateServer(location: ServerLocation, environment: Environment): LocateResult {
  const launch = serverLaunch(location, environment);
  const resolved = findExecutable(launch.command, environment);
  if (resolved) return { ok: true, launch: { ...launch, command: resolved } };
  let message: string;
  if (launch.source === 'PATH') {
    message =
      `cadre-lsp: the server executable '${DEFAULT_EXECUTABLE}' was not found on PATH. ` +
      `Install it (pip install cadre-lsp), or set cadre.server.path or cadre.server.python.`;
  } else {
    message = `cadre-lsp: ${launch.source} is set to '${launch.command}', which is not an executable file.`;
  }
  return { ok: false, launch, message };
}
