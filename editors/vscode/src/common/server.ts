/**
 * Builds and runs the language client: where the server is, what settings it gets, restart, and
 * the cadre notifications turned into VS Code events.
 *
 * Standard LSP features (code actions, hover, diagnostics, applyEdit, showDocument, work-done
 * progress with Cancel, and the server's executeCommand ids) are all handled by
 * vscode-languageclient itself; this module only adds what is cadre-specific.
 */

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  RevealOutputChannelOn,
  State,
  type ClientCapabilities,
  type ErrorHandler,
  type LanguageClientOptions,
  type ServerOptions,
  type StaticFeature,
} from 'vscode-languageclient/node';

import { INSTALL_URL } from './constants';
import { decideStart, managedPaths } from './install';
import { Notification, parseJobs, parseResult, type CadreResult, type JobsPayload } from './protocol';
import {
  flatServerSettings,
  locateServer,
  nestSettings,
  settingsForSection,
  type Environment,
  type LocateResult,
  type ServerSettings,
} from './settings';
import type { ServerState } from './status';

/** Client id: also makes vscode-languageclient honour the `cadre.trace.server` setting. */
export const CLIENT_ID = 'cadre';
export const CLIENT_NAME = 'cadre-lsp';

/** The languages the server understands (tree-sitter grammars it ships); package.json activates on them. */
export const LANGUAGES: readonly string[] = ['python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'go', 'rust', 'lua', 'c', 'cpp'];

/** Documents of those languages, saved or not: other files are never synced to the server. */
export const DOCUMENT_SELECTOR = LANGUAGES.flatMap((language) => [
  { scheme: 'file', language },
  { scheme: 'untitled', language },
]);

/** Read the server-bound settings the user set, nested, for one scope (a folder) or globally. */
export function readServerSettings(
  properties: Record<string, unknown> | undefined,
  scope?: vscode.Uri,
  onDeprecated?: (legacy: string, replacement: string) => void,
): ServerSettings {
  const config = vscode.workspace.getConfiguration('cadre', scope ?? null);
  return nestSettings(flatServerSettings(properties, (key) => config.inspect(key), onDeprecated));
}

function firstFolder(): vscode.WorkspaceFolder | undefined {
  return vscode.workspace.workspaceFolders?.[0];
}

function isExecutable(path: string): boolean {
  try {
    if (!fs.statSync(path).isFile()) return false;
    if (process.platform !== 'win32') fs.accessSync(path, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The facts `locateServer` needs, taken from this process and the first workspace folder. */
export function currentEnvironment(): Environment {
  return {
    platform: process.platform,
    home: os.homedir(),
    env: process.env,
    workspaceFolder: firstFolder()?.uri.fsPath,
    isExecutable,
  };
}

/** Where the server is, from `cadre.server.path` / `cadre.server.python` (empty strings mean unset). */
export function locate(): LocateResult {
  const config = vscode.workspace.getConfiguration('cadre.server', firstFolder()?.uri ?? null);
  return locateServer(
    { path: config.get<string>('path') || undefined, python: config.get<string>('python') || undefined },
    currentEnvironment(),
  );
}

/**
 * For `cadre.server.python`: check that the interpreter can import cadre_lsp before starting it, so
 * a missing install gets the install help instead of a dropped connection. Resolves to an error
 * message, or undefined when the import works.
 */
export function checkPythonModule(python: string, timeoutMs = 15000): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(python, ['-c', 'import cadre_lsp'], { timeout: timeoutMs }, (err, _stdout, stderr) => {
      if (!err) return resolve(undefined);
      const last = String(stderr).trim().split('\n').pop() || err.message;
      resolve(
        `cadre-lsp: '${python}' cannot import cadre_lsp (${last}). ` +
          `Install it into that environment (${python} -m pip install cadre-lsp) or change cadre.server.python.`,
      );
    });
  });
}

/** The server is not running; the user has already been told why. */
export class ServerUnavailable extends Error {}

/**
 * Before the server has ever run, a closed connection means it cannot start: stop quietly and let
 * ServerManager explain. Once it has run, crashes restart it like the default handler does.
 */
function errorHandler(client: () => LanguageClient, hasRun: () => boolean): ErrorHandler {
  let fallback: ErrorHandler | undefined;
  const after = (): ErrorHandler => (fallback ??= client().createDefaultErrorHandler(4));
  return {
    error: (error, message, count) => (hasRun() ? after().error(error, message, count) : { action: ErrorAction.Shutdown, handled: true }),
    closed: () => (hasRun() ? after().closed() : { action: CloseAction.DoNotRestart, handled: true }),
  };
}

/**
 * Tell the server that this client renders `cadre/result` itself (so it may skip opening a
 * markdown document for explain results).
 */
class CadreCapabilities implements StaticFeature {
  fillClientCapabilities(capabilities: ClientCapabilities): void {
    capabilities.experimental = { ...(capabilities.experimental as object | undefined), cadre: { resultPanel: true, jobsStatus: true, patternPicker: true } };
  }
  initialize(): void {}
  getState(): { kind: 'static' } {
    return { kind: 'static' };
  }
  clear(): void {}
}

/**
 * Owns the one LanguageClient: starts it, restarts it (serialised), reports its state, and forwards
 * the cadre notifications as events.
 */
export class ServerManager implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private clientSubscriptions: vscode.Disposable[] = [];
  private queue: Promise<void> = Promise.resolve();
  private lastProblem: string | undefined;
  private _state: ServerState = 'stopped';
  private _jobs: JobsPayload = { running: [], models: {} };

  private readonly stateEmitter = new vscode.EventEmitter<ServerState>();
  private readonly jobsEmitter = new vscode.EventEmitter<JobsPayload>();
  private readonly resultEmitter = new vscode.EventEmitter<CadreResult>();
  readonly onDidChangeState = this.stateEmitter.event;
  readonly onJobs = this.jobsEmitter.event;
  readonly onResult = this.resultEmitter.event;

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly settingProperties: Record<string, unknown> | undefined,
  ) {}

  /**
   * API keys from VS Code's SecretStorage ("cadre: Set API Key"), passed to the server process as
   * environment variables that config strings read as `${NAME}`: never in settings.json.
   */
  secretEnv: Record<string, string> = {};

  /** The extension's global storage folder: where "cadre: Install Server" makes its venv. */
  storageDir: string | undefined;
  /** Whether the user answered "Don't ask again" to the install offer. */
  installDeclined: () => boolean = () => false;
  /** Called instead of the "not installed" error when nothing is configured or found (extension.ts offers to install). */
  onOfferInstall: (() => Promise<void>) | undefined;

  get state(): ServerState {
    return this._state;
  }

  /** The last `cadre/jobs` payload (empty while stopped). */
  get jobs(): JobsPayload {
    return this._jobs;
  }

  /** Start (or restart) the server; concurrent calls run one after another. */
  restart(): Promise<void> {
    this.queue = this.queue.then(() => this.doRestart()).catch((err) => this.output.error(`restart failed: ${String(err)}`));
    return this.queue;
  }

  /** Stop the server without starting it again. */
  stop(): Promise<void> {
    this.queue = this.queue.then(() => this.doStop()).catch((err) => this.output.error(`stop failed: ${String(err)}`));
    return this.queue;
  }

  /** The server-bound settings for a scope, as sent to the server. */
  settings(scope?: vscode.Uri): ServerSettings {
    return readServerSettings(this.settingProperties, scope, (legacy, replacement) => {
      if (this.deprecatedTold.has(legacy)) return;
      this.deprecatedTold.add(legacy);
      this.output.warn(`${legacy} is deprecated: use ${replacement} (the old setting is still read while the new one is unset).`);
    });
  }

  private readonly deprecatedTold = new Set<string>();

  /**
   * Send `workspace/executeCommand` to the server. When the server is not running, shows why (with
   * the install and restart buttons) and fails with ServerUnavailable, which callers need not report.
   */
  async executeCommand(command: string, args?: unknown): Promise<unknown> {
    const client = this.client;
    if (!client || this._state !== 'running') {
      void this.showProblem();
      throw new ServerUnavailable(this.lastProblem ?? 'cadre-lsp is not running.');
    }
    return client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args === undefined ? [] : [args] });
  }

  /** Show the "server missing / failed / stopped" error with its buttons. */
  async showProblem(): Promise<void> {
    if (this._state === 'starting') {
      void vscode.window.showInformationMessage('cadre-lsp is starting; try again in a moment.');
      return;
    }
    const message = this.lastProblem ?? 'cadre-lsp: the server is not running.';
    const install = 'How to install';
    const settings = 'Open Settings';
    const logs = 'Show Output';
    const restart = 'Restart';
    const buttons = this._state === 'missing' ? [install, settings, logs] : [restart, install, settings, logs];
    const choice = await vscode.window.showErrorMessage(message, ...buttons);
    if (choice === restart) await this.restart();
    else if (choice === install) await vscode.env.openExternal(vscode.Uri.parse(INSTALL_URL));
    else if (choice === settings) await vscode.commands.executeCommand('workbench.action.openSettings', 'cadre.server');
    else if (choice === logs) this.output.show(true);
  }

  private setState(state: ServerState): void {
    // A new process may run other models: forget the old ones until it sends cadre/jobs.
    if (state !== 'running') this.setJobs({ running: [], models: {} });
    if (this._state === state) return;
    this._state = state;
    this.stateEmitter.fire(state);
  }

  private setJobs(jobs: JobsPayload): void {
    this._jobs = jobs;
    this.jobsEmitter.fire(jobs);
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    for (const d of this.clientSubscriptions) d.dispose();
    this.clientSubscriptions = [];
    if (client) {
      try {
        if (client.needsStop()) await client.stop(2000);
      } catch (err) {
        this.output.warn(`stopping the server: ${String(err)}`);
      }
      try {
        await client.dispose(2000);
      } catch {
        // Already stopped; nothing to release.
      }
    }
    this.setState('stopped');
  }

  private async doRestart(): Promise<void> {
    await this.doStop();
    const located = locate();
    const managed = this.storageDir ? managedPaths(this.storageDir, process.platform).executable : undefined;
    const decision = decideStart({
      located,
      managedExecutable: managed && isExecutable(managed) ? managed : undefined,
      declined: this.installDeclined(),
      platform: process.platform,
    });
    if (decision.kind === 'missing' || decision.kind === 'offer') {
      const message = decision.kind === 'missing' ? decision.message : (located.ok ? '' : located.message);
      this.lastProblem = message;
      this.output.error(message);
      this.setState('missing');
      if (decision.kind === 'offer' && this.onOfferInstall) void this.onOfferInstall();
      else void this.showProblem();
      return;
    }
    const launch = decision.launch;
    const { command, args } = launch;
    if (launch.source === 'cadre.server.python') {
      const problem = await checkPythonModule(command);
      if (problem) {
        this.lastProblem = problem;
        this.output.error(problem);
        this.setState('missing');
        void this.showProblem();
        return;
      }
    }
    const from = decision.kind === 'start-managed' ? 'the venv made by "cadre: Install Server"' : launch.source;
    this.output.info(`starting ${command} ${args.join(' ')} (from ${from})`);
    const client = this.createClient(command, args);
    this.client = client;
    this.lastProblem = undefined;
    this.setState('starting');
    try {
      await client.start();
      // vscode-languageclient 9 can resolve start() although the server exited during initialize.
      if (client.state !== State.Running) throw new Error('the server exited while starting; see the cadre-lsp output');
      this.setState('running');
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.lastProblem =
        `cadre-lsp: the server did not start (${reason}). ` +
        `Check that '${command} ${args.join(' ')}' runs in a terminal, or set cadre.server.path / cadre.server.python.`;
      this.output.error(this.lastProblem);
      this.setState('stopped');
      void this.showProblem();
    }
  }

  private createClient(command: string, args: string[]): LanguageClient {
    const folder = firstFolder();
    // No `transport`: with TransportKind.stdio the client would append `--stdio` to the arguments.
    const serverOptions: ServerOptions = {
      command,
      args,
      options: { cwd: folder?.uri.scheme === 'file' ? folder.uri.fsPath : undefined, env: { ...process.env, ...this.secretEnv } },
    };
    let hasRun = false;
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENT_SELECTOR,
      errorHandler: errorHandler(() => client, () => hasRun),
      // No retry and no popup of its own: doRestart reports the failure with the install help.
      initializationFailedHandler: (error) => {
        this.output.error(`initialize failed: ${error instanceof Error ? error.message : String(error)}`);
        return false;
      },
      initializationOptions: this.settings(folder?.uri),
      outputChannel: this.output,
      traceOutputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      // Registers a didChangeConfiguration listener for `cadre`; the middleware below decides the payload.
      synchronize: { configurationSection: 'cadre' },
      middleware: {
        workspace: {
          configuration: async (params, token, next) => {
            const answers = await next(params, token);
            if (!Array.isArray(answers)) return answers;
            return params.items.map((item, i) => {
              const section = item.section ?? '';
              if (section !== 'cadre' && !section.startsWith('cadre.')) return answers[i];
              const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined;
              return settingsForSection(this.settings(scope), section);
            });
          },
          // Same shape vscode-languageclient sends ({settings: {cadre: ...}}), minus defaults and client-only keys.
          didChangeConfiguration: async () => {
            await client.sendNotification('workspace/didChangeConfiguration', {
              settings: { cadre: this.settings(firstFolder()?.uri) },
            });
          },
        },
      },
    };
    const client = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
    client.registerFeature(new CadreCapabilities());
    this.clientSubscriptions.push(
      client.onNotification(Notification.jobs, (payload: unknown) => this.setJobs(parseJobs(payload))),
      client.onNotification(Notification.result, (payload: unknown) => {
        const result = parseResult(payload);
        if (result) this.resultEmitter.fire(result);
        else this.output.warn(`ignored a malformed ${Notification.result} notification`);
      }),
      client.onDidChangeState((e) => {
        // Track crashes and the client's own restarts; start()/stop() above set the other states.
        if (this.client !== client) return;
        if (e.newState === State.Running) {
          hasRun = true;
          this.setState('running');
        }
        else if (e.newState === State.Stopped) this.setState('stopped');
        else if (e.newState === State.Starting) this.setState('starting');
      }),
    );
    return client;
  }

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
    this.jobsEmitter.dispose();
    this.resultEmitter.dispose();
  }
}
