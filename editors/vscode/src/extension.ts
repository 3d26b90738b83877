/**
 * Entry point: wires the language client, the status bar, the result panel and the palette
 * commands together, and restarts the server when its location settings change.
 */

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

import { Command, registerCommands } from './common/commands';
import { revealsPanel } from './common/markdown';
import { ResultPanel } from './common/resultPanel';
import { CLIENT_NAME, ServerManager } from './common/server';
import { CadreStatusBar } from './common/statusBar';
import { installSteps, managedPaths, offer, pickBundledWheel, type InstallStep } from './common/install';

/** Settings whose change needs a new server process rather than a didChangeConfiguration. */
const RESTART_SECTIONS = ['cadre.server'];
const RESTART_DEBOUNCE_MS = 500;

let manager: ServerManager | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel(CLIENT_NAME, { log: true });
  const properties = context.extension.packageJSON?.contributes?.configuration?.properties as Record<string, unknown> | undefined;
  const server = new ServerManager(output, properties);
  manager = server;
  const statusBar = new CadreStatusBar(Command.showStatus);
  const panel = new ResultPanel();

  context.subscriptions.push(
    output,
    server,
    statusBar,
    panel,
    server.onDidChangeState((state) => statusBar.setState(state)),
    server.onJobs((jobs) => statusBar.setJobs(jobs)),
    server.onResult(async (result) => {
      const reveal = revealsPanel(result.action);
      await panel.add(result, reveal);
      if (!reveal && result.summary) {
        const choice = await vscode.window.showInformationMessage(`cadre ${result.action}: ${result.summary}`, 'Show Details');
        if (choice) panel.show();
      }
    }),
    ...registerCommands(server, panel, output),
  );

  let pending: ReturnType<typeof setTimeout> | undefined;
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      // Other cadre.* changes reach the running server through didChangeConfiguration (server.ts).
      if (!RESTART_SECTIONS.some((s) => event.affectsConfiguration(s))) return;
      if (pending) clearTimeout(pending);
      pending = setTimeout(() => void server.restart(), RESTART_DEBOUNCE_MS);
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void server.restart()),
    { dispose: () => pending && clearTimeout(pending) },
  );

  const loadSecrets = async () => {
    server.secretEnv = parseSecretEnv(await context.secrets.get(SECRET_ENV_KEY));
  };
  context.subscriptions.push(
    vscode.commands.registerCommand(Command.setApiKey, async () => {
      if (await setApiKey(context.secrets)) {
        await loadSecrets();
        await server.restart();
      }
    }),
  );
  await loadSecrets();

  // "cadre: Install Server": a venv in global storage, offered on a first start with nothing configured.
  const DECLINED_KEY = 'cadre.installDeclined';
  server.storageDir = context.globalStorageUri.fsPath;
  server.installDeclined = () => context.globalState.get<boolean>(DECLINED_KEY, false);
  const install = async (): Promise<void> => {
    const choice = offer({
      platform: process.platform,
      pythonExtensionInterpreter: await pythonExtensionInterpreter(),
      bundledWheel: bundledWheel(context.extensionPath),
    });
    const paths = managedPaths(context.globalStorageUri.fsPath, process.platform);
    fs.mkdirSync(context.globalStorageUri.fsPath, { recursive: true });
    const ok = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'cadre: installing the server', cancellable: true },
      async (progress, token) => {
        for (const step of installSteps(choice.python, choice.requirement, paths)) {
          progress.report({ message: step.title });
          if (!(await runStep(step, output, token))) return false;
        }
        return true;
      },
    );
    if (ok) {
      void vscode.window.showInformationMessage(`cadre: server installed in ${paths.venv}`);
      await server.restart();
    } else {
      const logs = 'Show Output';
      if ((await vscode.window.showErrorMessage('cadre: installing the server failed (see the cadre-lsp output).', logs)) === logs) output.show(true);
    }
  };
  server.onOfferInstall = async () => {
    const choice = offer({ platform: process.platform, pythonExtensionInterpreter: await pythonExtensionInterpreter() });
    const yes = 'Install';
    const other = 'Other Ways';
    const never = "Don't Ask Again";
    const answer = await vscode.window.showInformationMessage(
      `cadre: the cadre-lsp server is not installed. Install it into a virtual environment for this extension ` +
        `(with ${choice.pythonSource === 'Python extension' ? "the Python extension's interpreter" : choice.python})?`,
      yes, other, never,
    );
    if (answer === yes) await install();
    else if (answer === never) await context.globalState.update(DECLINED_KEY, true);
    else if (answer === other) await server.showProblem();
  };
  context.subscriptions.push(
    vscode.commands.registerCommand(Command.installServer, async () => {
      await context.globalState.update(DECLINED_KEY, false);
      await install();
    }),
  );
  await server.restart();
}

/** The Python extension's interpreter for the first folder, if that extension is installed and has one. */
async function pythonExtensionInterpreter(): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension('ms-python.python');
  if (!ext) return undefined;
  try {
    const api = (ext.isActive ? ext.exports : await ext.activate()) as {
      settings?: { getExecutionDetails?: (resource?: vscode.Uri) => { execCommand?: string[] } };
    };
    const exec = api?.settings?.getExecutionDetails?.(vscode.workspace.workspaceFolders?.[0]?.uri)?.execCommand;
    return exec && exec.length === 1 ? exec[0] : undefined;
  } catch {
    return undefined;
  }
}

/** The cadre-lsp wheel ci.sh bundles into the .vsix (`server/`), if any. */
function bundledWheel(extensionPath: string): string | undefined {
  const dir = path.join(extensionPath, 'server');
  try {
    const name = pickBundledWheel(fs.readdirSync(dir));
    return name ? path.join(dir, name) : undefined;
  } catch {
    return undefined;
  }
}

/** Run one install step, its output into the log; false on failure or cancel. */
function runStep(step: InstallStep, output: vscode.LogOutputChannel, token: vscode.CancellationToken): Promise<boolean> {
  return new Promise((resolve) => {
    output.info(`install: ${step.command} ${step.args.join(' ')}`);
    const child = spawn(step.command, step.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const log = (data: Buffer) => output.info(String(data).trimEnd());
    child.stdout.on('data', log);
    child.stderr.on('data', log);
    const cancel = token.onCancellationRequested(() => child.kill());
    child.on('error', (err) => {
      output.error(`install: ${step.title}: ${err.message}`);
      cancel.dispose();
      resolve(false);
    });
    child.on('close', (code) => {
      cancel.dispose();
      if (code !== 0) output.error(`install: ${step.title} failed (exit ${code})`);
      resolve(code === 0);
    });
  });
}

/** SecretStorage key holding `{ENV_NAME: value}` for the server's environment. */
const SECRET_ENV_KEY = 'cadre.serverEnv';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function parseSecretEnv(stored: string | undefined): Record<string, string> {
  if (!stored) return {};
  try {
    const value = JSON.parse(stored) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
    return Object.fromEntries(Object.entries(value).filter(([k, v]) => ENV_NAME.test(k) && typeof v === 'string')) as Record<string, string>;
  } catch {
    return {};
  }
}

/** Ask for a variable name and a key; store it in SecretStorage (an empty key removes it). */
async function setApiKey(secrets: vscode.SecretStorage): Promise<boolean> {
  const name = await vscode.window.showInputBox({
    title: 'cadre: API key - environment variable',
    prompt: 'The server gets the key as this variable; refer to it in your config as "${NAME}" (e.g. api_key = "${OPENAI_API_KEY}")',
    value: 'OPENAI_API_KEY',
    validateInput: (v) => (ENV_NAME.test(v) ? undefined : 'letters, digits and _ only'),
  });
  if (!name) return false;
  const key = await vscode.window.showInputBox({
    title: `cadre: ${name}`,
    prompt: 'Stored in VS Code\'s secret storage, not in settings.json. Leave empty to remove it.',
    password: true,
    ignoreFocusOut: true,
  });
  if (key === undefined) return false;
  const env = parseSecretEnv(await secrets.get(SECRET_ENV_KEY));
  if (key) env[name] = key;
  else delete env[name];
  await secrets.store(SECRET_ENV_KEY, JSON.stringify(env));
  vscode.window.setStatusBarMessage(key ? `cadre: ${name} stored; restarting the server` : `cadre: ${name} removed`, 4000);
  return true;
}

export async function deactivate(): Promise<void> {
  await manager?.stop();
  manager = undefined;
}
