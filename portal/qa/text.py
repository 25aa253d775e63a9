"""Chinese text for search: word segmentation (jieba), synonym groups and highlighting.

The same functions cut the entries when they are indexed and the residents' queries when they
search, so both sides agree on what a word is. Synonyms are matched on the raw text, not on the
words, so an abbreviation jieba does not know (个账, 医保码) still finds its group.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe

from portal.localcache import local_cache

MAX_TERM_LENGTH = 32
# Insurance words jieba's general dictionary cuts badly (追溯码 -> 追溯 / 码是). Editors' synonym terms are
# added to the dictionary as well when they are loaded.
DICTIONARY = Path(__file__).with_name("dictionary.txt")
SYNONYM_PREFIX = "~"  # "~12": synonym group 12, indexed wherever one of its terms appears
CHAR_PREFIX = "#"  # "#查": a character of a question, for the fallback of words the index has never seen

# Words that carry no meaning for search: particles, pronouns and question words (是啥意思 asks what a
# thing is, like 什么是). Numbers, "多少",
# "最多" stay: "一年能报多少" is about an amount.
STOPWORDS = frozenset(
    """的 了 吗 呢 啊 吧 呀 么 哦 嘛 得 地 着 过 把 被 给 对 向 从 与 及 和 或 而 且 就 都 也 还 又 再 才 很
    我 我们 你 你们 您 他 她 它 他们 她们 自己 人家 咱 咱们 这 那 这个 那个 这些 那些 这样 那样 这么 那么
    是 是否 是不是 有没有 在 有 要 想 会 能 能否 能不能 可不可以 可以吗 请问 一下 一个 一些 什么 啥 怎么 怎样 怎么样
    怎么办 咋 咋办 咋样 如何 为什么 为啥 哪 哪些 哪里 哪儿 吗 呢 嘛 啦 呗 之 以 其 该 等 中 上 下 里
    意思 什么意思 啥意思""".split()  # noqa: SIM905
)
STOP_CHARS = frozenset(
    "的了吗呢啊吧呀么哦嘛得地着过把被给对向从与及和或而且就都也还又再才很我你您他她它这那是在有要想会能可请问一个些什啥怎样咋如何为哪里儿之以其该等中上下"
)
_CJK = re.compile(r"[\u3400-\u9fff]")

_lock = threading.Lock()
_base: Any = None  # jieba's general dictionary plus the insurance words
_current: Any = None  # the base plus the editors' synonym terms
_current_terms: tuple[str, ...] | None = None


def _base_tokenizer() -> Any:
    global _base
    if _base is None:
        with _lock:
            if _base is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                tokenizer.load_userdict(str(DICTIONARY))
                _base = tokenizer
    return _base


def _use_terms(terms: tuple[str, ...]) -> None:
    """Cut text with the base dictionary plus ``terms``. A fresh tokenizer each time the terms change,
    so that how text is cut depends only on the current synonyms, not on what was added before."""
    global _current, _current_terms
    if terms == _current_terms:
        return
    import jieba

    base = _base_tokenizer()
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ, tokenizer.total, tokenizer.initialized = dict(base.FREQ), base.total, True
    for term in sorted(terms):
        tokenizer.add_word(term)
    with _lock:
        _current, _current_terms = tokenizer, terms


def _jieba() -> Any:
    return _current if _current is not None else _base_tokenizer()


def _meaningful(raw: str) -> str | None:
    word = raw.strip()
    if not word or word in STOPWORDS or not any(ch.isalnum() for ch in word):
        return None
    return word[:MAX_TERM_LENGTH]


def words(text: str) -> list[str]:
    """The meaningful words of ``text``, in search mode (long words also give their parts).

    Where jieba cut a dictionary word into single characters because of its neighbours (每年最多救助 ->
    每年 / 最 / 多 / 救助), the word is given as well, after its characters: a resident asking 最多
    finds it."""
    jieba = _jieba()
    found: list[str] = []
    previous = ""
    for raw in jieba.lcut_for_search(text.lower()):
        pair = previous + raw
        if len(pair) == 2 and len(raw) == 1 and jieba.FREQ.get(pair) and _CJK.match(previous) and _CJK.match(raw):
            joined = _meaningful(pair)
            if joined:
                if (word := _meaningful(raw)) is not None:
                    found.append(word)
                found.append(joined)
                previous = raw
                continue
        if (word := _meaningful(raw)) is not None:
            found.append(word)
        previous = raw
    return found


PART_FACTOR = 0.6  # a part of a query word (报销 of 报销比例) counts for less than the word itself
SINGLE_FACTOR = 0.5  # a one-character word (钱, 药) says less than a real word


def concepts(query: str, synonyms: Synonyms) -> list[dict[str, float]]:
    """What the query asks about, one concept per word, each with the terms that may stand for it.

    A concept scores once per entry, by its best term: "报销比例" is one thing asked about, whether an
    entry says 报销比例, 支付比例 (a synonym) or only 比例 (a part, worth less). Without this a long
    word and its parts and synonyms would count four times against a short, more telling word (低保).
    A synonym that spans several words (交多少 = 交 + 多少) merges them into one concept.
    """
    jieba = _jieba()
    lowered = query.lower()
    spans: list[tuple[int, int, dict[str, float]]] = []
    seen: set[str] = set()
    for raw, begin, finish in jieba.tokenize(lowered):
        word = _meaningful(raw)
        if not word or word in seen:
            continue
        seen.add(word)
        terms = {word: 1.0 if len(word) > 1 else SINGLE_FACTOR}
        for part_raw in jieba.lcut_for_search(word):
            part = _meaningful(part_raw)
            if part and part != word and len(part) > 1:
                terms.setdefault(part, PART_FACTOR)
        for token in synonyms.tokens_in(word):
            terms[token] = 1.0
        spans.append((begin, finish, terms))
    placed = {token for _, _, terms in spans for token in terms if token.startswith(SYNONYM_PREFIX)}
    for token, group_terms in synonyms.groups:
        if token in placed:
            continue
        for term in group_terms:
            at = lowered.find(term)
            if at < 0:
                continue
            inside = [span for span in spans if at <= span[0] and span[1] <= at + len(term)]
            merged = {token: 1.0}
            for _, _, terms in inside:
                for inner, factor in terms.items():
                    merged.setdefault(inner, factor * PART_FACTOR)
            spans = [span for span in spans if span not in inside]
            spans.append((at, at + len(term), merged))
            placed.add(token)
            break
    return [terms for _, _, terms in sorted(spans, key=lambda span: span[0])]


def characters(text: str) -> set[str]:
    """Single Chinese characters of ``text`` worth matching on their own (a fallback for unknown words)."""
    return {ch for ch in text if _CJK.match(ch) and ch not in STOP_CHARS}


@dataclass(frozen=True)
class Synonyms:
    """Synonym groups as ``(token, terms)``; the token stands for the whole group in the index."""

    groups: tuple[tuple[str, tuple[str, ...]], ...]

    def tokens_in(self, text: str) -> list[str]:
        lowered = text.lower()
        return [token for token, terms in self.groups if any(term in lowered for term in terms)]

    def occurrences(self, text: str) -> list[str]:
        """Each group's token once per place one of its terms appears in ``text`` (longest term first)."""
        lowered = text.lower()
        found: list[str] = []
        for token, terms in self.groups:
            pattern = _pattern(terms, escaped=False) if any(term in lowered for term in terms) else None
            if pattern is not None:
                found += [token] * len(pattern.findall(lowered))
        return found

    def terms_of(self, tokens: Iterable[str]) -> set[str]:
        wanted = set(tokens)
        return {term for token, terms in self.groups if token in wanted for term in terms}


def parse_terms(text: str) -> list[str]:
    """The terms of a synonym group as editors write them: one a line, or separated by commas or 、."""
    seen: list[str] = []
    for raw in text.replace("，", ",").replace("、", ",").replace("\n", ",").split(","):
        term = raw.strip()
        if term and term not in seen:
            seen.append(term)
    return seen


def build_synonyms(groups: Iterable[tuple[int, str]]) -> Synonyms:
    """Synonyms from ``(group id, terms as written)``; teaches jieba every term, so each is cut as one word.

    Pure apart from jieba's dictionary, so that a migration can index with the groups of its own time."""
    built = []
    for pk, text in groups:
        terms = tuple(term.lower() for term in parse_terms(text) if len(term) >= 2)
        if len(terms) >= 2:
            built.append((f"{SYNONYM_PREFIX}{pk}", terms))
    _use_terms(tuple(sorted({t for _, terms in built for t in terms if len(t) <= MAX_TERM_LENGTH and " " not in t})))
    return Synonyms(tuple(built))


_synonyms_cache = local_cache(ttl=60)


def current_synonyms() -> Synonyms:
    from portal.qa.models import SynonymGroup

    def load() -> Synonyms:
        return build_synonyms(SynonymGroup.objects.order_by("pk").values_list("pk", "terms"))

    return _synonyms_cache.get_or_load("groups", load)


def forget_synonyms() -> None:
    _synonyms_cache.forget()


@dataclass(frozen=True)
class DocumentTerms:
    """What the index holds for one entry: space-separated tokens, in the order of the text."""

    question_terms: str
    answer_terms: str
    question_chars: str


def document_terms(*, question: str, answer_html: str, synonyms: Synonyms) -> DocumentTerms:
    """The words of the question and of the answer (jieba, search mode: long words also give their parts),
    each followed by the synonym-group tokens of the text, and the question's characters."""
    answer = plain_text(answer_html)
    return DocumentTerms(
        question_terms=" ".join(words(question) + synonyms.occurrences(question)),
        answer_terms=" ".join(words(answer) + synonyms.occurrences(answer)),
        question_chars=" ".join(f"{CHAR_PREFIX}{ch}" for ch in sorted(characters(question))),
    )


def plain_text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(strip_tags(html))).strip()


class Marks:
    """Puts ``<mark>`` around the searched words in results. Longer terms win; the text is escaped."""

    def __init__(self, terms: Iterable[str]) -> None:
        terms = list(terms)
        self._escaped = _pattern(terms)
        self._plain = _pattern(terms, escaped=False)

    def highlight(self, text: str) -> SafeString:
        escaped = escape(text)
        if self._escaped is None:
            return mark_safe(escaped)  # noqa: S308  (escaped above)
        return mark_safe(self._escaped.sub(lambda m: f"<mark>{m.group(0)}</mark>", escaped))  # noqa: S308

    def snippet(self, text: str, width: int = 90) -> SafeString:
        """A piece of ``text`` (plain, see ``plain_text``) around its first matched term, highlighted; the
        start if nothing matched."""
        start = 0
        match = self._plain.search(text) if self._plain is not None else None
        if match is not None:
            start = max(0, match.start() - width // 3)
        piece = text[start : start + width]
        prefix = "…" if start > 0 else ""
        suffix = "…" if start + width < len(text) else ""
        return mark_safe(f"{prefix}{self.highlight(piece)}{suffix}")  # noqa: S308  (highlight escapes)


def _pattern(terms: Iterable[str], escaped: bool = True) -> re.Pattern[str] | None:
    cleaned = sorted(
        {(escape(term) if escaped else term) for term in terms if term and not term.startswith(SYNONYM_PREFIX)},
        key=len,
        reverse=True,
    )
    if not cleaned:
        return None
    return re.compile("|".join(re.escape(term) for term in cleaned), re.IGNORECASE)
