"""Run a fake model server as its own process, so a test can kill it with SIGKILL mid-answer.

    python -m fakes.serve openai --delay 0.05 --text "..."   (PYTHONPATH=tests)

Prints `URL <base url>` once listening, then `REQUEST` on each chat request (flushed), so the test knows
when a stream is in flight. Every answer is `--text`, streamed one word per `--delay` seconds.
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any

from .ollama_server import FakeOllama
from .ollama_server import Reply as OllamaReply
from .openai_server import FakeOpenAI
from .openai_server import Reply as OpenAIReply


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="fakes.serve")
    ap.add_argument("kind", choices=["openai", "ollama"])
    ap.add_argument("--text", default=" ".join(["token"] * 400))
    ap.add_argument("--delay", type=float, default=0.05)
    ap.add_argument("--model", default="m:1b", help="the model an Ollama fake serves")
    args = ap.parse_args(argv)

    def answer(_body: dict[str, Any]) -> Any:
        print("REQUEST", flush=True)
        reply = OpenAIReply if args.kind == "openai" else OllamaReply
        return reply(args.text, delay_s=args.delay)

    srv = FakeOpenAI(reply_fn=answer) if args.kind == "openai" else FakeOllama(reply_fn=answer, models=[args.model])
    srv.start()
    print("URL", srv.url, flush=True)
    threading.Event().wait()  # until killed


if __name__ == "__main__":
    main(sys.argv[1:])
