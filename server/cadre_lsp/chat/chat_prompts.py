"""Prompts the chat patterns add around the client's conversation; strings only.

Short for the same reason as patterns/prompts.py (0.5B-1.5B models); verdicts and choices come back
as the same JSON the editor path parses (patterns/verdicts.py), under the same schemas.
"""

from __future__ import annotations

SYSTEM = "You are a careful assistant. Answer precisely and briefly."

VALIDATE = (
    "Check this answer to the user's request.\n"
    "Request:\n{request}\n\nAnswer:\n{answer}\n\n"
    "Look for factual or logical errors, bugs in any code, missing error handling, security and "
    "performance problems, and parts of the request left unanswered.\n"
    'Reply with JSON only: {{"verdict": "PASS" or "FAIL", "reasons": ["..."]}}.'
)

REVISE = "A reviewer rejected that answer:\n{feedback}\nAnswer my request again, corrected."

PLAN = (
    "Before anyone answers, plan the answer to the request above in at most 5 short numbered steps. "
    "Do not write the answer itself."
)

FOLLOW_PLAN = "{request}\n\nFollow this plan:\n{plan}"

JUDGE = (
    "Several answers were proposed to this request:\n{request}\n\n{candidates}\n"
    "Pick the best one. Consider correctness first, then completeness and clarity.\n"
    'Reply with JSON only: {{"choice": "<letter>", "reason": "one sentence"}}.'
)

TOOLS = (
    "You may call these tools:\n{tools}\n"
    'To call one, answer with <tool_call>{{"name": "<tool>", "arguments": {{...}}}}</tool_call>.'
)

TOOL_REQUIRED = "Answer with a call to {names} now."

TOOLS_REJECTED = "These tool calls were rejected:\n{reasons}\nSend corrected tool calls."
