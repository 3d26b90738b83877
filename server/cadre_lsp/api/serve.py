"""Start the API under uvicorn, refusing to expose the models to the network without a token."""

from __future__ import annotations

import ipaddress

from ..config.schema import Config
from ..core import CadreError

LOCAL_NAMES = {"localhost", "ip6-localhost"}


def is_local(host: str) -> bool:
    if host in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(config: Config, host: str) -> None:
    """Binding anything but loopback without a token would hand the models to the whole network."""
    api = config.api
    if not is_local(host) and not api.token and not api.allow_no_token:
        raise CadreError(f"refusing to listen on {host} without a token: set api.token (e.g. "
                         "token = \"${CADRE_API_TOKEN}\") or pass --allow-no-token")


def serve(config: Config, *, host: str, port: int, workspace: str | None = None, log_level: str = "info") -> int:
    import uvicorn

    from ..pipeline import Engine
    from .app import create_app

    check_bind(config, host)
    app = create_app(Engine(config, workspace_root=workspace))
    uvicorn.run(app, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=5)
    return 0
