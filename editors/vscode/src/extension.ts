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

  await server.restart();
}

export async function deactivate(): Promise<void> {
  await manager?.stop();
  manager = undefined;
}
