"""A seeded, bursty customer trace: ``chats`` customers each writing ``bursts`` bursts of 1-4 bubbles. Bursts
come in waves (every customer's k-th burst within a couple of seconds of the others'), the bubbles of one burst
closer together than the debounce window, the waves further apart than it. Pure: the same seed, the same trace."""

from __future__ import annotations

import random
from dataclasses import dataclass

WORDS = ("halo", "kak", "stok", "masih", "ada", "harga", "berapa", "kirim", "hari", "ini", "bisa", "COD", "ukuran")


@dataclass(frozen=True)
class Bubble:
    at: float  # seconds from the start of the replay
    chat: str  # the customer's number
    burst: int  # 0-based, per chat
    key: str  # WhatsApp's message key (unique per trace)
    text: str


def contact_number(chat_index: int) -> str:
    return f"62812{chat_index:07d}"


def make_trace(
    seed: int, chats: int, *, bursts: int = 3, wave_seconds: float = 6.0, spread_seconds: float = 2.0
) -> list[Bubble]:
    """Every bubble of the trace, in the order they are sent."""
    rng = random.Random(seed)
    bubbles: list[Bubble] = []
    for chat_index in range(chats):
        chat = contact_number(chat_index)
        for burst in range(bursts):
            at = burst * wave_seconds + rng.uniform(0, spread_seconds)
            for position in range(rng.randint(1, 4)):
                text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6)))
                key = f"3EB0{seed % 10_000:04d}{chat_index:05d}{burst:02d}{position:02d}{rng.getrandbits(24):06X}"
                bubbles.append(Bubble(at + position * rng.uniform(0.05, 0.3), chat, burst, key, text))
    bubbles.sort(key=lambda bubble: bubble.at)
    return bubbles


def bursts_of(bubbles: list[Bubble]) -> dict[tuple[str, int], list[Bubble]]:
    """The trace's bursts: (chat, burst) → its bubbles."""
    grouped: dict[tuple[str, int], list[Bubble]] = {}
    for bubble in bubbles:
        grouped.setdefault((bubble.chat, bubble.burst), []).append(bubble)
    return grouped
