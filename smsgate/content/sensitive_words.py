"""The sensitive-word list (50037): a built-in default plus an optional operator file.

Matching runs on every send and every template check, so the list is compiled once per
(settings file, file mtime) into a trie plus one regex character class of the words' first
characters: the regex finds, in C, the few positions a word can start at, and only those walk
the trie. The cost grows with the text, hardly with the list (a 10,000-word list costs about
what the default does).

Words and texts are compared as a reader sees them (`comparable`): characters a handset does not
show are dropped (so "发\u200b票" is "发票"), compatibility forms are folded by NFKC (full-width
"ＳＥＸ", circled or radical forms), and case is folded ("SeX" and "sex" are one word).
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import structlog

from smsgate.settings import Settings

log = structlog.get_logger(__name__)

# A small default so a fresh install already refuses the obvious; operators extend it with
# `sensitive_words_file` (one word per line, "#" starts a comment line).
DEFAULT_SENSITIVE_WORDS: tuple[str, ...] = (
    "发票",
    "代开发票",
    "办证",
    "代办证件",
    "赌博",
    "博彩",
    "六合彩",
    "时时彩",
    "毒品",
    "冰毒",
    "枪支",
    "弹药",
    "色情",
    "裸聊",
    "援交",
    "法轮功",
    "套现",
    "洗钱",
    "刷单",
    "私彩",
)


# What a handset does not show: Unicode's Default_Ignorable_Code_Point (zero-width spaces and
# joiners, soft hyphen, word joiner, BOM, bidi controls, variation selectors, Hangul fillers,
# tags), the remaining format characters (Cf), and the control characters (Cc).
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb"
    "\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e0fff]"
)


def comparable(text: str) -> str:
    """`text` as a reader sees it: invisible characters dropped, NFKC, case folded."""
    return unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)).casefold()


@cache
def _compatibility_forms() -> dict[str, str]:
    """Every character NFKC changes on its own (about 5,000, all below U+30000), with what it
    becomes, case folded. Scanned once per process, in some tens of milliseconds."""
    forms: dict[str, str] = {}
    for point in range(0x30000):
        char = chr(point)
        if unicodedata.decomposition(char):
            form = unicodedata.normalize("NFKC", char).casefold()
            if form != char:
                forms[char] = form
    return forms


def _folding_pattern(words: list[str]) -> re.Pattern[str] | None:
    """The characters whose NFKC form holds a character of some word: only a text with one of
    them needs NFKC to be matched (Chinese text is full of full-width punctuation that no word
    holds, and NFKC costs more than the whole match)."""
    alphabet = set("".join(words))
    folding = [char for char, form in _compatibility_forms().items() if alphabet & set(form)]
    if not folding:
        return None
    return re.compile("[" + "".join(re.escape(char) for char in folding) + "]")


# A trie of the words: children by character; the key "" marks the end of a word.
Trie = dict[str, "Trie"]
_END = ""


@dataclass(frozen=True)
class SensitiveWordMatcher:
    """A compiled word list; `find` returns the distinct words found, in order of appearance
    (at each position the longest word starting there)."""

    trie: Trie
    starts: re.Pattern[str] | None  # one character class of every word's first character
    folding: re.Pattern[str] | None = None  # characters NFKC turns into some word's characters

    def find(self, text: str) -> list[str]:
        if self.starts is None or not text:
            return []
        folded = self._comparable(text)
        found: list[str] = []
        # The regex engine skips, in C, every position no word can start at; only the rest
        # walk the trie. Overlapping words ("ab" in "abcd" next to "bcd") all count.
        for match in self.starts.finditer(folded):
            word = self._longest_at(folded, match.start())
            if word and word not in found:
                found.append(word)
        return found

    def _comparable(self, text: str) -> str:
        """As `comparable`, NFKC only when it can change a match."""
        visible = _INVISIBLE.sub("", text)
        if self.folding is not None and self.folding.search(visible):
            visible = unicodedata.normalize("NFKC", visible)
        return visible.casefold()

    def _longest_at(self, text: str, start: int) -> str | None:
        node = self.trie
        longest = 0
        for index in range(start, len(text)):
            child = node.get(text[index])
            if child is None:
                break
            node = child
            if _END in node:
                longest = index + 1
        return text[start:longest] if longest else None


def read_word_file(path: Path) -> list[str]:
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.strip()
        if word and not word.startswith("#"):
            words.append(word)
    return words


def normalize_words(words: list[str] | tuple[str, ...]) -> list[str]:
    return sorted({comparable(word) for word in words} - {""})


def build_trie(words: list[str]) -> Trie:
    trie: Trie = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[_END] = {}
    return trie


def build_matcher(words: list[str] | tuple[str, ...]) -> SensitiveWordMatcher:
    normalized = normalize_words(words)
    if not normalized:
        return SensitiveWordMatcher({}, None)
    trie = build_trie(normalized)
    first_chars = "".join(re.escape(char) for char in sorted(trie))
    return SensitiveWordMatcher(trie, re.compile(f"[{first_chars}]"), _folding_pattern(normalized))


@lru_cache(maxsize=8)
def _cached_matcher(file: str | None, mtime_ns: int, use_default: bool) -> SensitiveWordMatcher:
    words: list[str] = list(DEFAULT_SENSITIVE_WORDS) if use_default else []
    if file is not None and mtime_ns >= 0:
        words.extend(read_word_file(Path(file)))
    elif file is not None:
        log.warning("sensitive_words_file_missing", path=file)
    return build_matcher(words)


def matcher_for(settings: Settings) -> SensitiveWordMatcher:
    """The matcher for these settings; an edited word file is picked up on its next mtime."""
    file = settings.sensitive_words_file
    mtime_ns = 0
    if file is not None:
        try:
            mtime_ns = file.stat().st_mtime_ns
        except OSError:
            mtime_ns = -1
    path = str(file) if file is not None else None
    return _cached_matcher(path, mtime_ns, settings.sensitive_words_default)


def find_sensitive_words(text: str, settings: Settings) -> list[str]:
    """The distinct sensitive words in `text` (as `comparable` spells them), empty when the
    text is clean."""
    return matcher_for(settings).find(text)
