/**
 * Entry point: wires the language client, the status bar, the result panel and the palette
 * commands together, and restarts the server when its location settings change.
 */

import * as vscode from 'vscode';

import { Command, registerCommands } from './common/commands';
import { revealsPanel } from './common/markdown';
import { ResultPanel } from './common/resultPanel';
import { CLIENT_NAME, ServerManager } from './common/server';
import { CadreStatusBar } from './common/statusBar';

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
  await server.restart();
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
