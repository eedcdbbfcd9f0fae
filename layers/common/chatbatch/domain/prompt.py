"""The LLM prompt of one job: system prompt + the chat's recent history + the burst as the newest user turn. Pure.

Roles are seen from the bot's side: the customer (``contact``) speaks as ``user``; the bot (``ai``) and a
human on the business side (``user`` sender type) both speak for the business, as ``assistant``.
Consecutive turns of one role are merged and the conversation opens with a user turn, because the strictest
provider (Bedrock Converse) rejects anything else — one shape that every provider accepts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Role = Literal["user", "assistant"]
_ROLE_OF_SENDER: dict[str, Role] = {"contact": "user", "ai": "assistant", "user": "assistant"}


@dataclass(frozen=True)
class ChatLine:
    """One message as the prompt needs it: from the history (chat_messages) or a bubble of the burst."""

    message_id: str
    sender_type: str  # 'contact' | 'user' | 'ai'
    message_type: str  # 'text', 'image', ...
    content: str  # the text, or a media message's caption

    def as_text(self) -> str:
        """Text as is; anything else as a short placeholder with its caption, e.g. ``[image] the red one``."""
        if self.message_type == "text":
            return self.content.strip()
        return f"[{self.message_type}] {self.content.strip()}".strip()


@dataclass(frozen=True)
class Turn:
    role: Role
    content: str


@dataclass(frozen=True)
class Prompt:
    system: str
    turns: tuple[Turn, ...]  # oldest first; alternating roles; opens and ends with a user turn

    @property
    def newest_user_turn(self) -> str:
        return self.turns[-1].content


# Cost guards: what one message and the whole conversation may add to a prompt (characters; ~4 per token). A
# customer pasting a novel, or a chat with a long history, costs a bounded number of tokens per reply.
MAX_LINE_CHARS = 2_000
MAX_PROMPT_CHARS = 24_000
CUT = "[…]"


def build_prompt(
    system: str,
    history: Sequence[ChatLine],
    burst: Sequence[ChatLine],
    *,
    history_limit: int,
    max_line_chars: int = MAX_LINE_CHARS,
    max_prompt_chars: int = MAX_PROMPT_CHARS,
) -> Prompt:
    """``history`` oldest first (may contain the burst's own bubbles: they are left out of the history part).

    Every message is cut to ``max_line_chars``; the conversation (history + burst, not the system prompt) to
    ``max_prompt_chars``: the oldest history goes first, and the burst - what must be answered - is kept whole
    unless it alone is over the cap, then its newest words are kept.
    """
    if not burst:
        raise ValueError("a job's burst has at least one bubble")
    in_burst = {line.message_id for line in burst}
    earlier = [line for line in history if line.message_id not in in_burst]
    earlier = earlier[-history_limit:] if history_limit > 0 else []
    asked = "\n".join(text for text in (_capped(line.as_text(), max_line_chars) for line in burst) if text)
    asked = _newest(asked or "[empty]", max_prompt_chars)
    budget = max_prompt_chars - len(asked)
    kept: list[tuple[Role, str]] = []
    for line in reversed(earlier):  # newest history first: the oldest is what goes over the budget
        text = _capped(line.as_text(), max_line_chars)
        if len(text) + 1 > budget:
            break
        budget -= len(text) + 1
        kept.append((_ROLE_OF_SENDER[line.sender_type], text))
    turns: list[Turn] = []
    for role, text in reversed(kept):
        _append(turns, role, text)
    _append(turns, "user", asked)
    while turns[0].role != "user":
        turns.pop(0)
    return Prompt(system=system, turns=tuple(turns))


def _capped(text: str, limit: int) -> str:
    """A message over ``limit`` characters keeps its beginning (a pasted text's gist), marked as cut."""
    return text if len(text) <= limit else text[: limit - len(CUT)] + CUT


def _newest(text: str, limit: int) -> str:
    """A burst over ``limit`` characters keeps its end: the customer's newest words are what is asked."""
    return text if len(text) <= limit else CUT + text[len(text) - limit + len(CUT) :]


def _append(turns: list[Turn], role: Role, text: str) -> None:
    if not text:
        return
    if turns and turns[-1].role == role:
        turns[-1] = Turn(role, f"{turns[-1].content}\n{text}")
    else:
        turns.append(Turn(role, text))
