"""Prompt templates for tool-call extraction and the rewrite edit format; strings only (aider style).

Short on purpose (the embedded models are 0.5B-1.5B) and ordered as a stable prefix: the system
prompt, then the file, then the part that varies, so llama.cpp reuses the KV cache across calls of a
job (581-token prompt: 12.8 s cold, 0.32 s warm, measured here). Code the model must quote
never carries a line-number gutter: small models copy the gutter into old_string.
"""

from __future__ import annotations

TOOL_LINES = {
    "Edit": 'Edit: {"path": "file", "old_string": "exact text from the file", "new_string": "replacement"}',
    "Write": 'Write: {"path": "file", "content": "whole new file"}',
    "Read": 'Read: {"path": "file"}',
    "Glob": 'Glob: {"pattern": "**/*.py"}',
    "Grep": 'Grep: {"pattern": "regex", "path": "dir or file"}',
    "Report": 'Report: {"findings": [{"start_line": 1, "end_line": 1, "severity": "warning", "message": "..."}]}',
}

EXTRACT_SYSTEM = (
    "You turn a proposed code change into tool calls.\n"
    "Tools:\n{tool_lines}\n"
    "Rules:\n"
    "- Make the smallest edits that carry out the change.\n"
    "- old_string is copied exactly from the file, with its indentation, and occurs once in it; "
    "add a neighbouring line if needed.\n"
    "- Never include line numbers.\n"
    'Answer only with calls, each as <tool_call>{{"name": "Edit", "arguments": {{...}}}}</tool_call>. '
    "No calls needed: answer []."
)

EXTRACT_FILE = "File {path}:\n```{fence}\n{code}\n```"

EXTRACT_CHANGE = "Proposed change:\n{proposal}\n\nWrite the tool calls for {path}."

REWRITE_SYSTEM = "You are an expert {language} programmer. Reply with code only."

REWRITE_USER = (
    "{task}{instruction}\n```{fence}\n{code}\n```\n"
    "Reply with the whole {kind} rewritten, in one ```{fence} block, nothing else."
)

RETRY_REJECTED = "These tool calls were rejected:\n{reasons}\nSend corrected tool calls only."

REJECTED_CALL = "- {label}: {reason}"

REVIEW_NUMBERED_LINE = "{number:>{width}}| {line}"
"""Review shows line numbers (it cites lines but never quotes them); edit prompts never do."""
