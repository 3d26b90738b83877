"""The model host: a child process that serves one GGUF model over llama.cpp's own OpenAI-compatible HTTP
server (xllamacpp), started and supervised by `hosted.py`.

Why a child process: llama.cpp computing on every core inside the language server's process competes with
the event loop (CPU, and the GIL in token callbacks), and an abort in llama.cpp (bad GGUF, out of memory,
an assertion) would take the editor's server down with every open job. Out here it runs at a lower CPU
priority and can only take itself down.

Protocol with the parent (`python -m cadre_lsp.models.host --model PATH ...`):
- the API key arrives in the environment (`CADRE_HOST_KEY`), not on the command line other users can read;
- once the model is loaded, one JSON line on stdout: {"url", "pid", "load_s"} (or {"error"} and exit 2);
- the parent holds our stdin open; EOF on it (the parent stopped us, exited or died) ends this process.
Nothing else is written to stdout; llama.cpp is silenced (`verbosity=0`) and stderr goes to a log file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

KEY_ENV = "CADRE_HOST_KEY"


def _say(obj: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m cadre_lsp.models.host", description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, help="path of the .gguf file")
    ap.add_argument("--n-ctx", type=int, default=4096, help="context per slot")
    ap.add_argument("--parallel", type=int, default=1, help="slots (requests computed at once)")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0: every core we may run on)")
    ap.add_argument("--speculative", default="off", help='"off", "ngram" or "draft:PATH"')
    ap.add_argument("--nice", type=int, default=10, help="run at least this nice (a niced parent's stays)")
    args = ap.parse_args(argv)
    key = os.environ.pop(KEY_ENV, "")
    if not key:
        _say({"error": f"no API key in ${KEY_ENV}: the host refuses to serve without one"})
        return 2
    if hasattr(os, "nice") and args.nice > os.nice(0):
        try:
            os.nice(args.nice - os.nice(0))
        except OSError:
            pass  # not allowed here: run at the parent's priority
    try:
        import xllamacpp as xlc

        from .embedded import _cpu_count, llama_params

        path = Path(args.model)
        if not path.is_file():
            raise FileNotFoundError(f"no such model file: {path}")
        t0 = time.perf_counter()
        server = xlc.Server(llama_params(path, args.n_ctx, args.parallel, args.threads or _cpu_count(), key,
                                         args.speculative))
        load_s = time.perf_counter() - t0
    except Exception as exc:  # reported to the parent, which turns it into the job's message
        _say({"error": f"could not load {args.model} with llama.cpp ({type(exc).__name__}: {exc}); "
                       "is it a valid GGUF file?"})
        return 2
    address = str(server.listening_address)
    url = address if address.startswith("http") else f"http://{address}"
    _say({"url": url, "pid": os.getpid(), "load_s": round(load_s, 3)})
    sys.stdin.buffer.read()  # returns at EOF: the parent is done with us, or gone
    # Skip interpreter teardown: llama.cpp's worker threads may still be mid-token, and finalizing under
    # them can crash; the kernel frees the model and closes the port.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
