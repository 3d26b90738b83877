"""Check a code fix by running it against executable expectations instead of asking another model.

Plain Python with no LSP types and only the standard library, so any layer (the patterns) can call it:
`stated_examples`/`parse_generated` collect evidence, `run_examples` runs a candidate against it in a
limited child process and reports per-example outcomes.
"""

from .evidence import Evidence, Example, signature_and_docstring, stated_examples
from .generated import GENERATE_SCHEMA, generation_messages, parse_generated
from .sandbox import ExampleResult, Limits, RunReport, run_examples

__all__ = [
    "GENERATE_SCHEMA",
    "Evidence",
    "Example",
    "ExampleResult",
    "Limits",
    "RunReport",
    "generation_messages",
    "parse_generated",
    "run_examples",
    "signature_and_docstring",
    "stated_examples",
]
