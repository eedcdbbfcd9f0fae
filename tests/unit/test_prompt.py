"""Prompt building: system + recent history as user/assistant turns + the burst as the newest user turn."""

from __future__ import annotations

import pytest
from chatbatch.domain.prompt import ChatLine, Turn, build_prompt


def line(message_id: str, sender: str, text: str, kind: str = "text") -> ChatLine:
    return ChatLine(message_id=message_id, sender_type=sender, message_type=kind, content=text)


BURST = [line("b1", "contact", "Halo"), line("b2", "contact", "Saya mau"), line("b3", "contact", "pesan produk")]


def test_the_burst_is_one_user_turn_after_the_history_with_business_side_as_assistant():
    history = [
        line("h1", "contact", "Ada stok?"),
        line("h2", "ai", "Ada kak"),
        line("h3", "contact", "Oke"),
        line("h4", "user", "Silakan kak"),
        *BURST,
    ]

    prompt = build_prompt("Kamu asisten.", history, BURST, history_limit=20)

    assert prompt.system == "Kamu asisten."
    assert prompt.turns == (
        Turn("user", "Ada stok?"),
        Turn("assistant", "Ada kak"),
        Turn("user", "Oke"),
        Turn("assistant", "Silakan kak"),
        Turn("user", "Halo\nSaya mau\npesan produk"),
    )


def test_the_bursts_bubbles_are_not_repeated_in_the_history_part():
    prompt = build_prompt("s", [line("h1", "ai", "Halo!"), *BURST], BURST, history_limit=20)

    assert sum(turn.content.count("Saya mau") for turn in prompt.turns) == 1


def test_only_the_last_n_history_messages_are_used_and_the_conversation_opens_with_the_customer():
    history = [line(f"h{i}", "contact" if i % 2 else "ai", f"m{i}") for i in range(10)]

    prompt = build_prompt("s", history, BURST, history_limit=3)

    # m7 (contact), m8 (ai), m9 (contact) — then the burst, merged into the open user turn
    assert prompt.turns == (
        Turn("user", "m7"),
        Turn("assistant", "m8"),
        Turn("user", "m9\nHalo\nSaya mau\npesan produk"),
    )
    assert build_prompt("s", history, BURST, history_limit=0).turns == (Turn("user", "Halo\nSaya mau\npesan produk"),)


def test_consecutive_business_messages_merge_so_roles_alternate():
    history = [line("h1", "contact", "Halo"), line("h2", "ai", "Hai"), line("h3", "user", "Saya Rina")]

    turns = build_prompt("s", history, BURST[:1], history_limit=20).turns

    assert [t.role for t in turns] == ["user", "assistant", "user"]
    assert turns[1].content == "Hai\nSaya Rina"


@pytest.mark.parametrize(
    ("kind", "caption", "expected"),
    [
        ("image", "yang merah", "[image] yang merah"),
        ("image", "", "[image]"),
        ("audio", "", "[audio]"),
        ("text", "  halo  ", "halo"),
    ],
)
def test_non_text_bubbles_become_a_short_placeholder_with_their_caption(kind, caption, expected):
    assert build_prompt("s", [], [line("b", "contact", caption, kind)], history_limit=5).turns[-1].content == expected


def test_a_job_without_bubbles_is_a_bug_not_an_empty_prompt():
    with pytest.raises(ValueError):
        build_prompt("s", [], [], history_limit=5)


# --- cost guards: what one message and the whole conversation may cost -----------------------------------


def conversation_chars(prompt) -> int:
    return sum(len(turn.content) for turn in prompt.turns) + len(prompt.turns) - 1


def test_a_message_over_the_line_cap_is_cut_and_marked():
    novel = "x" * 10_000

    prompt = build_prompt(
        "s",
        [line("h1", "ai", novel)],
        [line("b1", "contact", novel)],
        history_limit=20,
        max_line_chars=100,
        max_prompt_chars=10_000,
    )

    assert [len(turn.content) for turn in prompt.turns] == [100]  # the ai line was the only history: dropped
    assert prompt.turns[-1].content.endswith("[…]")


def test_over_the_prompt_cap_the_oldest_history_goes_first_and_the_burst_is_kept_whole():
    history = [line(f"h{i}", "contact" if i % 2 else "ai", f"{i:02d}" * 40) for i in range(30)]  # 80 chars each

    prompt = build_prompt("s", history, BURST, history_limit=30, max_line_chars=2_000, max_prompt_chars=500)

    assert conversation_chars(prompt) <= 500
    assert prompt.turns[-1].content.endswith("Halo\nSaya mau\npesan produk")
    kept = "\n".join(turn.content for turn in prompt.turns)
    assert "29" * 40 in kept and "28" * 40 in kept  # the newest history stays
    assert "00" * 40 not in kept and "10" * 40 not in kept  # the oldest went


def test_a_burst_alone_over_the_prompt_cap_keeps_its_newest_words():
    flood = [line(f"b{i}", "contact", f"bubble {i:04d}") for i in range(1_000)]

    prompt = build_prompt("s", [], flood, history_limit=20, max_prompt_chars=1_000)

    assert prompt.turns == (prompt.turns[-1],)
    asked = prompt.turns[-1].content
    assert len(asked) == 1_000 and asked.startswith("[…]") and asked.endswith("bubble 0999")


def test_within_the_caps_nothing_changes():
    history = [line("h1", "contact", "Ada stok?"), line("h2", "ai", "Ada kak")]

    assert build_prompt("s", history, BURST, history_limit=20) == build_prompt(
        "s", history, BURST, history_limit=20, max_line_chars=10**6, max_prompt_chars=10**9
    )
