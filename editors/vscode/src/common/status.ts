/**
 * What the status bar item and the "Show Status" picker say, computed from server payloads.
 *
 * Pure (no `vscode` import): the status bar wrapper only copies these strings onto a StatusBarItem.
 */

import type { JobsPayload, StatusReply } from './protocol';
import { uriBasename } from './protocol';

/** Lifecycle of the language client as the user should see it. */
export type ServerState = 'starting' | 'running' | 'stopped' | 'missing';

export interface StatusView {
  text: string;
  tooltip: string;
  /** 'error' paints the item with the error background. */
  severity?: 'error' | 'warning';
}

/** Roles whose model names best describe "what cadre runs", most telling first. */
const ROLE_PREFERENCE = ['coding', 'reasoning'];

/** A short model label: basename, without a .gguf suffix, at most `max` characters. */
export function shortModel(model: string, max = 24): string {
  let name = model.trim().replace(/[\\/]+$/, '');
  name = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  name = name.replace(/\.gguf$/i, '');
  return name.length > max ? name.slice(0, max - 1) + '…' : name;
}

/** The model that names the cadre in the status bar: coding first, then reasoning, then any. */
export function headlineModel(models: Record<string, string>): string | undefined {
  for (const role of ROLE_PREFERENCE) {
    if (models[role]) return models[role];
  }
  const roles = Object.keys(models).sort();
  return roles.length ? models[roles[0]] : undefined;
}

function describeJob(job: { action: string; uri: string; step: string }): string {
  const parts = [job.action || 'job', uriBasename(job.uri)].filter(Boolean);
  return job.step ? `${parts.join(' · ')} — ${job.step}` : parts.join(' · ');
}

/** The status bar item for a state and the last `cadre/jobs` payload. */
export function statusView(state: ServerState, jobs?: JobsPayload): StatusView {
  switch (state) {
    case 'missing':
      return {
        text: '$(error) cadre: no server',
        tooltip: 'The cadre-lsp server was not found. Click for status; see cadre.server.path.',
        severity: 'error',
      };
    case 'stopped':
      return { text: '$(debug-disconnect) cadre: stopped', tooltip: 'The cadre-lsp server is not running. Click for status.', severity: 'warning' };
    case 'starting':
      return { text: '$(loading~spin) cadre', tooltip: 'cadre-lsp is starting' };
    case 'running':
      break;
  }
  const running = jobs?.running ?? [];
  const models = jobs?.models ?? {};
  const modelLines = Object.keys(models)
    .sort()
    .map((role) => `${role}: ${models[role]}`);
  if (running.length > 0) {
    const only = running.length === 1 ? ` · ${running[0].action}` : '';
    const lines = running.map((j) => describeJob(j));
    return {
      text: `$(loading~spin) cadre: ${running.length} running${only}`,
      tooltip: ['cadre jobs:', ...lines, ...(modelLines.length ? ['', ...modelLines] : []), '', 'Click for status'].join('\n'),
    };
  }
  const model = headlineModel(models);
  return {
    text: model ? `$(sparkle) cadre: ${shortModel(model)}` : '$(sparkle) cadre',
    tooltip: ['cadre-lsp: idle', ...(modelLines.length ? ['', ...modelLines] : []), '', 'Click for status'].join('\n'),
  };
}

/** One row of the status quick pick; `jobId` marks rows that can be cancelled. */
export interface StatusItem {
  label: string;
  description?: string;
  detail?: string;
  jobId?: string;
  /** A separator row (rendered as QuickPickItemKind.Separator). */
  separator?: boolean;
}

function health(healthy: boolean | null): string {
  if (healthy === true) return '$(pass) healthy';
  if (healthy === false) return '$(error) unhealthy';
  return '$(question) not checked';
}

function seconds(value: number | null): string {
  return value === null ? '–' : `${value.toFixed(value < 10 ? 2 : 1)} s`;
}

/** Rows of the "cadre: Show Status" picker: roles, jobs, per-model stats. */
export function statusItems(status: StatusReply): StatusItem[] {
  const items: StatusItem[] = [{ label: 'Roles', separator: true }];
  const roles = Object.keys(status.roles).sort();
  if (roles.length === 0) items.push({ label: 'no roles configured' });
  for (const role of roles) {
    const r = status.roles[role];
    items.push({
      label: `${role}: ${r.model || '(no model)'}`,
      description: health(r.healthy),
      detail: r.endpoints.length ? `endpoints: ${r.endpoints.join(' → ')}` : undefined,
    });
  }
  items.push({ label: `Jobs (${status.jobs.length} running, ${status.queue} queued)`, separator: true });
  for (const job of status.jobs) {
    items.push({
      label: `$(close) ${job.action} · ${uriBasename(job.uri)}`,
      description: job.step,
      detail: `job ${job.jobId}${job.startedAt ? `, started ${job.startedAt}` : ''} — select to cancel`,
      jobId: job.jobId,
    });
  }
  const models = Object.keys(status.stats).sort();
  if (models.length) items.push({ label: 'Models', separator: true });
  for (const model of models) {
    const s = status.stats[model];
    const tps = s.tokens_per_s === null ? '–' : s.tokens_per_s.toFixed(1);
    items.push({
      label: shortModel(model, 48),
      description: `${s.calls} calls, ${s.failures} failed`,
      detail: `p50 ${seconds(s.p50_s)}, p95 ${seconds(s.p95_s)}, ${tps} tokens/s`,
    });
  }
  return items;
}

/** A plain-text status report for the output channel. */
export function statusReport(status: StatusReply): string {
  const lines: string[] = ['cadre-lsp status', ''];
  lines.push('Roles:');
  for (const role of Object.keys(status.roles).sort()) {
    const r = status.roles[role];
    const h = r.healthy === null ? 'not checked' : r.healthy ? 'healthy' : 'UNHEALTHY';
    lines.push(`  ${role.padEnd(11)} ${r.model || '(no model)'}  [${h}]  endpoints: ${r.endpoints.join(', ') || '-'}`);
  }
  lines.push('', `Jobs: ${status.jobs.length} running, ${status.queue} queued`);
  for (const j of status.jobs) {
    lines.push(`  ${j.jobId}  ${j.action.padEnd(9)} ${uriBasename(j.uri)}  ${j.step}  (since ${j.startedAt || '?'})`);
  }
  lines.push('', 'Models:');
  for (const model of Object.keys(status.stats).sort()) {
    const s = status.stats[model];
    const tps = s.tokens_per_s === null ? '-' : s.tokens_per_s.toFixed(1);
    lines.push(
      `  ${model}: ${s.calls} calls, ${s.failures} failures, p50 ${seconds(s.p50_s)}, p95 ${seconds(s.p95_s)}, ${tps} tok/s`,
    );
  }
  return lines.join('\n');
}
