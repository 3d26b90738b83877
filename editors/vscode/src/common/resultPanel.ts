/**
 * The "cadre results" webview: the latest results (newest first), rendered with VS Code's own
 * markdown renderer when it is available, otherwise with the small safe fallback in markdown.ts.
 * Scripts are disabled; the page's CSP is built in markdown.ts.
 */

import * as vscode from 'vscode';

import { pushEntry, renderMarkdownFallback, renderPage, type PanelEntry } from './markdown';
import type { CadreResult } from './protocol';

export class ResultPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private entries: PanelEntry[] = [];

  /** Add a result; open the panel beside the editor when `reveal` is set, otherwise only refresh it. */
  async add(result: CadreResult, reveal: boolean): Promise<void> {
    const html = await renderMarkdown(result.markdown || result.summary);
    this.entries = pushEntry(this.entries, { result, html, receivedAt: new Date().toLocaleTimeString() });
    if (reveal) this.show();
    else this.refresh();
  }

  /** Open (or bring forward) the panel without taking the focus from the editor. */
  show(): void {
    if (this.panel) {
      this.panel.reveal(undefined, true);
    } else {
      this.panel = vscode.window.createWebviewPanel(
        'cadre.results',
        'cadre results',
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        { enableScripts: false, enableFindWidget: true, localResourceRoots: [] },
      );
      this.panel.onDidDispose(() => (this.panel = undefined));
    }
    this.refresh();
  }

  get hasResults(): boolean {
    return this.entries.length > 0;
  }

  private refresh(): void {
    if (this.panel) this.panel.webview.html = renderPage(this.entries, this.panel.webview.cspSource);
  }

  dispose(): void {
    this.panel?.dispose();
  }
}

/** Markdown -> HTML through the built-in markdown extension, or the fallback when it is disabled. */
async function renderMarkdown(markdown: string): Promise<string> {
  try {
    const html = await vscode.commands.executeCommand<string>('markdown.api.render', markdown);
    if (typeof html === 'string') return html;
  } catch {
    // The built-in markdown extension can be disabled; fall through.
  }
  return renderMarkdownFallback(markdown);
}
