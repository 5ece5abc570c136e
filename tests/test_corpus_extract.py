"""Extraction quality over the shared article corpus (../shared/corpus/articles).

Deselected by default: run with `.venv/bin/pytest -m corpus tests/test_corpus_extract.py`.
The corpus is third-party content and not part of the repository, so this module skips
itself when it is absent. Scoring is benchmarks/extraction.py's, imported from there.
"""

import importlib.util
import statistics
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytestmark = pytest.mark.corpus

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "articles"
BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "extraction.py"

if not (CORPUS / "index.json").is_file():
    pytest.skip(f"no article corpus at {CORPUS}", allow_module_level=True)


def _load_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmarks_extraction", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _load_benchmark()


@pytest.fixture(scope="module")
def results() -> list[Any]:
    return [
        bench.run_page(record, body, truth, CORPUS)
        for record, body, truth in bench.load_pages(CORPUS)
    ]


def test_only_parse_errors(results: list[Any]) -> None:
    bugs = [(r.id, r.error) for r in results if r.error and not r.error.startswith("ParseError")]
    assert not bugs


@pytest.mark.parametrize("dataset", ["scrapinghub", "readability", None])
def test_mean_token_f1(results: list[Any], dataset: str | None) -> None:
    scored = [r for r in results if dataset is None or r.dataset == dataset]
    assert scored
    mean_f1 = statistics.fmean(r.scores.f1 for r in scored)
    assert mean_f1 >= bench.TARGET_F1, f"{dataset or 'overall'}: mean token F1 {mean_f1:.3f}"


def test_scoring() -> None:
    """The scorer itself: bag-of-tokens overlap of lower-cased words; Markdown syntax and
    link targets do not count."""
    assert bench.token_scores("The cat sat", "the cat sat").f1 == 1.0
    scores = bench.token_scores("the cat", "the cat sat on the mat")
    assert scores.precision == 1.0 and scores.recall == pytest.approx(2 / 6)
    assert bench.token_scores("", "text").f1 == 0.0
    assert bench.token_scores("", "").f1 == 1.0
    text = bench.markdown_to_text("## A [link](https://x.org/path_to) ![img](i.png) a\\_b")
    assert bench.tokens(text) == ["a", "link", "a_b"]
