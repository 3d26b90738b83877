"""One editor action as a background job: read the buffer, run the pipeline, deliver what it made.

`start_action` builds the Request from the buffer as it is now (that text and version are what any
edit is built against), routes it to learn its role (for the per-role limit) and hands the job to the
JobManager. `run_job` wraps the pipeline in progress (ended in `finally`, whatever happens) and
delivers by action: explain -> markdown file + showDocument + `cadre/result`; implement/fix ->
versioned applyEdit (rebased or refused, see deliver.py); review -> diagnostics.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from ..core import Action, CadreError, ProgressEvent, Request, Result, Route, Span, position_of
from .actions import TITLES, CommandArgs
from .client import ask, log_message, notify, show_message
from .deliver import deliver_edit
from .explain import write_explanation
from .jobs import Job
from .progress import JobProgress

if TYPE_CHECKING:
    from .server import CadreServer

log = logging.getLogger(__name__)

RESULT_NOTIFICATION = "cadre/result"
OUTPUT_KIND = {"explain": "text", "implement": "edit", "fix": "edit", "review": "findings"}
"""Jobs with the same output kind on the same range supersede each other (two edits would collide)."""


class NotReadable(CadreError):
    """The command names a document that is neither open nor readable on disk."""


def uri_path(uri: str) -> str:
    return to_fs_path(uri) or uri


def build_request(ls: CadreServer, action: Action, args: CommandArgs) -> Request:
    """The Request for `args`, read from the open buffer (else the file on disk)."""
    from ..context import language_for, normalize_language

    path = uri_path(args.uri)
    doc = ls.docs.get(args.uri)
    if doc is not None:
        text, version, language = doc.text, doc.version, doc.language
        start, end = doc.lines.range_offsets(args.range, ls.caps.encoding)
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, ValueError) as exc:
            raise NotReadable(f"{args.uri} is not open and cannot be read ({exc})") from None
        version, language = None, None
        from .positions import LineTable

        start, end = LineTable(text).range_offsets(args.range, ls.caps.encoding)
    (l0, c0), (l1, c1) = position_of(text, start), position_of(text, end)
    return Request(action=action, path=path, text=text, span=Span(l0, c0, l1, c1), version=version,
                   language=normalize_language(language) or language_for(path), instruction=args.instruction,
                   pattern=args.pattern, workspace_root=ls.settings.workspace_root)


def start_action(ls: CadreServer, action: Action, args: CommandArgs, *, on_done: Any = None) -> Job:
    """Start a job for `action` on `args` and return it at once (a same-range job is superseded)."""
    request = build_request(ls, action, args)
    try:
        routed: Route | None = ls.engine.route(request)
        role = routed.role
    except CadreError:
        routed, role = None, "reasoning"  # the pipeline reports the routing problem itself, as the result
    s = request.span
    key = (args.uri, s.start_line, s.start_col, s.end_line, s.end_col, OUTPUT_KIND[action])
    job = ls.jobs.start(action=action, uri=args.uri, role=role, key=key,
                        run=lambda job: run_job(ls, job, request, args, on_done, routed))
    log_message(ls, f"cadre: {job.id} {action} {Path(request.path).name}:{s.start_line + 1}-{s.end_line + 1} "
                    f"-> {role}")
    return job


def title_of(action: Action, pattern: str | None) -> str:
    return f"cadre: {TITLES[action]}" + (f" with {pattern}" if pattern else "")


async def run_job(ls: CadreServer, job: Job, request: Request, args: CommandArgs, on_done: Any = None,
                  routed: Route | None = None) -> None:
    title = title_of(request.action, request.pattern)
    progress = JobProgress(ls, ls.caps, title)
    summary, failed, result = "cancelled", True, None
    try:
        waiting = f"queued: waiting for a {job.role} slot" if ls.jobs.at_limit(job.role) else "starting"
        job.progress_token = await progress.begin(waiting)
        async with ls.jobs.slot(job):
            engine = ls.engine

            async def on_progress(event: ProgressEvent) -> None:
                ls.jobs.set_step(job, event.step or event.message)
                progress.report(event)

            result = await engine.run(request, on_progress, routed=routed)
        summary, failed = await deliver_result(ls, job, request, args, result)
        if on_done is not None and not failed:
            on_done(result)
    except asyncio.CancelledError:
        summary = "superseded by a newer request" if job.cancel_reason == "superseded" else "cancelled"
        send_result(ls, job, request, summary, f"*{title}: {summary}; nothing was changed.*")
        raise
    except Exception as exc:  # a job failure is reported to the user, never a crash
        log.exception("%s failed", job.id)
        summary = f"failed: {exc}"
        show_message(ls, f"{title} failed: {exc}", types.MessageType.Error)
        send_result(ls, job, request, summary, f"**{title} failed:** {exc}")
    finally:
        progress.end(summary, failed=failed)
        log_message(ls, f"cadre: {job.id} {request.action}: {summary}")


def send_result(ls: CadreServer, job: Job, request: Request, summary: str, markdown: str) -> None:
    notify(ls, RESULT_NOTIFICATION, {
        "jobId": job.id, "action": request.action, "uri": job.uri,
        "title": title_of(request.action, request.pattern), "markdown": markdown, "summary": summary})


async def deliver_result(ls: CadreServer, job: Job, request: Request, args: CommandArgs,
                         result: Result) -> tuple[str, bool]:
    """Hand the result to the editor; returns (one-line summary, failed?)."""
    title = title_of(request.action, request.pattern)
    if result.error:
        summary = result.summary or result.error
        show_message(ls, f"{title} failed: {result.error}", types.MessageType.Error)
        send_result(ls, job, request, summary, f"**{title} failed:** {result.error}")
        return summary, True
    if request.action == "explain":
        return await _deliver_explain(ls, job, request, result), False
    if request.action == "review":
        return _deliver_review(ls, job, request, result), False
    return await _deliver_edits(ls, job, request, args, result)


async def _deliver_explain(ls: CadreServer, job: Job, request: Request, result: Result) -> str:
    span = request.span
    end_line = span.end_line - 1 if span.end_col == 0 and span.end_line > span.start_line else span.end_line
    summary = result.summary or "explained"
    try:
        path = write_explanation(ls.settings.workspace_root, request.path, span.start_line, end_line,
                                 result.text, summary=summary)
    except OSError as exc:
        log.warning("could not write the explanation: %s", exc)
        path = None
    if path is not None and ls.caps.show_document and not ls.caps.result_panel:
        try:
            await ask(ls, types.WINDOW_SHOW_DOCUMENT,
                      types.ShowDocumentParams(uri=from_fs_path(str(path)) or path.as_uri(), take_focus=True),
                      timeout=10)
        except Exception as exc:  # the cadre/result notification still carries the text
            log.info("showDocument failed: %s", exc)
    send_result(ls, job, request, summary, result.text)
    if not ls.caps.result_panel and not (path is not None and ls.caps.show_document):
        # No panel and no document (e.g. older Helix): the message is the only place the answer can go.
        where = f"\n\n(full text: {path})" if path is not None else ""
        show_message(ls, f"cadre: {summary}\n\n{_clip(result.text, 1500)}{where}")
    return summary


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _deliver_review(ls: CadreServer, job: Job, request: Request, result: Result) -> str:
    doc = ls.docs.get(job.uri)
    current = doc.text if doc is not None else request.text
    scope = review_scope(ls, request)
    ls.findings.replace(job.uri, job.id, result.findings, read_text=request.text, current_text=current,
                        scope=scope)
    ls.publish_findings(job.uri)
    lines = [f"- line {f.start_line + 1}: **{f.severity}** {f.message}" for f in result.findings]
    summary = result.summary or f"{len(result.findings)} findings"
    send_result(ls, job, request, summary, "\n".join(lines) or "No findings.")
    return summary


def review_scope(ls: CadreServer, request: Request) -> tuple[int, int] | None:
    """Lines whose earlier findings a review replaces: the reviewed block (None = the whole file)."""
    s = request.span
    last_line = request.text.count("\n")
    if s.start_line == 0 and s.end_line >= last_line:
        return None
    try:
        return ls.engine.target(request).lines(request.text)
    except Exception:  # fall back to the requested lines
        return s.start_line, s.end_line


async def _deliver_edits(ls: CadreServer, job: Job, request: Request, args: CommandArgs,
                         result: Result) -> tuple[str, bool]:
    title = title_of(request.action, request.pattern)
    if not result.edits:
        summary = result.summary or "no change proposed"
        send_result(ls, job, request, summary, f"{title}: the model proposed no change.")
        return summary, False
    outcomes = []
    for edit in result.edits:
        uri = job.uri if edit.path == request.path else (from_fs_path(edit.path) or edit.path)
        outcomes.append(await deliver_edit(ls, ls.caps, ls.docs, uri, edit, label=title))
    conflicts = [o for o in outcomes if o.status == "conflict"]
    refused = [o for o in outcomes if o.status == "refused"]
    if conflicts:
        summary = f"not applied: the code changed while {TITLES[request.action]} was running"
        ls.jobs.spawn(offer_retry(ls, request.action, args), name=f"cadre retry {job.id}")
        send_result(ls, job, request, summary, f"**{title}:** {summary} ({conflicts[0].detail}).")
        return summary, True
    if refused:
        summary = f"not applied: {refused[0].detail}"
        show_message(ls, f"{title}: {summary}", types.MessageType.Warning)
        send_result(ls, job, request, summary, f"**{title}:** {summary}.")
        return summary, True
    summary = result.summary or "applied"
    if any(o.rebased for o in outcomes):
        summary += " (rebased onto your latest typing)"
    send_result(ls, job, request, summary, f"{title}: {summary}")
    return summary, False


async def offer_retry(ls: CadreServer, action: Action, args: CommandArgs) -> None:
    """Ask whether to run the action again on the current code; without an answer, just say so."""
    name = TITLES[action]
    message = f"cadre: the code changed while {name} was running — Retry?"
    try:
        reply = await ask(ls, types.WINDOW_SHOW_MESSAGE_REQUEST, types.ShowMessageRequestParams(
            type=types.MessageType.Warning, message=message, actions=[types.MessageActionItem(title="Retry")]))
    except Exception:  # clients without showMessageRequest get a plain message
        show_message(ls, f"cadre: the code changed while {name} was running; nothing was applied. "
                         "Run it again to retry.", types.MessageType.Warning)
        return
    if getattr(reply, "title", None) == "Retry":
        doc = ls.docs.get(args.uri)
        retry = CommandArgs(args.uri, args.range, doc.version if doc else None, args.pattern, args.instruction)
        start_action(ls, action, retry)


def status_jobs(ls: CadreServer) -> list[dict[str, Any]]:
    from datetime import datetime, timezone

    return [{**j.as_dict(), "startedAt": datetime.fromtimestamp(j.started_at, timezone.utc).isoformat()}
            for j in ls.jobs.jobs()]
