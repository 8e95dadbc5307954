"""Offline sentiment and topic of a Chinese media text, from the word lists shipped in `data/lexicon/`.

Method (stated on the opinion page): the text is scanned left to right by forward maximum matching against
the positive, negative, negator, intensifier and neutral lists (the longest entry at a position wins, so
`不错` is one positive word, not `不` + `错`). Each polarity word scores +1 or −1, 1.5 times after an
intensifier (`非常`), and flips sign after a negator (`没有解决`) in the same clause and at most three
characters after it (clauses end at ，。！？； and line breaks). The item's score is (positive − negative) / (positive + negative), in [−1, 1]; above
+0.2 is 正面, below −0.2 is 负面, anything else (including no polarity word at all) 中性.

No model is downloaded and nothing leaves the machine; the lists are small and can be extended. The method is
a lexicon count: it misses irony and context, so the page reports shares, never a verdict on one item.
Topic: the keyword cluster of `topics.json` with the most keyword hits (ties: the earlier cluster).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from data.models_strategy import Sentiment

LEXICON_DIR = Path(__file__).resolve().parent / "lexicon"
THRESHOLD = 0.2
DEGREE_WEIGHT = 1.5
NEGATION_REACH = 3  # a negator flips a polarity word starting at most this many characters after it
CLAUSE_ENDS = frozenset("，。！？；,.!?;\n\r")
METHOD_NOTE = ("情感判定：项目自带词典（正面、负面、否定、程度词）正向最大匹配计分，"
               "得分 >0.2 为正面、<−0.2 为负面，其余为中性；不下载任何模型")


@dataclass(frozen=True)
class Lexicon:
    """The word lists, as sets, and the longest entry (the matcher's window)."""

    positive: frozenset[str]
    negative: frozenset[str]
    negators: frozenset[str]
    degree: frozenset[str]
    neutral: frozenset[str]

    @cached_property
    def table(self) -> dict[str, str]:
        """word → class (neu, pos, neg, not, deg); a word in several lists keeps the earliest class of that order."""
        out: dict[str, str] = {}
        for name, words in (("deg", self.degree), ("not", self.negators), ("neg", self.negative),
                            ("pos", self.positive), ("neu", self.neutral)):
            out.update(dict.fromkeys(words, name))
        return out

    @cached_property
    def longest(self) -> int:
        return max((len(w) for w in self.table), default=1)


@dataclass(frozen=True)
class Topic:
    code: str
    label: str
    kind: str | None
    category: str | None
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class SentimentResult:
    label: Sentiment
    score: float
    positive: float
    negative: float


def _words(path: Path) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.lstrip().startswith("#"))


@lru_cache(maxsize=4)
def load_lexicon(folder: Path = LEXICON_DIR) -> Lexicon:
    """Read the lists once per process (they are files of the release, not data that changes)."""
    return Lexicon(*(_words(folder / f"{name}.txt") for name in ("positive", "negative", "negators", "degree",
                                                                    "neutral")))


@lru_cache(maxsize=4)
def load_topics(folder: Path = LEXICON_DIR) -> tuple[Topic, ...]:
    """The keyword clusters, in file order."""
    raw = json.loads((folder / "topics.json").read_text(encoding="utf-8"))
    return tuple(Topic(t["code"], t["label"], t.get("kind"), t.get("category"), tuple(t["keywords"]))
                 for t in raw["topics"])


def _tokens(text: str, lex: Lexicon) -> list[tuple[str, str, int]]:
    """(class, word, position) by forward maximum matching; class is pos/neg/not/deg/neu/end; other text skipped."""
    table = lex.table
    out: list[tuple[str, str, int]] = []
    i, n, window = 0, len(text), lex.longest
    while i < n:
        if text[i] in CLAUSE_ENDS:
            out.append(("end", text[i], i))
            i += 1
            continue
        for size in range(min(window, n - i), 0, -1):
            piece = text[i:i + size]
            kind = table.get(piece)
            if kind is not None:
                out.append((kind, piece, i))
                i += size
                break
        else:
            i += 1
    return out


def analyse(text: str, lex: Lexicon | None = None) -> SentimentResult:
    """Score one text (title and body joined by the caller) with the method in the module docstring."""
    lex = lex or load_lexicon()
    pos = neg = 0.0
    negate, weight, reach = False, 1.0, -1
    for kind, word, at in _tokens(text or "", lex):
        if kind == "end":
            negate, weight = False, 1.0
        elif kind == "not":
            negate, reach = not negate, at + len(word) + NEGATION_REACH
        elif kind == "deg":
            weight = DEGREE_WEIGHT
        elif kind in ("pos", "neg"):
            positive = (kind == "pos") != (negate and at <= reach)
            if positive:
                pos += weight
            else:
                neg += weight
            negate, weight = False, 1.0
    score = (pos - neg) / (pos + neg) if pos + neg else 0.0
    label = Sentiment.POSITIVE if score > THRESHOLD else Sentiment.NEGATIVE if score < -THRESHOLD else Sentiment.NEUTRAL
    return SentimentResult(label, round(score, 4), pos, neg)


def topic_of(text: str, topics: tuple[Topic, ...] | None = None) -> Topic | None:
    """The keyword cluster with the most hits in the text, or None when no keyword occurs."""
    best, best_hits = None, 0
    for topic in topics or load_topics():
        hits = sum(text.count(k) for k in topic.keywords)
        if hits > best_hits:
            best, best_hits = topic, hits
    return best
