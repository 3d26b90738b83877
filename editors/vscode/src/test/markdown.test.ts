import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  contentSecurityPolicy,
  escapeHtml,
  pushEntry,
  renderInline,
  renderMarkdownFallback,
  renderPage,
  resultHeading,
  revealsPanel,
  type PanelEntry,
} from '../common/markdown';
import type { CadreResult } from '../common/protocol';

function result(jobId: string, extra: Partial<CadreResult> = {}): CadreResult {
  return { jobId, action: 'explain', uri: 'file:///w/a.py', title: '', markdown: 'text', summary: '', ...extra };
}

function entry(jobId: string): PanelEntry {
  return { result: result(jobId), html: `<p>${jobId}</p>`, receivedAt: '2025-01-01T10:00:00.000Z' };
}

describe('renderMarkdownFallback', () => {
  it('escapes raw HTML from the model', () => {
    const html = renderMarkdownFallback('<script>alert(1)</script>\n<img src=x onerror=alert(1)>');
    assert.ok(!html.includes('<script'));
    assert.ok(!html.includes('<img'));
    assert.match(html, /&lt;script&gt;/);
  });

  it('renders fenced code verbatim and escaped', () => {
    const html = renderMarkdownFallback('Intro\n\n```python\nif a < b and **x**:\n    pass\n```\nAfter');
    assert.match(html, /<pre><code class="language-python">if a &lt; b and \*\*x\*\*:\n {4}pass<\/code><\/pre>/);
    assert.match(html, /<p>Intro<\/p>/);
    assert.match(html, /<p>After<\/p>/);
  });

  it('renders headings, lists and inline code', () => {
    const html = renderMarkdownFallback('## What it does\n- returns `x + 1`\n- **fast**\n\n1. one\n2. two');
    assert.match(html, /<h2>What it does<\/h2>/);
    assert.match(html, /<ul><li>returns <code>x \+ 1<\/code><\/li><li><strong>fast<\/strong><\/li><\/ul>/);
    assert.match(html, /<ol><li>one<\/li><li>two<\/li><\/ol>/);
  });

  it('keeps an unterminated fence as code to the end', () => {
    assert.match(renderMarkdownFallback('```\nx = 1'), /<pre><code>x = 1<\/code><\/pre>/);
  });

  it('only links http(s) urls', () => {
    assert.equal(renderInline('[doc](https://example.com/a?b=1&c=2)'), '<a href="https://example.com/a?b=1&amp;c=2">doc</a>');
    assert.equal(renderInline('[x](javascript:alert(1))'), '[x](javascript:alert(1))');
  });

  it('leaves snake_case identifiers alone', () => {
    assert.equal(renderInline('call my_func_name now'), 'call my_func_name now');
  });
});

describe('panel history', () => {
  it('puts the newest first, replaces the same job, and keeps at most the limit', () => {
    let h: PanelEntry[] = [];
    for (const id of ['a', 'b', 'c']) h = pushEntry(h, entry(id), 2);
    assert.deepEqual(h.map((e) => e.result.jobId), ['c', 'b']);
    h = pushEntry(h, entry('b'), 2);
    assert.deepEqual(h.map((e) => e.result.jobId), ['b', 'c']);
  });
});

describe('renderPage', () => {
  it('has a CSP without scripts and escapes titles', () => {
    const page = renderPage([{ ...entry('j1'), result: result('j1', { title: '<b>T</b>', summary: 'S & more' }) }], 'vscode-resource:');
    assert.match(page, /Content-Security-Policy/);
    assert.ok(!/script-src/.test(page));
    assert.match(page, /default-src &#39;none&#39;/);
    assert.match(page, /<h2>&lt;b&gt;T&lt;\/b&gt;<\/h2>/);
    assert.match(page, /S &amp; more/);
    assert.match(page, /<p>j1<\/p>/);
  });

  it('says when there is nothing to show', () => {
    assert.match(renderPage([], 'x'), /No results yet/);
  });

  it('builds the CSP from the webview source', () => {
    assert.equal(
      contentSecurityPolicy('https://w'),
      "default-src 'none'; style-src https://w 'unsafe-inline'; img-src https://w data:; font-src https://w",
    );
  });
});

describe('headings and reveal', () => {
  it('uses the title, or action and file', () => {
    assert.equal(resultHeading(result('j', { title: 'Why it fails' })), 'Why it fails');
    assert.equal(resultHeading(result('j', { action: 'review' })), 'Review — a.py');
  });

  it('opens the panel for explain and review only', () => {
    assert.equal(revealsPanel('explain'), true);
    assert.equal(revealsPanel('review'), true);
    assert.equal(revealsPanel('fix'), false);
    assert.equal(revealsPanel('implement'), false);
  });

  it('escapes quotes too', () => {
    assert.equal(escapeHtml(`"'<>&`), '&quot;&#39;&lt;&gt;&amp;');
  });
});
