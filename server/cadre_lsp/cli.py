"""The `cadre-lsp` command: serve, run, api, doctor and models.

serve is the language server, run one job from the shell, api the OpenAI-compatible HTTP API.

`run` drives the very pipeline the server uses, with progress on stderr (rich) and the result on
stdout: markdown for explain, a unified diff for implement/fix (`--apply` writes it), findings for
review. User errors print one line and exit 2; a job that produced nothing usable exits 1.

Line numbers the CLI prints are 1-based, like compilers print them: `PATH:LINE` in the text, and
`start_line`/`end_line` of every finding under `--json` too (the language server's ranges stay 0-based,
as LSP wants).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .core import ACTIONS, CadreError, ProgressEvent, Result


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cadre-lsp", description=__doc__.split("\n")[0])
    p.add_argument("--version", action="version", version=f"cadre-lsp {__import__('cadre_lsp').__version__}")
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("serve", help="run the language server (stdio by default)")
    s.add_argument("--stdio", action="store_true", help="speak LSP on stdin/stdout (the default)")
    s.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    s.add_argument("--config", metavar="FILE", help="extra config file layered over the others")

    r = sub.add_parser("run", help="run one action on a file and print the result")
    r.add_argument("action", choices=ACTIONS)
    r.add_argument("target", metavar="PATH[:LINE[-LINE]]", help="file and optional 1-based line range")
    r.add_argument("--pattern", help="primary, tools, hybrid, validated, compete, auto or a custom pattern")
    r.add_argument("--instruction", "-m", default="", help="free-form instruction for the model")
    r.add_argument("--config", metavar="FILE", help="extra config file layered over the others")
    r.add_argument("--workspace", metavar="DIR", help="workspace root (default: the file's git root or dir)")
    r.add_argument("--json", action="store_true", help="print the result as JSON (finding lines 1-based, as in the text)")
    r.add_argument("--apply", action="store_true", help="write implement/fix edits to the file")
    r.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")

    a = sub.add_parser("api", help="serve the patterns as models of an OpenAI-compatible HTTP API")
    a.add_argument("--host", help="interface to bind (default: api.host, 127.0.0.1)")
    a.add_argument("--port", type=int, help="port (default: api.port, 3457)")
    a.add_argument("--config", metavar="FILE", help="extra config file layered over the others")
    a.add_argument("--workspace", metavar="DIR", help="directory whose .cadre.toml applies (default: .)")
    a.add_argument("--allow-no-token", action="store_true",
                   help="bind a non-local host without api.token (anyone who reaches the port can use it)")

    d = sub.add_parser("doctor", help="check every configured model: reachable, present, speed")
    d.add_argument("--config", metavar="FILE")
    d.add_argument("--workspace", metavar="DIR")
    d.add_argument("--no-probe", action="store_true", help="skip the one-token generation probe")

    m = sub.add_parser("models", help="list configured models; `models prepare` readies embedded ones")
    m.add_argument("what", nargs="?", choices=["list", "prepare"], default="list")
    m.add_argument("--config", metavar="FILE")
    m.add_argument("--workspace", metavar="DIR")
    return p


def _workspace_for(path: str, given: str | None) -> str:
    if given:
        return str(Path(given).resolve())
    # Not resolve(): a link in the workspace must not make its target's directory the workspace.
    p = Path(os.path.abspath(path.rsplit(":", 1)[0] if not Path(path).exists() else path))
    start = p if p.is_dir() else p.parent
    for d in (start, *start.parents):
        if (d / ".git").exists() or (d / ".cadre.toml").is_file():
            return str(d)
    return str(start)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.cmd == "serve":
            import gc

            # Importing lsprotocol/pygls creates ~50k long-lived objects, and the older-generation collections
            # that rescan them as they pile up cost ~5% of start-up CPU (bench/README.md). Only the young
            # generation is collected while importing; then they are frozen, so no later full collection
            # (a ~30 ms pause in the middle of some request) scans them again.
            threshold = gc.get_threshold()
            gc.set_threshold(threshold[0], 1000, 1000)
            from .lsp.server import serve

            gc.set_threshold(*threshold)
            gc.freeze()
            return serve(tcp=args.tcp, config_path=args.config)
        if args.cmd == "run":
            return asyncio.run(_run(args))
        if args.cmd == "api":
            return _api(args)
        if args.cmd == "doctor":
            return asyncio.run(_doctor(args))
        if args.cmd == "models":
            return _models(args)
    except CadreError as exc:
        print(f"cadre-lsp: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cadre-lsp: interrupted", file=sys.stderr)
        return 130
    return 2


# -- run ----------------------------------------------------------------------------------------------

async def _run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape  # model text and hints like [embedded] are not markup

    from .config import load_config
    from .edits import unified_diff
    from .pipeline import Engine, read_request

    err = Console(stderr=True, highlight=False)
    workspace = _workspace_for(args.target, args.workspace)
    config = load_config(workspace, args.config)
    request = read_request(args.action, args.target, pattern=args.pattern, instruction=args.instruction,
                           workspace_root=workspace)
    snapshot = None
    if args.apply:  # the bytes the job is built on: --apply writes only while the file still has them
        from .edits.paths import PathRefused, resolve_path
        from .edits.source import read_source

        try:  # the file is the user's choice (no protected list), but never outside the workspace
            resolve_path(workspace, request.path, ())
        except PathRefused as exc:
            raise CadreError(f"--apply refused: {exc} ({workspace}); nothing was written") from None
        snapshot = read_source(request.path)
        if snapshot.text != request.text:
            raise CadreError(f"{request.path}: changed on disk while it was being read; run it again")
    engine = Engine(config, workspace_root=workspace)
    try:
        _prepare_embedded(config, err, quiet=args.quiet)
        if args.quiet:
            result = await engine.run(request)
        else:
            with err.status("starting…", spinner="dots") as status:
                async def progress(ev: ProgressEvent) -> None:
                    status.update(escape(ev.message))
                    if ev.step and ev.tokens_per_s is None:
                        err.print(f"[dim]·[/dim] {escape(ev.message)}")

                result = await engine.run(request, progress)
    finally:
        await engine.aclose()
    if args.json:
        print(json.dumps(_result_json(result), indent=2))
    else:
        _print_result(result, request.path, unified_diff)
    if not args.quiet or result.error:
        err.print(f"[bold]{'✗' if result.error else '✓'}[/bold] {escape(result.summary)}")
    if result.error:
        return 1
    if args.apply and result.edits:
        _apply_edits(result, err, read={request.path: snapshot} if snapshot else None)
    return 0


def _apply_edits(result: Result, console: Any, read: dict[str, Any] | None = None) -> None:
    """Write each edit onto the exact bytes it was built from (`edits.source.apply_file_edit`).

    `read` maps a path to the SourceFile taken when the job read it, so a save by another program
    while the model ran is caught by its hash; other files are compared with the edit's base text.
    """
    from .edits.source import apply_file_edit

    for edit in result.edits:
        apply_file_edit(edit, (read or {}).get(edit.path))
        console.print(f"applied to {edit.path}")


def _print_result(result: Result, path: str, unified_diff: Any) -> None:
    if result.error:
        if result.text:
            print(result.text)
        return
    if result.edits:
        for edit in result.edits:
            sys.stdout.write(unified_diff(edit, Path(edit.path).name))
    elif result.action == "review":
        name = Path(path).name
        if not result.findings:
            print(f"{name}: no findings")
        for f in result.findings:
            lines = f"{f.start_line + 1}" + (f"-{f.end_line + 1}" if f.end_line != f.start_line else "")
            print(f"{name}:{lines}: {f.severity}: {f.message}")
            if f.suggestion:
                print(f"    suggestion: {f.suggestion}")
    else:
        print(result.text)


def _result_json(result: Result) -> dict[str, Any]:
    data = asdict(result)
    for edit in data["edits"]:
        edit.pop("base_text", None)
    for finding in data["findings"]:  # the same numbering as the text output (`shop.py:5: error: ...`)
        finding["start_line"] += 1
        finding["end_line"] += 1
    return data


def _prepare_embedded(config: Any, console: Any, *, quiet: bool) -> None:
    """Join bundled model parts once, with a progress bar, before the first job needs them. Only models
    some role uses: the shipped profile's endpoints stay defined when a config maps every role elsewhere."""
    used = {name for names in config.roles.values() for name in names}
    names = sorted({ep.model for name, ep in config.endpoints.items() if ep.kind == "embedded" and name in used})
    if not names:
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from .models.bundled import BUNDLED, ensure_model, model_status

    todo = [n for n in names if n in BUNDLED and not model_status(n).get("verified")]
    if not todo:
        return
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, disable=quiet, transient=True) as bar:
        for name in todo:
            task = bar.add_task(f"preparing {name}", total=BUNDLED[name].size)
            ensure_model(name, progress=lambda done, total, t=task: bar.update(t, completed=done, total=total))


def _api(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .api import check_bind, serve
    from .config import load_config

    workspace = str(Path(args.workspace or ".").resolve())
    config = load_config(workspace, args.config)
    config.api.allow_no_token = config.api.allow_no_token or args.allow_no_token
    host = args.host or config.api.host
    check_bind(config, host)
    _prepare_embedded(config, Console(stderr=True), quiet=False)
    return serve(config, host=host, port=config.api.port if args.port is None else args.port, workspace=workspace)


# -- doctor / models ----------------------------------------------------------------------------------

async def _doctor(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from .config import load_config
    from .models.pool import ModelPool

    console = Console()
    if not console.is_terminal:
        console = Console(width=160)  # piped output: keep model names and hints whole
    config = load_config(args.workspace or ".", args.config)
    if not args.no_probe:  # a probe loads the models; a plain check must not write 1.5 GB into the cache
        _prepare_embedded(config, Console(stderr=True), quiet=False)
    pool = ModelPool(config)
    try:
        health = await pool.health(probe=not args.no_probe)
        where = pool.hosts_dict()  # before closing: the hosts the probe started, each replica's state
    finally:
        await pool.aclose()
    roles_of: dict[str, list[str]] = {}
    for role, names in config.roles.items():
        for n in names:
            roles_of.setdefault(n, []).append(role)
    table = Table(title=f"cadre-lsp doctor (profile: {config.profile})")
    for col in ("endpoint", "kind", "model", "roles", "ok", "probe", "tok/s", "detail"):
        table.add_column(col)
    bad = 0
    for h in health:
        ep = config.endpoints[h.endpoint]
        bad += not h.ok
        table.add_row(h.endpoint, ep.kind, ep.model, ", ".join(roles_of.get(h.endpoint, [])),
                      "[green]yes[/green]" if h.ok else "[red]NO[/red]",
                      f"{h.probe_s:.2f}s" if h.probe_s is not None else "-",
                      f"{h.tokens_per_s:.1f}" if h.tokens_per_s else "-",
                      escape((h.detail + (f" — {h.hint}" if h.hint else ""))[:200]))
    console.print(table)
    _print_hosts(console, where)
    if bad:
        console.print(f"[red]{bad} endpoint(s) unhealthy.[/red] Fix the hints above, or pick another profile "
                      "(`profile = \"embedded\"` in ~/.config/cadre-lsp/config.toml).")
        return 1
    console.print("[green]all endpoints healthy[/green]")
    return 0


def _print_hosts(console: Any, where: dict[str, Any]) -> None:
    """Where the models ran: each model host (embedded) and each replica (openai/ollama base_urls)."""
    for h in where.get("hosts", {}).values():
        ka = "until exit" if h["keep_alive_s"] is None else f"{h['keep_alive_s']:g}s idle"
        state = f"pid {h['pid']} at {h['url']}, loaded in {h['load_s']:.1f}s" if h["pid"] else h["state"]
        console.print(f"model host {h['model']}: {state}; {h['slots']} slot(s), stops after {ka}; "
                      f"{h['crashes']} crash(es); log {h['log']}", highlight=False, markup=False)
    for name, replicas in where.get("replicas", {}).items():
        for r in replicas:
            state = "up" if r["healthy"] else f"OUT ({r['last_error']})"
            console.print(f"replica {name} {r['url']}: {state}", highlight=False, markup=False)


def _models(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .config import load_config
    from .models.bundled import BUNDLED, model_status

    console = Console()
    config = load_config(args.workspace or ".", args.config)
    if args.what == "prepare":
        _prepare_embedded(config, Console(stderr=True), quiet=False)
    for name, ep in sorted(config.endpoints.items()):
        line = f"{name:12} {ep.kind:9} {ep.model}"
        if ep.kind == "embedded" and (ep.model in BUNDLED or ep.model.endswith(".gguf")):
            st = model_status(ep.model)
            line += "  [" + ("ready" if st.get("cached") else st.get("hint") or "not prepared") + "]"
            line += ("  in this process" if ep.host == "in-process" else
                     f"  in a model host process (starts on first use, stops after {ep.keep_alive or '30m'} idle)")
        for url in ep.base_urls:
            line += f"\n{'':12} replica {url}"
        console.print(line, highlight=False, markup=False)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
