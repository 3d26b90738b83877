"""`cadre-lsp api` as a user starts it: a real subprocess serving the openai client, and the refusal
to expose the models to the network without a token."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import openai

from api.conftest import wait_for


def env_for(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    env.pop("CADRE_CONFIG", None)
    env.pop("CADRE_API_TOKEN", None)
    return env


def scripted_config(tmp_path: Path) -> Path:
    (tmp_path / "script.json").write_text(json.dumps([{"reply": "Hello from the CLI."}]))
    roles = "".join(f'{r} = ["s"]\n' for r in ("reasoning", "coding", "validator", "competitor", "judge", "tools"))
    cfg = tmp_path / "api.toml"
    cfg.write_text(f'[endpoints.s]\nkind = "scripted"\nscript = "script.json"\n\n[roles]\n{roles}')
    return cfg


def test_refuses_a_network_host_without_a_token(tmp_path: Path) -> None:
    cfg = scripted_config(tmp_path)
    r = subprocess.run([sys.executable, "-m", "cadre_lsp", "api", "--host", "0.0.0.0", "--config", str(cfg)],
                       cwd=tmp_path, env=env_for(tmp_path), capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "refusing to listen on 0.0.0.0 without a token" in r.stderr


def test_serves_the_openai_client(tmp_path: Path) -> None:
    cfg = scripted_config(tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "cadre_lsp", "api", "--port", str(port), "--config", str(cfg)],
                            cwd=tmp_path, env=env_for(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def up() -> bool:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            try:
                return httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200
            except httpx.TransportError:
                return False

        wait_for(up, "the API answered /health", limit_s=60)
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="x", max_retries=0)
        r = client.chat.completions.create(model="cadre:validated", messages=[{"role": "user", "content": "hi"}])
        assert r.choices[0].message.content == "Hello from the CLI."
    finally:
        proc.terminate()
        proc.wait(20)
