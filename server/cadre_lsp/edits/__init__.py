"""Valid tool calls -> FileEdits and read-only answers, confined to the workspace and to the job's file.

apply.py (Edit calls -> FileEdit), match.py (locating old_string), write.py (Write), paths.py (root,
protected paths, scope), readonly.py (Read/Glob/Grep), rebase.py (user typed meanwhile), diff.py.
"""

from .apply import apply_edit_calls, minimal_change
from .diff import unified_diff
from .errors import EditConflict, EditError, PathRefused, ScopeError
from .match import detect_eol, locate, strip_gutter
from .paths import DEFAULT_PROTECTED, check_scope, protected_match, resolve_path, same_file
from .readonly import answer_readonly, glob_to_regex
from .rebase import diff_regions, rebase
from .write import write_edit

__all__ = [
    "DEFAULT_PROTECTED",
    "EditConflict",
    "EditError",
    "PathRefused",
    "ScopeError",
    "answer_readonly",
    "apply_edit_calls",
    "check_scope",
    "detect_eol",
    "diff_regions",
    "glob_to_regex",
    "locate",
    "minimal_change",
    "protected_match",
    "rebase",
    "resolve_path",
    "same_file",
    "strip_gutter",
    "unified_diff",
    "write_edit",
]
