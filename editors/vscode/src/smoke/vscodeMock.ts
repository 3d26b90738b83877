/**
 * Just enough of the `vscode` API to activate the extension and vscode-languageclient under plain
 * node, for the smoke test. What the extension shows (status bar, panels, messages, picks) is
 * recorded in `mock` so the test can read it. Any API not modelled here is a no-op stub.
 */

/* eslint-disable @typescript-eslint/no-explicit-any */

type Listener = (e: any) => unknown;

export const mock = {
  commands: new Map<string, (...args: any[]) => any>(),
  statusItems: [] as { text: string; tooltip?: string }[],
  panels: [] as { webview: { html: string; cspSource: string } }[],
  messages: [] as unknown[][],
  /** Flat settings, e.g. `{'cadre.server.path': '/x'}`; all read as user (global) values. */
  settings: {} as Record<string, unknown>,
  configListeners: [] as Listener[],
  activeTextEditor: undefined as unknown,
  inputBox: undefined as string | undefined,
  /** Index picked in the next quick pick (undefined = dismissed). */
  pick: undefined as number | undefined,
};

const stubHandler: ProxyHandler<any> = {
  get(target, prop) {
    if (prop === 'then' || typeof prop === 'symbol') return undefined;
    return prop in target ? target[prop] : stub;
  },
  apply: () => stub,
  construct: () => stub,
};
const stub: any = new Proxy(function stubFn() {}, stubHandler);

function lenient<T extends object>(obj: T): T {
  return new Proxy(obj, {
    get(t: any, p) {
      if (p === 'then' || typeof p === 'symbol') return t[p];
      return p in t ? t[p] : stub;
    },
  });
}

class Disposable {
  constructor(private readonly fn?: () => void) {}
  static from(...ds: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => ds.forEach((d) => d.dispose()));
  }
  dispose(): void {
    this.fn?.();
  }
}

class EventEmitter {
  private listeners: Listener[] = [];
  event = (fn: Listener): Disposable => {
    this.listeners.push(fn);
    return new Disposable(() => (this.listeners = this.listeners.filter((l) => l !== fn)));
  };
  fire(e: unknown): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners = [];
  }
}

class Uri {
  authority = '';
  query = '';
  fragment = '';
  constructor(
    readonly scheme: string,
    readonly path: string,
  ) {}
  get fsPath(): string {
    return this.path;
  }
  static parse(s: string): Uri {
    const i = s.indexOf(':');
    return new Uri(s.slice(0, i), s.slice(i + 1).replace(/^\/\//, ''));
  }
  static file(p: string): Uri {
    return new Uri('file', p);
  }
  with(): Uri {
    return this;
  }
  toString(): string {
    return this.scheme === 'file' ? `file://${this.path}` : `${this.scheme}:${this.path}`;
  }
}

function configuration(section?: string): any {
  const full = (k: string): string => (section ? `${section}.${k}` : k);
  return {
    get: (k: string, d?: unknown) => mock.settings[full(k)] ?? d,
    has: (k: string) => full(k) in mock.settings,
    inspect: (k: string) => ({ key: full(k), globalValue: mock.settings[full(k)] }),
    update: async () => undefined,
  };
}

function record(kind: string) {
  return async (...args: unknown[]): Promise<undefined> => {
    mock.messages.push([kind, ...args]);
    return undefined;
  };
}

const api = {
  version: '1.82.0',
  Disposable,
  EventEmitter,
  Uri,
  ThemeColor: class {
    constructor(readonly id: string) {}
  },
  StatusBarAlignment: { Left: 1, Right: 2 },
  ViewColumn: { Active: -1, Beside: -2, One: 1 },
  QuickPickItemKind: { Separator: -1, Default: 0 },
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  env: lenient({
    language: 'en',
    appName: 'vscode-mock',
    machineId: 'mock',
    openExternal: async (uri: unknown) => {
      mock.messages.push(['openExternal', String(uri)]);
      return true;
    },
  }),
  workspace: lenient({
    workspaceFolders: undefined,
    textDocuments: [],
    notebookDocuments: [],
    isTrusted: true,
    getConfiguration: configuration,
    onDidChangeConfiguration: (fn: Listener) => {
      mock.configListeners.push(fn);
      return new Disposable(() => (mock.configListeners = mock.configListeners.filter((l) => l !== fn)));
    },
  }),
  window: lenient({
    get activeTextEditor() {
      return mock.activeTextEditor;
    },
    visibleTextEditors: [],
    createOutputChannel: (name: string) =>
      lenient({ name, append() {}, appendLine() {}, info() {}, warn() {}, error() {}, trace() {}, debug() {}, show() {}, dispose() {}, clear() {} }),
    createStatusBarItem: () => {
      const item = { text: '', show() {}, hide() {}, dispose() {} };
      mock.statusItems.push(item);
      return item;
    },
    createWebviewPanel: () => {
      const panel = { webview: { html: '', cspSource: 'vscode-webview:' }, reveal() {}, onDidDispose: () => new Disposable(), dispose() {} };
      mock.panels.push(panel);
      return panel;
    },
    showErrorMessage: record('error'),
    showWarningMessage: record('warning'),
    showInformationMessage: record('info'),
    setStatusBarMessage: (text: string) => {
      mock.messages.push(['statusbar', text]);
      return new Disposable();
    },
    showQuickPick: async (items: any) => {
      const list = await items;
      mock.messages.push(['quickpick', list.map((i: any) => (typeof i === 'string' ? i : i.label))]);
      return mock.pick === undefined ? undefined : list[mock.pick];
    },
    showInputBox: async () => mock.inputBox,
  }),
  commands: lenient({
    registerCommand: (id: string, fn: (...args: any[]) => any) => {
      if (mock.commands.has(id)) throw new Error(`command '${id}' already exists`);
      mock.commands.set(id, fn);
      return new Disposable(() => mock.commands.delete(id));
    },
    executeCommand: async (id: string, ...args: unknown[]) => {
      const fn = mock.commands.get(id);
      if (!fn) throw new Error(`command '${id}' not found`);
      return fn(...args);
    },
    getCommands: async () => [...mock.commands.keys()],
  }),
  languages: lenient({ match: () => 10 }),
  extensions: lenient({ all: [], getExtension: () => undefined }),
};

/** The module object handed to `require('vscode')`. */
export const vscodeModule: any = lenient(api);
