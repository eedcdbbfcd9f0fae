"""Splitting a long reply into WhatsApp-sized parts: properties over generated text, and the boundaries chosen."""

from __future__ import annotations

import itertools

import pytest
from chatbatch.domain.reply_split import split_reply, text_length
from hypothesis import given, settings
from hypothesis import strategies as st

# Letters, digits, punctuation, emoji (two UTF-16 units each), CJK and every kind of whitespace.
TEXT = st.text(
    alphabet=st.sampled_from(
        [*"abcdefghij0123456789.,!?…\"')", "😀", "👍", "\U0001f3fd", "。", "語", " ", "\n", "\t", "\r"]
    ),
    max_size=600,
)
LIMIT = st.integers(min_value=2, max_value=120)


def assert_verbatim_slices_in_order(text: str, parts: list[str]) -> None:
    """Each part is a slice of the text; only whitespace lies before, between and after them: nothing lost."""
    position = 0
    for part in parts:
        found = text.find(part, position)
        assert found >= 0 and not text[position:found].strip(), (part, text[position:found])
        position = found + len(part)
    assert not text[position:].strip()


@settings(max_examples=400, deadline=None)
@given(TEXT, LIMIT)
def test_parts_are_within_the_limit_non_empty_trimmed_and_are_the_reply_in_order(text, limit):
    parts = split_reply(text, limit)

    assert all(0 < text_length(part) <= limit for part in parts)
    assert all(part == part.strip() for part in parts)
    assert_verbatim_slices_in_order(text, parts)
    assert (parts == []) == (text.strip() == "")


@settings(max_examples=200, deadline=None)
@given(TEXT, st.integers(min_value=2, max_value=5000))
def test_a_reply_within_the_limit_is_one_part_unchanged(text, limit):
    if text_length(text.strip()) <= limit and text.strip():
        assert split_reply(text, limit) == [text.strip()]


WORD = st.text(alphabet=st.sampled_from(list("abcdefgh😀")), min_size=1, max_size=8)
SENTENCE = st.lists(WORD, min_size=1, max_size=6).map(lambda words: " ".join(words) + ".")
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=6).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(PARAGRAPH, min_size=1, max_size=12), st.integers(min_value=10, max_value=200))
def test_paragraphs_that_fit_are_never_cut_and_are_packed_together(paragraphs, limit):
    paragraphs = [p for p in paragraphs if text_length(p) <= limit]
    text = "\n\n".join(paragraphs)

    parts = split_reply(text, limit)

    assert [p for part in parts for p in part.split("\n\n")] == paragraphs
    # greedy packing: a part plus the next paragraph would not have fitted
    for part, following in itertools.pairwise(parts):
        assert text_length(part + "\n\n" + following.split("\n\n")[0]) > limit


@settings(max_examples=300, deadline=None)
@given(st.lists(SENTENCE, min_size=1, max_size=30), st.integers(min_value=40, max_value=200))
def test_a_paragraph_longer_than_the_limit_is_cut_between_sentences_that_fit(sentences, limit):
    sentences = [s for s in sentences if text_length(s) <= limit]
    text = " ".join(sentences)

    parts = split_reply(text, limit)

    assert all(part.endswith(".") for part in parts)
    assert [s + "." for part in parts for s in part[:-1].split(". ")] == sentences


def test_boundaries_in_order_of_preference():
    # a paragraph break wins over later sentence ends within the limit
    assert split_reply("Halo kak.\n\nStok ada. Warna merah. Ukuran M.", 40) == [
        "Halo kak.",
        "Stok ada. Warna merah. Ukuran M.",
    ]
    # then a line break (a list), then a sentence end, then a space
    assert split_reply("Pilihan:\n- merah\n- biru\n- hijau", 20) == ["Pilihan:\n- merah", "- biru\n- hijau"]
    assert split_reply('Dia bilang "siap." Lalu pergi ke toko.', 20) == ['Dia bilang "siap."', "Lalu pergi ke toko."]
    assert split_reply("satu dua tiga empat lima", 10) == ["satu dua", "tiga empat", "lima"]
    # CJK sentences end without a space
    assert split_reply("今日は。明日も来ます。", 7) == ["今日は。", "明日も来ます。"]
    # a word longer than the limit is cut hard
    assert split_reply("https://example.com/very/long/path ok", 10) == [
        "https://ex",
        "ample.com/",
        "very/long/",
        "path ok",
    ]


def test_emoji_count_two_and_are_never_cut_in_half():
    assert text_length("👍") == 2 and text_length("é😀a") == 4
    assert split_reply("😀😀😀", 3) == ["😀", "😀", "😀"]


def test_a_ten_thousand_character_reply_for_meta_is_three_parts_of_whole_paragraphs():
    paragraph = ("Produk kami tersedia dalam banyak warna. " * 12).strip()  # 491 characters
    reply = "\n\n".join([paragraph] * 21)  # 10,000+ characters

    parts = split_reply(reply, 4096)

    assert text_length(reply) > 10_000 and len(parts) == 3
    assert all(text_length(part) <= 4096 and part.startswith("Produk") and part.endswith(".") for part in parts)


def test_a_limit_below_two_is_refused():
    with pytest.raises(ValueError, match="limit >= 2"):
        split_reply("abc", 1)
