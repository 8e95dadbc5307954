"""The offline sentiment method on a small hand-labelled fixture, and its rules one by one.

The fixture (60 sentences, 20 per class, written for this project) is small and was written by the same
person as the word lists, so the accuracy printed here measures only agreement on these sentences; it is not
an estimate of accuracy on real media.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from data.models_strategy import Sentiment
from data.sentiment import analyse, load_lexicon, topic_of

FIXTURE = Path(__file__).parent / "fixtures" / "strategy" / "sentiment_labelled.csv"
MIN_ACCURACY = 0.85


def test_accuracy_on_the_labelled_fixture(capsys) -> None:
    rows = list(csv.DictReader(FIXTURE.open(encoding="utf-8")))
    assert Counter(r["label"] for r in rows) == {"negative": 20, "neutral": 20, "positive": 20}
    confusion = Counter((r["label"], str(analyse(r["text"]).label)) for r in rows)
    correct = sum(n for (want, got), n in confusion.items() if want == got)
    accuracy = correct / len(rows)
    with capsys.disabled():
        print(f"\nsentiment: {correct}/{len(rows)} = {accuracy:.1%} on {FIXTURE.name} (hand-labelled, 60 sentences)")
        for (want, got), n in sorted(confusion.items()):
            if want != got:
                print(f"  labelled {want}, read as {got}: {n}")
    assert accuracy >= MIN_ACCURACY


def test_longest_entry_wins_and_negation_flips_nearby_words_only() -> None:
    assert analyse("服务真不错").label == Sentiment.POSITIVE  # 不错 is one word, not 不 + 错
    assert analyse("问题没有解决").label == Sentiment.NEGATIVE  # negated 解决
    assert analyse("非法集资案件清退资金到位").label == Sentiment.POSITIVE  # 非法 is a word; 非 does not reach 到位
    assert analyse("无人受伤").label == Sentiment.POSITIVE  # negated 受伤
    assert analyse("市公安局发布防范电信网络诈骗提示").label == Sentiment.NEUTRAL  # neutral phrase, no polarity


def test_intensifier_and_clauses() -> None:
    strong = analyse("非常满意，有点失望")
    assert strong.positive == 1.5 and strong.negative == 1.0 and strong.label == Sentiment.NEUTRAL
    # a negator does not cross a clause end
    assert analyse("没有，满意").label == Sentiment.POSITIVE


def test_no_polarity_word_is_neutral_with_score_zero() -> None:
    result = analyse("今天下午三点召开会议")
    assert (result.label, result.score) == (Sentiment.NEUTRAL, 0.0)


def test_topic_is_the_cluster_with_most_keyword_hits() -> None:
    assert topic_of("征地补偿款迟迟不到位，拆迁户很着急").code == "land"
    assert topic_of("小区物业不管电梯").code == "property"
    assert topic_of("今天天气很好") is None


def test_lexicon_lists_are_disjoint_where_it_matters() -> None:
    lex = load_lexicon()
    assert not (lex.positive & lex.negative)
    assert "纠纷" not in lex.negative  # topic nouns carry no polarity by themselves
