/**
 * Palette commands. Their ids differ from the server's executeCommand ids (`cadre.explain`, ...),
 * which vscode-languageclient registers by itself from the server's executeCommandProvider.
 */

import * as vscode from 'vscode';

import {
  ACTIONS,
  BUILTIN_PATTERNS,
  jobArgs,
  parseStatus,
  pickerArgs,
  ServerCommand,
  type Action,
  type CancelResult,
  uriBasename,
} from './protocol';
import type { ResultPanel } from './resultPanel';
import { ServerUnavailable, type ServerManager } from './server';
import { statusItems, statusReport } from './status';

/** Palette command ids, declared in package.json's `contributes.commands`. */
export const Command = {
  explainSelection: 'cadre.explainSelection',
  implementSelection: 'cadre.implementSelection',
  fixSelection: 'cadre.fixSelection',
  reviewSelection: 'cadre.reviewSelection',
  runWithPattern: 'cadre.runWithPattern',
  cancelJobs: 'cadre.cancelJobs',
  showStatus: 'cadre.showStatus',
  showResults: 'cadre.showResults',
  restart: 'cadre.restart',
  setApiKey: 'cadre.setApiKey',
  installServer: 'cadre.installServer',
} as const;

/** Optional argument of the selection commands, for keybindings: `{"pattern": "validated"}`. */
interface SelectionOptions {
  pattern?: string;
  instruction?: string;
}

/**
 * Keybindings may pass `{pattern, instruction}`; menus pass the resource URI, which is ignored.
 */
function selectionOptions(arg: unknown): SelectionOptions {
  if (typeof arg !== 'object' || arg === null || arg instanceof vscode.Uri) return {};
  const { pattern, instruction } = arg as Record<string, unknown>;
  return {
    pattern: typeof pattern === 'string' ? pattern : undefined,
    instruction: typeof instruction === 'string' ? instruction : undefined,
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Report a failed request, unless the server was unavailable (ServerManager has said so already). */
function reportError(what: string, err: unknown): void {
  if (err instanceof ServerUnavailable) return;
  void vscode.window.showErrorMessage(`${what}: ${errorText(err)}`);
}

/** Start one job on the active editor's selection (the cursor alone means "the enclosing definition"). */
async function runOnSelection(manager: ServerManager, action: Action, options: SelectionOptions = {}): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showWarningMessage(`cadre: open a file and select code to ${action}.`);
    return;
  }
  let instruction = options.instruction;
  if (action === 'implement' && instruction === undefined) {
    instruction = await vscode.window.showInputBox({
      title: 'cadre: Implement',
      prompt: 'What should the code do? (optional: leave empty to implement from the selection and its comments)',
      ignoreFocusOut: true,
    });
    if (instruction === undefined) return; // Escape cancels.
  }
  const { document, selection } = editor;
  const range = {
    start: { line: selection.start.line, character: selection.start.character },
    end: { line: selection.end.line, character: selection.end.character },
  };
  const args = jobArgs(document.uri.toString(), range, document.version, { pattern: options.pattern, instruction });
  try {
    const reply = (await manager.executeCommand(ServerCommand[action], args)) as { jobId?: string } | null;
    const suffix = args.pattern ? ` with ${args.pattern}` : '';
    vscode.window.setStatusBarMessage(`cadre: ${action}${suffix} started${reply?.jobId ? ` (${reply.jobId})` : ''}`, 4000);
  } catch (err) {
    reportError(`cadre ${action}`, err);
  }
}

/**
 * Ask for an action and a pattern, then run it: on the selection from the palette, or on the code
 * action's range from "cadre: With pattern…" (the server sends `pickerArgs`: the range and its choices).
 */
async function runWithPattern(manager: ServerManager, arg?: unknown): Promise<void> {
  const picker = pickerArgs(arg);
  const actions = picker?.actions ?? ACTIONS;
  const action = await vscode.window.showQuickPick(
    actions.map((a) => ({ label: a[0].toUpperCase() + a.slice(1), action: a })),
    { title: 'cadre: action', placeHolder: picker ? 'Run which action here?' : 'Run which action on the selection?' },
  );
  if (!action) return;
  const other = '$(edit) Other pattern…';
  const defaults = picker?.defaults ?? {};
  const items = [...(picker?.patterns ?? BUILTIN_PATTERNS)].map((p) => ({
    label: p,
    description: defaults[action.action] === p ? 'default' : undefined,
  }));
  const picked = await vscode.window.showQuickPick([...items, { label: other, description: undefined }], {
    title: `cadre: ${action.label} with pattern`,
    placeHolder: 'Pattern (cadre.actionPatterns sets the defaults)',
  });
  if (!picked) return;
  const pattern = picked.label === other ? await vscode.window.showInputBox({ title: 'cadre: pattern name', prompt: 'A pattern declared in your cadre config' }) : picked.label;
  if (!pattern) return;
  if (!picker) {
    await runOnSelection(manager, action.action, { pattern });
    return;
  }
  let instruction: string | undefined;
  if (action.action === 'implement') {
    instruction = await vscode.window.showInputBox({
      title: 'cadre: Implement',
      prompt: 'What should the code do? (optional: leave empty to implement from the selection and its comments)',
      ignoreFocusOut: true,
    });
    if (instruction === undefined) return;
  }
  const args = jobArgs(picker.uri, picker.range, picker.version, { pattern, instruction });
  try {
    await manager.executeCommand(ServerCommand[action.action], args);
    vscode.window.setStatusBarMessage(`cadre: ${action.action} with ${pattern} started`, 4000);
  } catch (err) {
    reportError(`cadre ${action.action}`, err);
  }
}

async function cancel(manager: ServerManager, jobId?: string): Promise<void> {
  try {
    const reply = (await manager.executeCommand(ServerCommand.cancel, jobId ? { jobId } : {})) as CancelResult | null;
    const n = Array.isArray(reply?.cancelled) ? reply.cancelled.length : 0;
    vscode.window.setStatusBarMessage(n ? `cadre: cancelled ${n} job${n === 1 ? '' : 's'}` : 'cadre: nothing to cancel', 4000);
  } catch (err) {
    reportError('cadre cancel', err);
  }
}

async function cancelJobs(manager: ServerManager): Promise<void> {
  const running = manager.jobs.running;
  if (running.length <= 1) {
    // With one job (or a view that may be stale) "cancel all" is what the user means.
    await cancel(manager, running[0]?.jobId);
    return;
  }
  const all = { label: '$(close-all) All jobs', jobId: undefined as string | undefined };
  const items = [
    all,
    ...running.map((j) => ({ label: `$(close) ${j.action}`, description: uriBasename(j.uri), detail: j.step, jobId: j.jobId as string | undefined })),
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'cadre: cancel jobs' });
  if (picked) await cancel(manager, picked.jobId);
}

async function showStatus(manager: ServerManager, output: vscode.LogOutputChannel): Promise<void> {
  let status;
  try {
    status = parseStatus(await manager.executeCommand(ServerCommand.status));
  } catch (err) {
    reportError('cadre status', err);
    return;
  }
  output.info(statusReport(status));
  const details = { label: '$(output) Show details in the output', jobId: undefined as string | undefined, details: true };
  const items: (vscode.QuickPickItem & { jobId?: string; details?: boolean })[] = statusItems(status).map((i) =>
    i.separator ? { label: i.label, kind: vscode.QuickPickItemKind.Separator } : { label: i.label, description: i.description, detail: i.detail, jobId: i.jobId },
  );
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, details);
  const picked = await vscode.window.showQuickPick(items, { title: 'cadre-lsp status', matchOnDescription: true });
  if (!picked) return;
  if (picked.details) output.show(true);
  else if (picked.jobId) await cancel(manager, picked.jobId);
}

/** Register every palette command; returns their disposables. */
export function registerCommands(manager: ServerManager, panel: ResultPanel, output: vscode.LogOutputChannel): vscode.Disposable[] {
  const selection = (action: Action) => (arg?: unknown) => runOnSelection(manager, action, selectionOptions(arg));
  return [
    vscode.commands.registerCommand(Command.explainSelection, selection('explain')),
    vscode.commands.registerCommand(Command.implementSelection, selection('implement')),
    vscode.commands.registerCommand(Command.fixSelection, selection('fix')),
    vscode.commands.registerCommand(Command.reviewSelection, selection('review')),
    vscode.commands.registerCommand(Command.runWithPattern, (arg?: unknown) => runWithPattern(manager, arg)),
    vscode.commands.registerCommand(Command.cancelJobs, () => cancelJobs(manager)),
    vscode.commands.registerCommand(Command.showStatus, () => showStatus(manager, output)),
    vscode.commands.registerCommand(Command.showResults, () => {
      if (panel.hasResults) panel.show();
      else void vscode.window.showInformationMessage('cadre: no results yet. Run Explain or Review first.');
    }),
    vscode.commands.registerCommand(Command.restart, () => manager.restart()),
  ];
}
