"""The typed configuration schema: attrs classes, structured by one cattrs converter (see loader.py).

Every field is documented where it is declared; `config/cadre.toml` shows the shipped values.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

BackendKind = Literal["openai", "ollama", "mlx", "embedded", "scripted"]
EditFormat = Literal["rewrite", "tool_calls", "auto"]
ROLES = ("reasoning", "coding", "validator", "competitor", "judge", "tools", "summarizer")


def parse_role_spec(spec: str) -> tuple[str, float | None]:
    """`"coding@0.7"` -> ("coding", 0.7); `"coding"` -> ("coding", None). The one reader of the syntax
    that competitor lists and pattern steps share; a bad temperature is a ValueError naming the spec."""
    role, _, temp = spec.partition("@")
    if not temp:
        return role, None
    try:
        return role, float(temp)
    except ValueError:
        raise ValueError(f"bad temperature in {spec!r} (expected ROLE@NUMBER, e.g. coding@0.7)") from None


def check_speculative(value: str) -> None:
    """"off", "ngram" or "draft:MODEL"; anything else is a ValueError saying what is allowed."""
    if value in ("off", "ngram") or (value.startswith("draft:") and value[6:].strip()):
        return
    raise ValueError(f"'speculative' must be \"off\", \"ngram\" or \"draft:MODEL\" (a bundled model name "
                     f"or a .gguf path), not {value!r}")


@attrs.define(kw_only=True)
class EndpointConfig:
    """One model behind one backend."""

    kind: BackendKind
    """Which backend speaks to it."""
    model: str = ""
    """Model name at the backend (ollama tag, openai model id, mlx path/repo, embedded bundled name or .gguf path)."""
    base_url: str | None = None
    """HTTP endpoint for openai/ollama kinds (e.g. http://127.0.0.1:11434)."""
    base_urls: list[str] = attrs.field(factory=list)
    """Replicas of one model (openai/ollama kinds, instead of base_url): each call goes to the healthy one
    with the fewest calls in flight; one that fails is taken out and probed back in. `concurrency` is per
    replica."""
    api_key: str | None = None
    """API key (use "${ENV_VAR}" to read it from the environment)."""
    concurrency: int = attrs.field(default=1, validator=attrs.validators.ge(1))
    """Requests this endpoint serves at once; more wait in a queue."""
    timeout_s: float = attrs.field(default=180.0, validator=attrs.validators.gt(0))
    """Whole-request time limit."""
    retries: int = attrs.field(default=1, validator=attrs.validators.ge(0))
    """Retries on transient errors only (timeouts, 5xx, dropped streams), with exponential backoff."""
    backoff_s: float = 0.5
    temperature: float | None = None
    """Overrides the pattern's temperature for this model."""
    max_tokens: int | None = None
    """Upper bound on generated tokens for this model."""
    edit_format: EditFormat = "auto"
    """How this model proposes edits: rewrite a block, or emit Edit tool calls (DESIGN.md "Edit formats")."""
    keep_alive: str | None = None
    """Ollama keep_alive (e.g. "10m"); for embedded models, how long the idle model host stays up
    ("30s", "10m", "1h"; "-1" = until the server exits; default 30m)."""
    host: Literal["process", "in-process"] = "process"
    """Embedded models: "process" runs llama.cpp in a supervised child process at lower CPU priority (the
    editor's server never competes with it for the GIL, and survives its crashes); "in-process" in this one."""
    n_ctx: int = 4096
    """Context window for in-process models (embedded, mlx)."""
    n_threads: int | None = None
    """CPU threads for in-process models (default: all cores)."""
    speculative: str = attrs.field(default="off", validator=lambda _i, _a, v: check_speculative(v))
    """Embedded models: speculative decoding. "off"; "ngram" (draft tokens looked up in the prompt and
    the answer so far: a rewritten function is mostly copied from the prompt, measured 1.6x faster
    decode on the bundled 1.5B, same text at temperature 0); "draft:MODEL" (a smaller model of the same
    family drafts, e.g. "draft:qwen2.5-coder-0.5b"). bench/README.md "Speculative decoding" has the A/B."""
    script: str | None = None
    """Scripted backend: path of the JSON/JSONL file of recorded exchanges."""
    latency_s: float = 0.0
    """Scripted backend: simulated time to first token."""
    tokens_per_s: float | None = None
    """Scripted backend: simulated decode speed (None = instant)."""
    options: dict[str, Any] = attrs.field(factory=dict)
    """Extra backend options passed through (e.g. ollama `options`, openai `extra_body`)."""


@attrs.define(kw_only=True)
class RoutingRule:
    """A keyword/regex rule for free-form requests."""

    task_type: str
    """Task type this rule assigns (e.g. code_generation, explanation)."""
    keywords: list[str] = attrs.field(factory=list)
    regex: str | None = None


@attrs.define(kw_only=True)
class TaskRoute:
    """Where a task type goes."""

    role: str
    pattern: str = "primary"


@attrs.define(kw_only=True)
class RoutingConfig:
    rules: list[RoutingRule] = attrs.field(factory=list)
    tasks: dict[str, TaskRoute] = attrs.field(factory=dict)
    """Task type -> role and default pattern."""
    actions: dict[str, str] = attrs.field(factory=dict)
    """Editor action (explain/implement/fix/review) -> task type."""
    default_task: str = "general"


@attrs.define(kw_only=True)
class PatternStep:
    """One step of a custom pattern (patterns/custom.py says what each kind does)."""

    kind: Literal["generate", "validate", "judge", "extract_tools", "revise", "verify"]
    role: str = "coding"
    prompt: str | None = None
    """Prompt template name (from prompts) or inline template text with {placeholders}."""
    name: str | None = None
    until: Literal["pass"] | None = None
    """For validate/revise loops: repeat the validate->revise pair until the verdict is PASS."""
    max_rounds: int = 2
    temperature: float | None = None


@attrs.define(kw_only=True)
class PatternConfig:
    description: str = ""
    steps: list[PatternStep] = attrs.field(factory=list)


@attrs.define(kw_only=True)
class ValidatedConfig:
    rounds: int = attrs.field(default=2, validator=attrs.validators.ge(0))
    """Revise rounds after a FAIL verdict."""
    check_command: list[str] | None = None
    """Optional user-configured check run on the edited file copy ({file} is replaced); never model-supplied."""
    check_timeout_s: float = 30.0


@attrs.define(kw_only=True)
class VerifyConfig:
    """Execution-grounded checks of fixes and implementations (patterns/evidence.py, verify/)."""

    enabled: bool = True
    """Run the function on its evidence in the sandbox before any model judges it (off: `enabled = false`)."""
    sources: list[Literal["docstring", "generated"]] = attrs.field(factory=lambda: ["docstring", "generated"])
    """Where examples come from: the docstring (doctests, stated equalities), and a model writing
    input/expected pairs from the signature and docstring only. (The workspace's own tests: use
    `[validated] check_command`, which runs on a copy with the candidate applied.)"""
    primary: bool = True
    """The primary pattern runs a fix on its docstring's own examples too (no model call; a failure is
    reported, the edit still delivered, marked partial)."""
    generator_role: str = "coding"
    """The role that writes generated examples."""
    max_examples: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    """Generated examples asked for per function."""
    min_stated: int = attrs.field(default=2, validator=attrs.validators.ge(0))
    """Examples are generated only when the docstring states fewer than this many (0: never generate)."""
    timeout_s: float = attrs.field(default=10.0, validator=attrs.validators.gt(0))
    """Wall-clock limit of one sandbox run (all examples)."""
    example_timeout_s: float = attrs.field(default=2.0, validator=attrs.validators.gt(0))
    memory_mb: int = attrs.field(default=512, validator=attrs.validators.ge(64))
    tests_command: list[str] | None = None
    """Your own tests, run on a copy of the workspace with each candidate applied (default off), e.g.
    ["python", "-m", "pytest", "-x", "-q", "tests/test_shop.py"]; `{file}` is the edited file's path.
    A candidate that fails them is revised with their output (unless the original fails them the same way)."""
    tests_timeout_s: float = attrs.field(default=120.0, validator=attrs.validators.gt(0))
    samples: int = attrs.field(default=2, validator=attrs.validators.ge(0))
    """When a revision still fails its evidence, extra candidates sampled at `sample_temperature`."""
    sample_temperature: float = 0.7


@attrs.define(kw_only=True)
class CompeteConfig:
    competitors: list[str] = attrs.field(factory=lambda: ["coding", "coding@0.7"])
    """Competitor roles, optionally `role@temperature`; run concurrently."""
    judge_role: str = "judge"


@attrs.define(kw_only=True)
class HoverConfig:
    enabled: bool = True
    budget_ms: int = attrs.field(default=1500, validator=attrs.validators.ge(0))
    """Longest a hover waits for the model before returning what is ready."""
    max_tokens: int = 120
    role: str = "reasoning"


@attrs.define(kw_only=True)
class ReviewConfig:
    on_save: bool = False
    """Re-review changed definitions when a file is saved."""
    max_findings: int = 20


@attrs.define(kw_only=True)
class EditsConfig:
    protected: list[str] = attrs.field(factory=lambda: [".git/", ".env", ".cadre.toml"])
    """Paths (relative to the workspace root; trailing / = directory) a model may never write."""
    allow_other_files: bool = False
    """Let a job edit files other than the one it was asked about."""


@attrs.define(kw_only=True)
class GenerationConfig:
    max_tokens: int = 512
    temperature: float = 0.2
    context_tokens: int = attrs.field(default=1200, validator=attrs.validators.ge(64))
    """Token budget for code context (enclosing + referenced definitions) in prompts."""


@attrs.define(kw_only=True)
class ApiConfig:
    """`cadre-lsp api`: the OpenAI-compatible HTTP API serving the patterns as models."""

    host: str = "127.0.0.1"
    """Interface to bind; anything but localhost needs a `token` (or `allow_no_token`)."""
    port: int = attrs.field(default=3457, validator=[attrs.validators.ge(0), attrs.validators.le(65535)])
    token: str = ""
    """Bearer token clients must send (their `api_key`); empty = none. Use "${CADRE_API_TOKEN}"."""
    allow_no_token: bool = False
    """Bind a non-local host without a token anyway (anyone who can reach the port can use the models)."""
    request_timeout_s: float = attrs.field(default=600.0, validator=attrs.validators.gt(0))
    """Longest one request may run (all of its pattern's model calls); then it fails with 504."""


@attrs.define(kw_only=True)
class Config:
    """The whole configuration after layering."""

    profile: str = "embedded"
    """Shipped profile layered over the defaults: embedded, tiny, ollama, mlx, openai-compatible."""
    endpoints: dict[str, EndpointConfig] = attrs.field(factory=dict)
    roles: dict[str, list[str]] = attrs.field(factory=dict)
    """Role -> endpoint names; the list is the fallback chain, tried in order."""
    fallback_role: str | None = "reasoning"
    """When every endpoint of a role fails, try this role's chain."""
    action_patterns: dict[str, str] = attrs.field(factory=dict)
    """Default pattern per editor action (explain/implement/fix/review)."""
    routing: RoutingConfig = attrs.field(factory=RoutingConfig)
    patterns: dict[str, PatternConfig] = attrs.field(factory=dict)
    """Custom patterns by name."""
    validated: ValidatedConfig = attrs.field(factory=ValidatedConfig)
    compete: CompeteConfig = attrs.field(factory=CompeteConfig)
    verify: VerifyConfig = attrs.field(factory=VerifyConfig)
    hover: HoverConfig = attrs.field(factory=HoverConfig)
    review: ReviewConfig = attrs.field(factory=ReviewConfig)
    edits: EditsConfig = attrs.field(factory=EditsConfig)
    generation: GenerationConfig = attrs.field(factory=GenerationConfig)
    api: ApiConfig = attrs.field(factory=ApiConfig)
    jobs_per_role: dict[str, int] = attrs.field(factory=dict)
    """Concurrent jobs allowed per routed role in the server (default 1 each)."""
