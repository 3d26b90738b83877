/**
 * The pure half of the result panel: a small safe markdown renderer (used when VS Code's
 * `markdown.api.render` is unavailable), the result history, and the page HTML with its CSP.
 *
 * Model output is untrusted text. The fallback renderer escapes everything and only emits a fixed
 * set of tags; the page forbids scripts through its Content-Security-Policy whichever renderer ran.
 */

import type { CadreResult } from './protocol';
import { uriBasename } from './protocol';

/** Results kept in the panel, newest first. */
export const HISTORY_LIMIT = 10;

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Inline markdown on already-split text: code spans, links (http/https only), bold, italic. */
export function renderInline(text: string): string {
  // Code spans first, so their contents are never read as emphasis or links.
  const pieces = text.split(/(`[^`]+`)/);
  return pieces
    .map((piece) => {
      if (piece.length > 2 && piece.startsWith('`') && piece.endsWith('`')) {
        return `<code>${escapeHtml(piece.slice(1, -1))}</code>`;
      }
      let html = escapeHtml(piece);
      html = html.replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, (_m, label: string, url: string) => `<a href="${url}">${label}</a>`);
      html = html.replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
      html = html.replace(/(^|[^*\w])\*([^*\s][^*]*)\*(?!\w)/g, '$1<em>$2</em>');
      html = html.replace(/(^|\W)_([^_\s][^_]*)_(?!\w)/g, '$1<em>$2</em>');
      return html;
    })
    .join('');
}

/**
 * A deliberately small markdown renderer: fenced code, headings, lists, block quotes, rules and
 * paragraphs. Good enough for model explanations when the built-in renderer is not there.
 */
export function renderMarkdownFallback(markdown: string): string {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let paragraph: string[] = [];
  let list: { tag: 'ul' | 'ol'; items: string[] } | undefined;

  const flushParagraph = (): void => {
    if (paragraph.length) out.push(`<p>${paragraph.map(renderInline).join('<br>\n')}</p>`);
    paragraph = [];
  };
  const flushList = (): void => {
    if (list) out.push(`<${list.tag}>${list.items.map((i) => `<li>${renderInline(i)}</li>`).join('')}</${list.tag}>`);
    list = undefined;
  };
  const flush = (): void => {
    flushParagraph();
    flushList();
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = /^\s*(```+|~~~+)\s*([\w+#.-]*)/.exec(line);
    if (fence) {
      flush();
      const marker = fence[1];
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i].trim().startsWith(marker)) body.push(lines[i++]);
      const lang = fence[2] ? ` class="language-${escapeHtml(fence[2])}"` : '';
      out.push(`<pre><code${lang}>${escapeHtml(body.join('\n'))}</code></pre>`);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      flush();
      const level = heading[1].length;
      out.push(`<h${level}>${renderInline(heading[2])}</h${level}>`);
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      flush();
      out.push('<hr>');
      continue;
    }
    const bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line);
    if (bullet || numbered) {
      flushParagraph();
      const tag = bullet ? 'ul' : 'ol';
      if (list && list.tag !== tag) flushList();
      list ??= { tag, items: [] };
      list.items.push((bullet ?? numbered)![1]);
      continue;
    }
    const quote = /^\s*>\s?(.*)$/.exec(line);
    if (quote) {
      flush();
      out.push(`<blockquote>${renderInline(quote[1])}</blockquote>`);
      continue;
    }
    if (line.trim() === '') {
      flush();
      continue;
    }
    if (list && /^\s{2,}\S/.test(line)) {
      list.items[list.items.length - 1] += ' ' + line.trim();
      continue;
    }
    flushList();
    paragraph.push(line.trim());
  }
  flush();
  return out.join('\n');
}

/** One result as shown in the panel. */
export interface PanelEntry {
  result: CadreResult;
  /** Rendered markdown body (HTML). */
  html: string;
  /** When it arrived, as shown (local time). */
  receivedAt: string;
}

/** Add a result at the top, replacing an earlier entry for the same job, keeping at most `limit`. */
export function pushEntry(history: readonly PanelEntry[], entry: PanelEntry, limit = HISTORY_LIMIT): PanelEntry[] {
  return [entry, ...history.filter((e) => e.result.jobId !== entry.result.jobId)].slice(0, Math.max(1, limit));
}

/** Heading of one result: its title, or "Explain — file.py" when the server sent none. */
export function resultHeading(result: CadreResult): string {
  if (result.title.trim()) return result.title.trim();
  const action = result.action ? result.action[0].toUpperCase() + result.action.slice(1) : 'Result';
  const file = uriBasename(result.uri);
  return file ? `${action} — ${file}` : action;
}

/** Which results open the panel by themselves; the rest only announce a summary with a button. */
export function revealsPanel(action: string): boolean {
  return action === 'explain' || action === 'review';
}

/**
 * The Content-Security-Policy of the panel: no scripts, inline styles, and no remote loads at all,
 * so an image URL in model output cannot make the panel call out.
 */
export function contentSecurityPolicy(cspSource: string): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource} 'unsafe-inline'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

const STYLE = `
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 1em 2em; line-height: 1.5; }
section { border-bottom: 1px solid var(--vscode-panel-border, #8884); padding: 0.5em 0 1em; }
header h2 { margin-bottom: 0.1em; }
.meta { color: var(--vscode-descriptionForeground); font-size: 0.9em; }
.summary { font-style: italic; }
pre { background: var(--vscode-textCodeBlock-background); padding: 0.6em; overflow-x: auto; border-radius: 3px; }
code { font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); }
blockquote { border-left: 3px solid var(--vscode-textBlockQuote-border); margin-left: 0; padding-left: 0.8em; color: var(--vscode-textBlockQuote-foreground, inherit); }
a { color: var(--vscode-textLink-foreground); }
`;

/** The whole panel document for the given entries (newest first). */
export function renderPage(entries: readonly PanelEntry[], cspSource: string): string {
  const sections = entries.map((e) => {
    const r = e.result;
    const meta = [r.action, uriBasename(r.uri), e.receivedAt]
      .filter(Boolean)
      .map(escapeHtml)
      .join(' · ');
    const summary = r.summary ? `<p class="summary">${escapeHtml(r.summary)}</p>` : '';
    return (
      `<section id="job-${escapeHtml(r.jobId)}">` +
      `<header><h2>${escapeHtml(resultHeading(r))}</h2><div class="meta">${meta}</div></header>` +
      `${summary}<div class="body">${e.html}</div></section>`
    );
  });
  const body = sections.length ? sections.join('\n') : '<p class="meta">No results yet.</p>';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(cspSource))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>cadre results</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>`;
}
