/**
 * The status bar item: one item whose text follows the server state and the `cadre/jobs`
 * notifications; clicking it runs "cadre: Show Status". The wording lives in status.ts.
 */

import * as vscode from 'vscode';

import type { JobsPayload } from './protocol';
import { statusView, type ServerState } from './status';

export class CadreStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private state: ServerState = 'stopped';
  private jobs: JobsPayload | undefined;

  constructor(command: string) {
    this.item = vscode.window.createStatusBarItem('cadre.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'cadre-lsp';
    this.item.command = command;
    this.render();
    this.item.show();
  }

  setState(state: ServerState): void {
    this.state = state;
    this.render();
  }

  setJobs(jobs: JobsPayload): void {
    this.jobs = jobs;
    this.render();
  }

  private render(): void {
    const view = statusView(this.state, this.jobs);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor =
      view.severity === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : view.severity === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
