"""Load and layer configuration: shipped defaults < profile < user < workspace < --config/CADRE_CONFIG < editor.

Each layer is a plain dict (from TOML or from the editor's JSON); layers are deep-merged, `${ENV}` is
expanded in strings, and the result is structured into `Config` by one cattrs converter. A bad value
becomes a `ConfigError` naming the key, the file it came from and what was expected.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_origin

import attrs
import cattrs
from cattrs.cols import list_structure_factory
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError

from ..core import CadreError
from . import WORKSPACE_FILE
from .merge import deep_merge
from .schema import Config

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "shipped_config"
PROFILES = ("embedded", "tiny", "ollama", "mlx", "openai-compatible")
_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(CadreError):
    """A configuration value is wrong; the message names the key, the source and what was expected."""

    def __init__(self, message: str, *, key: str = "", source: str = "") -> None:
        super().__init__(message)
        self.key = key
        self.source = source


@dataclass
class Layer:
    """One configuration source: where it came from and its raw data."""

    source: str
    data: dict[str, Any]


@functools.cache
def converter() -> cattrs.Converter:
    """Built on first use, not at import (~30 ms the language server would otherwise spend before it can
    answer `initialize`). Strict scalars: TOML and JSON have real types, so "fast" is not an int and "maybe" not a bool."""
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)

    def strict(tp: type, ok: Any, convert: Any = None) -> None:
        def hook(value: Any, _t: Any) -> Any:
            if not ok(value):
                raise TypeError(f"got {type(value).__name__} {value!r}")
            return convert(value) if convert else value

        conv.register_structure_hook(tp, hook)

    strict(bool, lambda v: isinstance(v, bool))
    strict(int, lambda v: isinstance(v, int) and not isinstance(v, bool))
    strict(float, lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), float)
    strict(str, lambda v: isinstance(v, str))

    def list_hook(tp: Any, converter: cattrs.Converter) -> Any:
        """A string is not a list: cattrs would take `protected = ".git/"` as [".", "g", "i", "t", "/"]."""
        base = list_structure_factory(tp, converter)

        def hook(value: Any, t: Any) -> Any:
            if not isinstance(value, list):
                raise TypeError(f"got {type(value).__name__} {value!r}")
            return base(value, t)

        return hook

    conv.register_structure_hook_factory(lambda t: get_origin(t) is list, list_hook)
    return conv


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning syntax errors into a one-line ConfigError with the position."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}", source=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}", source=str(path)) from None


def expand_env(value: Any, *, env: Mapping[str, str] | None = None) -> Any:
    """Expand ${VAR} and ${VAR:-default} in every string of a nested structure."""
    env = os.environ if env is None else env
    if isinstance(value, str):
        return _ENV_RE.sub(lambda m: env.get(m.group(1), m.group(2) if m.group(2) is not None else ""), value)
    if isinstance(value, dict):
        return {k: expand_env(v, env=env) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_env(v, env=env) for v in value]
    return value


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_FREE_KEYS = {"endpoints", "roles", "patterns", "options", "tasks", "actions", "action_patterns", "jobs_per_role"}


def normalise_keys(data: Any, *, _parent: str = "") -> Any:
    """Accept camelCase from editors (budgetMs -> budget_ms) without touching user-chosen names."""
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for k, v in data.items():
            key = k if _parent in _FREE_KEYS else _CAMEL.sub("_", str(k)).lower()
            out[key] = normalise_keys(v, _parent=key if _parent not in _FREE_KEYS else "")
        return out
    if isinstance(data, list):
        return [normalise_keys(v, _parent=_parent) for v in data]
    return data


def _origin(layers: list[Layer], path: list[str]) -> str:
    """The last layer that set a key (where the bad value came from)."""
    for layer in reversed(layers):
        node: Any = layer.data
        for part in path:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                break
        else:
            return layer.source
    return layers[-1].source if layers else "<defaults>"


def _type_name(tp: Any) -> str:
    names = {int: "an integer", float: "a number", str: "a string", bool: "true or false", list: "a list",
             dict: "a table"}
    if attrs.has(tp):
        return "a table"
    return names.get(tp, str(tp).replace("typing.", ""))


def _describe(exc: BaseException, path: list[str], tp: Any = None) -> list[tuple[list[str], str]]:
    """Flatten a cattrs validation error tree into (key path, what was wrong)."""
    if isinstance(exc, ForbiddenExtraKeysError):
        known = [f.name for f in attrs.fields(exc.cl)] if attrs.has(exc.cl) else []
        return [([*path, k], "unknown key" + _did_you_mean(k, known)) for k in sorted(exc.extra_fields)]
    if isinstance(exc, (ClassValidationError, IterableValidationError)):
        out: list[tuple[list[str], str]] = []
        for sub in exc.exceptions:
            note = next((n for n in getattr(sub, "__notes__", []) if hasattr(n, "name") or hasattr(n, "index")),
                        None)
            step = [str(getattr(note, "name", getattr(note, "index", "")))] if note is not None else []
            out.extend(_describe(sub, path + step, getattr(note, "type", None)))
        return out
    if isinstance(exc, KeyError):
        key = str(exc.args[0]) if exc.args else ""
        if key and path[-1:] != [key]:  # cattrs may already have named the field in the note
            path = [*path, key]
        return [(path, "required key is missing")]
    text = " ".join(str(exc).split())
    m = re.match(r"'(\w+)' must be (.*)", text)
    if m:  # an attrs validator on a field of the class at `path`
        return [([*path, m.group(1)], f"must be {m.group(2)}")]
    lit = re.match(r"(.*) not in literal .*Literal\[(.*)\]", text)
    if lit:
        return [(path, f"{lit.group(1)!r} is not one of {lit.group(2)}")]
    if tp is not None:
        return [(path, f"expected {_type_name(tp)}, {text}")]
    return [(path, text or type(exc).__name__)]


def _did_you_mean(key: str, known: list[str]) -> str:
    import difflib  # only for error messages; ~14 ms of every start-up otherwise

    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


def structure(layers: list[Layer]) -> Config:
    """Merge layers and build the typed Config; errors name key, source and expectation."""
    merged: dict[str, Any] = {}
    for layer in layers:
        merged = deep_merge(merged, layer.data)
    merged.pop("include", None)
    try:
        cfg = converter().structure(merged, Config)
    except (ClassValidationError, IterableValidationError, ForbiddenExtraKeysError) as exc:
        problems = _describe(exc, [])
        key_path, what = problems[0] if problems else ([], str(exc))
        key = ".".join(key_path)
        src = _origin(layers, key_path)
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConfigError(f"{src}: `{key}`: {what}{more}", key=key, source=src) from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"configuration: {exc}") from None
    check_references(cfg, layers)
    return cfg


def check_references(cfg: Config, layers: list[Layer]) -> None:
    """Cross-field checks cattrs cannot do: roles name existing endpoints, patterns are valid."""
    from .schema import ROLES as KNOWN_ROLES
    from .schema import parse_role_spec

    for role, names in cfg.roles.items():
        if role not in KNOWN_ROLES:
            src = _origin(layers, ["roles", role])
            raise ConfigError(
                f"{src}: `roles.{role}`: unknown role (expected one of {', '.join(KNOWN_ROLES)})",
                key=f"roles.{role}", source=src)
        for n in names:
            if n not in cfg.endpoints:
                src = _origin(layers, ["roles", role])
                raise ConfigError(
                    f"{src}: `roles.{role}`: endpoint {n!r} is not defined under [endpoints]",
                    key=f"roles.{role}", source=src)
    from .pattern_rules import BUILTIN_PATTERNS, validate_patterns

    def fail(key: str, problem: str) -> ConfigError:
        src = _origin(layers, key.split("."))
        return ConfigError(f"{src}: `{key}`: {problem}", key=key, source=src)

    def role_problem(role: str | None) -> str | None:
        if role is None:
            return None
        try:
            name = parse_role_spec(role)[0]
        except ValueError as exc:
            return str(exc)
        if name in KNOWN_ROLES:
            return None
        return f"unknown role {role!r}{_did_you_mean(role, list(KNOWN_ROLES))} (expected one of " \
               f"{', '.join(KNOWN_ROLES)})"

    for name, ep in cfg.endpoints.items():
        if ep.base_url is not None and not re.match(r"https?://[^/\s]", ep.base_url):
            raise fail(f"endpoints.{name}.base_url", f"expected an http(s) URL, got {ep.base_url!r}"
                       + (" (an unset ${VARIABLE}?)" if not ep.base_url else ""))
        for i, url in enumerate(ep.base_urls):
            if not re.match(r"https?://[^/\s]", url):
                raise fail(f"endpoints.{name}.base_urls.{i}", f"expected an http(s) URL, got {url!r}")
        if ep.base_urls and (ep.base_url is not None or ep.kind not in ("openai", "ollama")):
            raise fail(f"endpoints.{name}.base_urls", "replicas are for openai/ollama endpoints, instead of "
                       "base_url (set one of the two)")
        if ep.kind == "embedded" and ep.keep_alive is not None \
                and not re.fullmatch(r"\s*-?\d+(\.\d+)?\s*[smh]?\s*", ep.keep_alive):
            raise fail(f"endpoints.{name}.keep_alive", f"expected a duration such as \"30s\", \"10m\", \"1h\" or "
                       f"\"-1\" (never stop), got {ep.keep_alive!r}")
    if cfg.generation.max_tokens < 1:
        raise fail("generation.max_tokens", f"must be >= 1, got {cfg.generation.max_tokens}")
    role_refs = [("fallback_role", cfg.fallback_role), ("hover.role", cfg.hover.role),
                 ("compete.judge_role", cfg.compete.judge_role), ("verify.generator_role", cfg.verify.generator_role)]
    role_refs += [(f"compete.competitors.{i}", c) for i, c in enumerate(cfg.compete.competitors)]
    role_refs += [(f"routing.tasks.{t}.role", r.role) for t, r in cfg.routing.tasks.items()]
    role_refs += [(f"jobs_per_role.{r}", r) for r in cfg.jobs_per_role]
    for key, role in role_refs:
        problem = role_problem(role)
        if problem:
            raise fail(key, problem)
    for role, n in cfg.jobs_per_role.items():
        if n < 1:
            raise fail(f"jobs_per_role.{role}", f"must be >= 1, got {n} (no job of that role could ever run)")
    for task, r in cfg.routing.tasks.items():
        if r.pattern not in BUILTIN_PATTERNS and r.pattern not in cfg.patterns:
            raise fail(f"routing.tasks.{task}.pattern", f"unknown pattern {r.pattern!r} (built-in: "
                       f"{', '.join(BUILTIN_PATTERNS)}, or one under [patterns])")
    for action, task in cfg.routing.actions.items():
        if task not in cfg.routing.tasks:
            raise fail(f"routing.actions.{action}", f"task {task!r} is not defined under [routing.tasks]"
                       + _did_you_mean(task, list(cfg.routing.tasks)))
    for i, rule in enumerate(cfg.routing.rules):
        if rule.regex is not None:
            try:
                re.compile(rule.regex)
            except re.error as exc:
                raise fail(f"routing.rules.{i}.regex", f"invalid regular expression: {exc}") from None

    for name, problem in validate_patterns(cfg):
        raise fail(name if "." in name else f"patterns.{name}", problem)


def _roles_as_lists(data: dict[str, Any]) -> dict[str, Any]:
    """Let users write `coding = "ep"` as well as `coding = ["ep", "fallback"]`."""
    roles = data.get("roles")
    if isinstance(roles, dict):
        data = dict(data)
        data["roles"] = {k: [v] if isinstance(v, str) else v for k, v in roles.items()}
    return data


def file_layer(path: Path) -> Layer:
    data = _roles_as_lists(normalise_keys(expand_env(read_toml(path))))
    _resolve_relative_paths(data, path.parent)
    return Layer(str(path), data)


def _resolve_relative_paths(data: dict[str, Any], base: Path) -> None:
    """Script paths in a config file are relative to that file, not to wherever the server started."""
    for ep in (data.get("endpoints") or {}).values():
        if isinstance(ep, dict) and isinstance(ep.get("script"), str) and not Path(ep["script"]).is_absolute():
            ep["script"] = str((base / ep["script"]).resolve())


def dict_layer(source: str, data: Mapping[str, Any]) -> Layer:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: expected a table/object of settings, got {type(data).__name__}", source=source)
    return Layer(source, _roles_as_lists(normalise_keys(expand_env(dict(data)))))


def user_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "cadre-lsp" / "config.toml"


def profile_layer(name: str, source: str) -> Layer:
    path = SHIPPED_DIR / "profiles" / f"{name}.toml"
    if not path.is_file():
        raise ConfigError(f"{source}: `profile`: unknown profile {name!r} (expected one of {', '.join(PROFILES)})",
                          key="profile", source=source)
    return file_layer(path)


def file_layers(workspace: str | Path | None = None, explicit: str | Path | None = None) -> list[Layer]:
    """The file-based layers in merge order (without the profile, which is inserted by `build`)."""
    layers = [file_layer(SHIPPED_DIR / "cadre.toml")]
    user = user_config_path()
    if user.is_file():
        layers.append(file_layer(user))
    if workspace:
        ws = Path(workspace) / WORKSPACE_FILE
        if ws.is_file():
            layers.append(file_layer(ws))
    explicit = explicit or os.environ.get("CADRE_CONFIG")
    if explicit:
        p = Path(explicit)
        if not p.is_file():
            raise ConfigError(f"--config/CADRE_CONFIG: no such file: {p}", source=str(p))
        layers.append(file_layer(p))
    return layers


def build(layers: list[Layer]) -> Config:
    """Insert the chosen profile right after the shipped defaults, then structure."""
    profile, src = "embedded", "<defaults>"
    for layer in layers:
        if "profile" in layer.data:
            profile, src = layer.data["profile"], layer.source
    if not isinstance(profile, str):
        raise ConfigError(f"{src}: `profile`: expected a string", key="profile", source=src)
    ordered = layers[:1] + [profile_layer(profile, src)] + layers[1:]
    return structure(ordered)


def shipped_config() -> Config:
    """The shipped defaults and the default profile, nothing else: what a server runs on when every
    user layer is broken (a bare `Config()` has no endpoints, so no action could run)."""
    return build([file_layer(SHIPPED_DIR / "cadre.toml")])


def load_config(workspace: str | Path | None = None, explicit: str | Path | None = None,
                overrides: Mapping[str, Any] | None = None, override_source: str = "editor settings") -> Config:
    """The one entry point: every source, layered, checked."""
    layers = file_layers(workspace, explicit)
    if overrides:
        layers.append(dict_layer(override_source, overrides))
    return build(layers)
