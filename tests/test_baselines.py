from __future__ import annotations

import numpy as np
import pytest

from tokenscam.baselines import (
    KeywordFilter,
    NaiveBayesBaseline,
    default_lexicon,
    heldout_baseline_scores,
)


def test_the_shipped_lexicon_loads_without_comments_or_duplicates() -> None:
    terms = default_lexicon()
    assert len(terms) >= 50
    assert len(set(terms)) == len(terms)
    assert not any(t.startswith("#") or not t.strip() for t in terms)
    assert "内部渠道" in terms and "加v" in terms  # folded like the text it is matched on


def test_keyword_filter_counts_distinct_terms_case_and_width_blind() -> None:
    kw = KeywordFilter(["内部渠道", "加V", "稳赚"])
    texts = ["内部渠道三折，内部渠道！", "快加ｖ详聊，稳赚", "今天天气不错", "内·部·渠·道"]
    assert list(kw.counts(texts)) == [1, 2, 0, 0]
    assert kw.matches("稳赚！内部渠道") == ["稳赚", "内部渠道"]
    scores = kw.scores(texts)
    assert list(scores) == [0.5, 2 / 3, 0.0, 0.0]
    # One term flags, two block: the same comparisons as for a probability.
    assert list(scores >= kw.review_threshold) == [True, True, False, False]
    assert list(scores >= kw.block_threshold) == [False, True, False, False]
    assert not kw.probabilistic


def test_keyword_filter_needs_terms() -> None:
    with pytest.raises(ValueError):
        KeywordFilter([""])


def _toy() -> tuple[list[str], np.ndarray]:
    scams = [
        "现在不囤词元以后买不起，加微信私聊",
        "内部渠道三折拿货，转手就赚，私聊我",
        "老师带单稳赚不赔，名额有限快进群",
        "囤词元稳赚，保本保息，加微信",
        "内部价三折，转卖赚差价，私聊",
        "稳赚不赔的词元项目，加微信进群",
    ]
    others = [
        "今天晚饭吃了番茄炒蛋",
        "这家酒店的早餐很丰富",
        "本月接口账单主要是长文档摘要",
        "周末一起去爬山吧",
        "快递今天下午送到了",
        "新出的模型价格又降了",
    ]
    return scams + others, np.array([1] * len(scams) + [0] * len(others))


def test_naive_bayes_learns_the_words_of_the_training_pitches() -> None:
    texts, labels = _toy()
    nb = NaiveBayesBaseline(min_df=1).fit(texts, labels)
    s = nb.scores(["囤词元稳赚，加微信私聊", "周末去酒店吃早餐"])
    assert 0 <= s[1] < 0.5 < s[0] <= 1
    # Plain: no normalisation, so a spaced-out pitch loses its words.
    assert nb.tokens(["加 微 信"]) == ["加 微 信"]


def test_an_unfitted_baseline_says_so() -> None:
    from tokenscam import TokenscamError

    with pytest.raises(TokenscamError, match="not fitted"):
        NaiveBayesBaseline().scores(["文本"])


def test_held_out_naive_bayes_scores_each_row_from_the_fold_without_it() -> None:
    texts, labels = _toy()
    docs = NaiveBayesBaseline.tokens(texts)
    fold = np.array([0, 1, 0, 1, 0, 1] * 2)
    scores, models = heldout_baseline_scores(docs, labels, fold, min_df=1)
    assert len(models) == 2 and not np.isnan(scores).any()
    # Row 0 is scored by the model that never saw fold 0.
    assert scores[0] == models[0].scores_tokens([docs[0]])[0]
    refit = NaiveBayesBaseline(min_df=1).fit_tokens(
        [d for d, f in zip(docs, fold, strict=True) if f == 1], labels[fold == 1]
    )
    assert scores[0] == pytest.approx(refit.scores_tokens([docs[0]])[0])
