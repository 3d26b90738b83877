"""A stand-in cadre server for the extension smoke test (src/smoke): speaks the cadre contract with
canned replies and appends what the client sent to a JSONL log given as the first argument."""

import asyncio
import json
import os
import sys

from lsprotocol import types as t
from pygls.lsp.server import LanguageServer

server = LanguageServer("fake-cadre", "0.0.1")
LOG = open(sys.argv[1], "a", encoding="utf-8")  # kept open for the process lifetime
MODELS = {"coding": "qwen2.5-coder-1.5b", "reasoning": "qwen2.5-0.5b"}
TASKS: set[asyncio.Task] = set()


def log(kind: str, data: object) -> None:
    LOG.write(json.dumps({"kind": kind, "data": data}, default=str) + "\n")
    LOG.flush()


@server.feature(t.INITIALIZE)
def initialize(params: t.InitializeParams) -> None:
    log("argv", sys.argv[2:])
    log("initializationOptions", params.initialization_options)
    log("experimental", params.capabilities.experimental)


@server.feature(t.INITIALIZED)
async def initialized(ls: LanguageServer, params: t.InitializedParams) -> None:
    items = [t.ConfigurationItem(section=s) for s in ("cadre", "cadre.hover", "cadre.review")]
    log("configuration", await ls.workspace_configuration_async(t.ConfigurationParams(items=items)))


@server.feature(t.WORKSPACE_DID_CHANGE_CONFIGURATION)
def did_change_configuration(params: t.DidChangeConfigurationParams) -> None:
    log("didChangeConfiguration", params.settings)


def job_command(action: str):
    async def run(ls: LanguageServer, args: dict) -> dict:
        log("command", {"action": action, "args": args})
        job = {"jobId": f"{action}-1", "action": action, "uri": args["uri"], "step": "coding model drafting"}
        ls.protocol.notify("cadre/jobs", {"running": [job], "models": MODELS})

        async def finish() -> None:
            await asyncio.sleep(0.3)
            ls.protocol.notify("cadre/result", {
                "jobId": job["jobId"], "action": action, "uri": args["uri"], "title": "",
                "markdown": "# Result\n<script>alert(1)</script>\n\n- `x + 1`", "summary": f"{action} done",
            })
            ls.protocol.notify("cadre/jobs", {"running": [], "models": MODELS})

        task = asyncio.get_running_loop().create_task(finish())
        TASKS.add(task)
        task.add_done_callback(TASKS.discard)
        return {"jobId": job["jobId"]}

    return run


for _action in ("explain", "implement", "fix", "review"):
    server.command(f"cadre.{_action}")(job_command(_action))


@server.command("cadre.status")
def status(*args: object) -> dict:
    return {
        "roles": {"coding": {"endpoints": ["local"], "model": MODELS["coding"], "healthy": True}},
        "jobs": [], "queue": 0,
        "stats": {MODELS["coding"]: {"calls": 2, "failures": 0, "p50_s": 1.5, "p95_s": 3.0, "tokens_per_s": 40.0}},
    }


@server.command("cadre.cancel")
def cancel(args: dict) -> dict:
    log("cancel", args)
    return {"cancelled": [args["jobId"]] if args.get("jobId") else []}


@server.command("cadre.crash")
def crash(*args: object) -> None:
    os._exit(3)


if __name__ == "__main__":
    server.start_io()
