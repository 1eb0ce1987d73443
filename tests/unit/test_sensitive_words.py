"""The sensitive-word matcher (50037): defaults, the operator's file, and what counts as a hit."""

import os
from pathlib import Path

import pytest

from smsgate.content.sensitive_words import (
    DEFAULT_SENSITIVE_WORDS,
    build_matcher,
    build_trie,
    find_sensitive_words,
    read_word_file,
)
from smsgate.settings import Settings


def settings(**values: object) -> Settings:
    return Settings(**values)  # type: ignore[arg-type]


def test_default_list_applies_without_configuration() -> None:
    assert find_sensitive_words("诚信代开发票，欢迎来电", settings()) == ["代开发票", "发票"]
    assert find_sensitive_words("您的订单已发货", settings()) == []


def test_default_list_can_be_switched_off() -> None:
    assert find_sensitive_words("赌博", settings(sensitive_words_default=False)) == []


def test_file_words_add_to_the_defaults_and_comments_are_skipped(tmp_path: Path) -> None:
    words = tmp_path / "words.txt"
    words.write_text("# local additions\n\n  秒杀  \nSpam\n", encoding="utf-8")
    configured = settings(sensitive_words_file=words)
    assert find_sensitive_words("限时秒杀", configured) == ["秒杀"]
    assert find_sensitive_words("no SPAM here", configured) == ["spam"]  # case-insensitive
    assert find_sensitive_words("赌博", configured) == ["赌博"]
    assert find_sensitive_words("# local additions", configured) == []


def test_an_edited_file_is_picked_up(tmp_path: Path) -> None:
    words = tmp_path / "words.txt"
    words.write_text("alpha\n", encoding="utf-8")
    configured = settings(sensitive_words_file=words, sensitive_words_default=False)
    assert find_sensitive_words("alpha beta", configured) == ["alpha"]
    words.write_text("beta\n", encoding="utf-8")
    stat = words.stat()
    os.utime(words, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert find_sensitive_words("alpha beta", configured) == ["beta"]


def test_a_missing_file_keeps_the_defaults(tmp_path: Path) -> None:
    configured = settings(sensitive_words_file=tmp_path / "absent.txt")
    assert find_sensitive_words("赌博", configured) == ["赌博"]


def test_overlapping_and_nested_words_are_all_found() -> None:
    matcher = build_matcher(["ab", "bcd", "abc", "c"])
    assert matcher.find("xabcd") == ["abc", "bcd", "c"]
    assert matcher.find("ab") == ["ab"]
    assert matcher.find("a b c") == ["c"]


def test_regex_metacharacters_are_literal() -> None:
    matcher = build_matcher(["a.b", "(x)", "+1"])
    assert matcher.find("axb x +2") == []
    assert matcher.find("a.b (x) +1") == ["a.b", "(x)", "+1"]


def test_empty_list_matches_nothing() -> None:
    assert build_matcher([]).find("anything") == []
    assert build_matcher(["  ", ""]).find("anything") == []


@pytest.mark.parametrize(
    ("words", "found"),
    [
        (["苹果", "苹果派", "苹"], ["苹果派", "苹"]),
        (["a", "ab", "abc", "abd", "b"], ["abc", "b", "abd", "ab"]),
    ],
)
def test_the_longest_word_at_each_position_is_reported(words: list[str], found: list[str]) -> None:
    """A shorter word that only prefixes a longer hit at the same place adds nothing: the
    text is refused either way, and the report names the word people would recognise."""
    text = "我爱苹果派和苹 abcabd ab b"
    assert build_matcher(words).find(text) == found
    assert set(found) <= {w for w in words if w in text}
    assert set(build_trie(sorted(words))) == {w[0] for w in words}


def test_word_file_reader(tmp_path: Path) -> None:
    words = tmp_path / "w.txt"
    words.write_text("a\n#b\n\n c \n", encoding="utf-8")
    assert read_word_file(words) == ["a", "c"]


def test_defaults_are_not_empty_and_distinct() -> None:
    assert len(set(DEFAULT_SENSITIVE_WORDS)) == len(DEFAULT_SENSITIVE_WORDS) > 10


HIDDEN = [
    "\u200b",
    "\u00ad",
    "\u2060",
    "\ufeff",
    "\u200c",
    "\u200d",
    "\u202e",
    "\u180e",
    "\ufe0f",
    "\u3164",
    "\U000e0041",
    "\x00",
    "\x1f",
    "\x85",
]


@pytest.mark.parametrize("hidden", HIDDEN)
def test_words_hidden_by_invisible_characters_are_found(hidden: str) -> None:
    assert find_sensitive_words(f"开具发{hidden}票", settings()) == ["发票"]
    assert find_sensitive_words(f"赌{hidden}{hidden}博网站", settings()) == ["赌博"]


def test_every_format_and_control_character_is_invisible_to_matching() -> None:
    import sys
    import unicodedata

    matcher = build_matcher(["ab"])
    for point in range(sys.maxunicode + 1):
        char = chr(point)
        if unicodedata.category(char) in ("Cf", "Cc"):
            assert matcher.find(f"a{char}b") == ["ab"], hex(point)


def test_compatibility_forms_and_case_are_folded(tmp_path: Path) -> None:
    words = tmp_path / "words.txt"
    words.write_text("spam\nＷＩＮ\n", encoding="utf-8")
    configured = settings(sensitive_words_file=words)
    assert find_sensitive_words("ＳＰＡＭ and 𝐬𝐩𝐚𝐦", configured) == ["spam"]
    assert find_sensitive_words("you win", configured) == ["win"]
    # A CJK compatibility ideograph is the same character on a handset.
    assert find_sensitive_words("\uf912聊", settings()) == ["裸聊"]
    assert find_sensitive_words("\u2f8a情网站", settings()) == ["色情"]  # a Kangxi radical
    assert find_sensitive_words("您的订单，已发货！", configured) == []


def test_a_word_file_with_hidden_characters_matches_the_visible_word(tmp_path: Path) -> None:
    words = tmp_path / "words.txt"
    words.write_text("秒\u200b杀\n", encoding="utf-8")
    assert find_sensitive_words("限时秒杀", settings(sensitive_words_file=words)) == ["秒杀"]
