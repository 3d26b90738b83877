/**
 * The cadre-lsp wire contract as the extension sees it: command ids, notification methods, payload
 * shapes, and tolerant parsers for what the server sends.
 *
 * Pure (no `vscode` import) so the unit tests can run under plain node. Payloads come from another
 * process, possibly an older or newer server, so the parsers accept what they can and drop the rest
 * instead of throwing inside a notification handler.
 */

/** Server-side `workspace/executeCommand` ids. The palette uses different ids (see package.json). */
export const ServerCommand = {
  explain: 'cadre.explain',
  implement: 'cadre.implement',
  fix: 'cadre.fix',
  review: 'cadre.review',
  cancel: 'cadre.cancel',
  status: 'cadre.status',
} as const;

/** Server-to-client notifications. */
export const Notification = {
  result: 'cadre/result',
  jobs: 'cadre/jobs',
} as const;

export type Action = 'explain' | 'implement' | 'fix' | 'review';
export const ACTIONS: readonly Action[] = ['explain', 'implement', 'fix', 'review'];

/** Built-in patterns (seed 004); configs may declare more, so any name is accepted where one is asked. */
export const BUILTIN_PATTERNS: readonly string[] = ['auto', 'primary', 'tools', 'hybrid', 'validated', 'compete'];

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

/** The single argument of cadre.explain/implement/fix/review. */
export interface JobArgs {
  uri: string;
  range: Range;
  version?: number;
  pattern?: string;
  instruction?: string;
}

export interface JobStarted {
  jobId: string;
}

export interface CancelArgs {
  jobId?: string;
}

export interface CancelResult {
  cancelled: string[];
}

/** `cadre/result`: what a finished job has to say. */
export interface CadreResult {
  jobId: string;
  action: string;
  uri: string;
  title: string;
  markdown: string;
  summary: string;
}

export interface RunningJob {
  jobId: string;
  action: string;
  uri: string;
  step: string;
}

/** `cadre/jobs`: sent whenever a job starts or finishes. */
export interface JobsPayload {
  running: RunningJob[];
  models: Record<string, string>;
}

export interface RoleStatus {
  endpoints: string[];
  model: string;
  healthy: boolean | null;
}

export interface StatusJob {
  jobId: string;
  action: string;
  uri: string;
  step: string;
  startedAt: string;
}

export interface ModelStats {
  calls: number;
  failures: number;
  p50_s: number | null;
  p95_s: number | null;
  tokens_per_s: number | null;
}

/** The reply of `cadre.status`. */
export interface StatusReply {
  roles: Record<string, RoleStatus>;
  jobs: StatusJob[];
  queue: number;
  stats: Record<string, ModelStats>;
}

/** Build the argument object of a job command; optional fields are left out rather than sent empty. */
export function jobArgs(
  uri: string,
  range: Range,
  version: number | undefined,
  extra: { pattern?: string; instruction?: string } = {},
): JobArgs {
  const args: JobArgs = { uri, range };
  if (version !== undefined) args.version = version;
  const pattern = extra.pattern?.trim();
  if (pattern) args.pattern = pattern;
  const instruction = extra.instruction?.trim();
  if (instruction) args.instruction = instruction;
  return args;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown, fallback = ''): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return fallback;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(value)) return out;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/** Parse a `cadre/result` payload; undefined if it lacks the job id or any text to show. */
export function parseResult(value: unknown): CadreResult | undefined {
  if (!isRecord(value)) return undefined;
  const jobId = str(value.jobId);
  const markdown = str(value.markdown);
  const summary = str(value.summary);
  if (!jobId || (!markdown && !summary)) return undefined;
  return {
    jobId,
    action: str(value.action),
    uri: str(value.uri),
    title: str(value.title),
    markdown,
    summary,
  };
}

/** Parse a `cadre/jobs` payload; anything malformed reads as "nothing running". */
export function parseJobs(value: unknown): JobsPayload {
  if (!isRecord(value)) return { running: [], models: {} };
  const running: RunningJob[] = [];
  if (Array.isArray(value.running)) {
    for (const job of value.running) {
      if (!isRecord(job) || !str(job.jobId)) continue;
      running.push({ jobId: str(job.jobId), action: str(job.action), uri: str(job.uri), step: str(job.step) });
    }
  }
  return { running, models: stringMap(value.models) };
}

/** Parse the reply of `cadre.status`. */
export function parseStatus(value: unknown): StatusReply {
  const reply: StatusReply = { roles: {}, jobs: [], queue: 0, stats: {} };
  if (!isRecord(value)) return reply;
  if (isRecord(value.roles)) {
    for (const [role, r] of Object.entries(value.roles)) {
      if (!isRecord(r)) continue;
      reply.roles[role] = {
        endpoints: strings(r.endpoints),
        model: str(r.model),
        healthy: typeof r.healthy === 'boolean' ? r.healthy : null,
      };
    }
  }
  if (Array.isArray(value.jobs)) {
    for (const j of value.jobs) {
      if (!isRecord(j) || !str(j.jobId)) continue;
      reply.jobs.push({
        jobId: str(j.jobId),
        action: str(j.action),
        uri: str(j.uri),
        step: str(j.step),
        startedAt: str(j.startedAt),
      });
    }
  }
  reply.queue = num(value.queue) ?? 0;
  if (isRecord(value.stats)) {
    for (const [model, s] of Object.entries(value.stats)) {
      if (!isRecord(s)) continue;
      reply.stats[model] = {
        calls: num(s.calls) ?? 0,
        failures: num(s.failures) ?? 0,
        p50_s: num(s.p50_s),
        p95_s: num(s.p95_s),
        tokens_per_s: num(s.tokens_per_s),
      };
    }
  }
  return reply;
}

/** The last path segment of a URI, for compact labels ("file:///a/b/c.py" -> "c.py"). */
export function uriBasename(uri: string): string {
  const withoutQuery = uri.split(/[?#]/, 1)[0] ?? uri;
  const trimmed = withoutQuery.replace(/\/+$/, '');
  const last = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  const colon = last.lastIndexOf(':');
  const name = colon >= 0 && !trimmed.includes('/') ? last.slice(colon + 1) : last;
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/** The argument of the server's "cadre: With pattern…" code action (client-side `cadre.runWithPattern`). */
export interface PickerArgs {
  uri: string;
  range: Range;
  version: number | undefined;
  actions: Action[];
  patterns: string[];
  defaults: Partial<Record<Action, string>>;
}

function isPosition(value: unknown): value is Position {
  return isRecord(value) && typeof value.line === 'number' && typeof value.character === 'number';
}

/** The picker's argument, or undefined when the command came from the palette (no argument, or a URI). */
export function pickerArgs(value: unknown): PickerArgs | undefined {
  if (!isRecord(value) || typeof value.uri !== 'string' || !isRecord(value.range)) return undefined;
  const { start, end } = value.range;
  if (!isPosition(start) || !isPosition(end)) return undefined;
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const actions = strings(value.actions).filter((a): a is Action => (ACTIONS as readonly string[]).includes(a));
  const defaults: Partial<Record<Action, string>> = {};
  if (isRecord(value.defaults)) {
    for (const a of ACTIONS) if (typeof value.defaults[a] === 'string') defaults[a] = value.defaults[a] as string;
  }
  return {
    uri: value.uri,
    range: { start: { line: start.line, character: start.character }, end: { line: end.line, character: end.character } },
    version: typeof value.version === 'number' ? value.version : undefined,
    actions: actions.length ? actions : [...ACTIONS],
    patterns: strings(value.patterns).length ? strings(value.patterns) : [...BUILTIN_PATTERNS],
    defaults,
  };
}
