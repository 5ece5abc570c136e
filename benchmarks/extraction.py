"""Quality benchmark for read-later extraction (`pkm.seek.extract.extract_article`).

Runs the extractor over the shared article corpus and scores its text against the ground
truth: the hand-checked `articleBody` of the scrapinghub article-extraction-benchmark pages,
and the text of Readability.js's `expected.html` for the Mozilla Readability test pages.

    .venv/bin/python benchmarks/extraction.py [--corpus PATH] [--json] [--worst N]

The score is token F1: both texts are lower-cased and split into `\\w+` word tokens, and
the two bags of tokens are compared (true positives = the overlap of the two multisets).
Precision, recall and F1 are computed per page and averaged over pages, so a long page
weighs as much as a short one; a page the extractor failed on scores 0. Our Markdown is
reduced to plain text first (link targets, image markup and escapes removed), so syntax
and URLs neither help nor hurt.

For comparison with the figures the scrapinghub benchmark publishes, its own measure is
reported too (`shingle_f1`): case-sensitive 4-token shingles, tp/fp/fn normalised per page,
precision and recall averaged over pages, F1 taken from the two means (their evaluate.py).

The scoring functions here are imported by tests/test_corpus_extract.py. Not part of the
`pkm` package: nothing in the product needs them.
"""

import argparse
import gzip
import importlib
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pkm.content import html_to_text
from pkm.errors import ParseError
from pkm.seek.extract import extract_article

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "articles"
# The base URL Readability.js's own test suite extracts its pages with.
READABILITY_URL = "http://fakehost/test/page.html"
TARGET_F1 = 0.90

_TOKEN_RE = re.compile(r"\w+")
_FENCE_RE = re.compile(r"^\s*(```|~~~).*$", re.M)
_IMAGE_RE = re.compile(r"!\[(?:\\.|[^\]\\])*\]\((?:<(?:\\.|[^>\\])*>|[^)\s]*)(?:\s+\"[^\"]*\")?\)")
_LINK_RE = re.compile(r"\[((?:\\.|[^\]\\])*)\]\((?:<(?:\\.|[^>\\])*>|[^)\s]*)(?:\s+\"[^\"]*\")?\)")
_AUTOLINK_RE = re.compile(r"<(?:https?|mailto):[^>\s]*>")
_ESCAPE_RE = re.compile(r"\\([!-/:-@\[-`{-~])")


# --- scoring -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float


def markdown_to_text(markdown: str) -> str:
    """The plain text of our Markdown: link text without targets, no images, no escapes."""
    text = _FENCE_RE.sub("", markdown)
    text = _IMAGE_RE.sub(" ", text)
    text = _LINK_RE.sub(r" \1 ", text)
    text = _AUTOLINK_RE.sub(" ", text)
    return _ESCAPE_RE.sub(r"\1", text)


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens, as the scrapinghub benchmark splits text (`\\w+`)."""
    return _TOKEN_RE.findall(text.lower())


def token_scores(predicted: str, truth: str) -> Scores:
    """Bag-of-tokens precision, recall and F1 of `predicted` against `truth` (plain texts)."""
    pred, true = Counter(tokens(predicted)), Counter(tokens(truth))
    n_pred, n_true = sum(pred.values()), sum(true.values())
    if n_pred == 0 and n_true == 0:
        return Scores(1.0, 1.0, 1.0)
    if n_pred == 0 or n_true == 0:
        return Scores(0.0, 0.0, 0.0)
    overlap = sum((pred & true).values())
    precision, recall = overlap / n_pred, overlap / n_true
    f1 = 2 * precision * recall / (precision + recall) if overlap else 0.0
    return Scores(precision, recall, f1)


def shingle_counts(predicted: str, truth: str, n: int = 4) -> tuple[float, float, float]:
    """tp, fp, fn over `n`-token shingles, normalised to sum to 1: scrapinghub's
    `string_shingle_matching` (case-sensitive tokens, as there)."""

    def shingles(text: str) -> Counter[tuple[str, ...]]:
        toks = _TOKEN_RE.findall(text)
        return Counter(
            tuple(toks[i : i + n]) for i in range(max(1, len(toks) - n + 1)) if toks[i : i + n]
        )

    pred, true = shingles(predicted), shingles(truth)
    tp = float(sum((pred & true).values()))
    fp = float(sum((pred - true).values()))
    fn = float(sum((true - pred).values()))
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def shingle_f1(counts: Iterable[tuple[float, float, float]]) -> Scores:
    """scrapinghub's `metrics_from_tp_fp_fns`: mean precision and recall, F1 of the means."""
    counts = list(counts)

    def ratio(a: float, b: float, other: float) -> float:
        if b == other == 0:
            return 1.0
        return 0.0 if a == b == 0 else a / (a + b)

    precision = statistics.fmean(ratio(tp, fp, fn) for tp, fp, fn in counts if tp + fp > 0)
    recall = statistics.fmean(ratio(tp, fn, fp) for tp, fp, fn in counts if tp + fn > 0)
    return Scores(precision, recall, 2 * precision * recall / (precision + recall))


def _same_text(a: str | None, b: str | None) -> bool:
    return " ".join((a or "").split()).casefold() == " ".join((b or "").split()).casefold()


def _same_person(ours: str | None, byline: str) -> bool:
    """Lenient: Readability's bylines carry "By", dates and roles, trafilatura's authors
    are "A; B". A match when the words of one are all among the words of the other."""
    a, b = set(tokens(ours or "")), set(tokens(byline))
    return bool(a) and (a <= b or b <= a)


def _title_contained(ours: str | None, expected: str | None) -> bool:
    a, b = " ".join(tokens(ours or "")), " ".join(tokens(expected or ""))
    return bool(a) and (a in b or b in a)


def _same_day(ours: datetime | None, expected: str | None) -> bool:
    if ours is None or not expected:
        return ours is None and not expected
    try:
        theirs = datetime.fromisoformat(expected.replace("Z", "+00:00"))
    except ValueError:
        return False
    if theirs.tzinfo is None:
        theirs = theirs.replace(tzinfo=UTC)
    return ours.date() == theirs.astimezone(UTC).date()


# --- running -------------------------------------------------------------------------


@dataclass
class PageResult:
    id: str
    dataset: str
    scores: Scores
    seconds: float
    shingles: tuple[float, float, float]
    error: str | None = None  # "ParseError: ..." or, for a bug, the exception type
    # readability pages only: the metadata against expected-metadata.json
    title_ok: bool | None = None  # equal, ignoring case and runs of whitespace
    title_contained: bool | None = None  # one title within the other (site-name suffixes)
    byline_ok: bool | None = None
    date_ok: bool | None = None  # same UTC day


@dataclass
class DatasetReport:
    pages: int
    precision: float
    recall: float
    f1: float
    failures: int
    errors: int
    shingle_f1: float
    extra: dict[str, float] = field(default_factory=dict)


def load_pages(corpus: Path) -> list[tuple[dict[str, object], bytes, str]]:
    """(index record, page bytes, ground-truth text) for every page of the corpus."""
    index = json.loads((corpus / "index.json").read_text(encoding="utf-8"))
    truth_json = corpus / "scrapinghub" / "ground-truth.json"
    scrapinghub_truth = json.loads(truth_json.read_text(encoding="utf-8"))
    pages = []
    for record in index:
        body = gzip.decompress((corpus / record["html"]).read_bytes())
        if record["dataset"] == "scrapinghub":
            key = record["id"].split("/", 1)[1]
            truth = scrapinghub_truth[key].get("articleBody") or ""
        else:
            truth_html = gzip.decompress((corpus / record["truth_html"]).read_bytes())
            truth = html_to_text(truth_html.decode("utf-8"))
        pages.append((record, body, truth))
    return pages


def run_page(record: dict[str, object], body: bytes, truth: str, corpus: Path) -> PageResult:
    dataset = str(record["dataset"])
    url = str(record.get("original_url") or READABILITY_URL)
    error = None
    start = time.perf_counter()
    try:
        article = extract_article(body, url)
    except ParseError as exc:
        article, error = None, f"ParseError: {exc}"
    except Exception as exc:  # a bug: record it, keep measuring the rest
        article, error = None, f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - start
    predicted = markdown_to_text(article.text) if article else ""
    result = PageResult(
        id=str(record["id"]),
        dataset=dataset,
        scores=token_scores(predicted, truth),
        seconds=seconds,
        shingles=shingle_counts(predicted, truth),
        error=error,
    )
    if dataset == "readability":
        meta_path = corpus / str(record["truth_metadata"])
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        title = article.title if article else None
        result.title_ok = article is not None and _same_text(title, meta.get("title"))
        result.title_contained = _title_contained(title, meta.get("title"))
        if meta.get("byline"):
            result.byline_ok = _same_person(article.author if article else None, meta["byline"])
        if meta.get("publishedTime"):
            published = article.published if article else None
            result.date_ok = _same_day(published, meta["publishedTime"])
    return result


def summarize(results: Sequence[PageResult]) -> DatasetReport:
    def share(flags: Iterable[bool | None]) -> float:
        known = [flag for flag in flags if flag is not None]
        return sum(known) / len(known) if known else float("nan")

    report = DatasetReport(
        pages=len(results),
        precision=statistics.fmean(r.scores.precision for r in results),
        recall=statistics.fmean(r.scores.recall for r in results),
        f1=statistics.fmean(r.scores.f1 for r in results),
        failures=sum(1 for r in results if r.error and r.error.startswith("ParseError")),
        errors=sum(1 for r in results if r.error and not r.error.startswith("ParseError")),
        shingle_f1=shingle_f1(r.shingles for r in results).f1,
    )
    if any(r.title_ok is not None for r in results):
        report.extra = {
            "title_accuracy": share(r.title_ok for r in results),
            "title_contained": share(r.title_contained for r in results),
            "byline_match": share(r.byline_ok for r in results),
            "date_accuracy": share(r.date_ok for r in results),
        }
    return report


def _flat(report: DatasetReport) -> dict[str, object]:
    figures = asdict(report)
    return {**figures, **figures.pop("extra")}


def run(corpus: Path) -> tuple[list[PageResult], dict[str, object]]:
    """Extract and score every page; returns the per-page results and the figures."""
    pages = load_pages(corpus)
    # Import trafilatura up front so that its half-second import is not billed to page one.
    importlib.import_module("trafilatura")
    results = [run_page(record, body, truth, corpus) for record, body, truth in pages]
    datasets = sorted({r.dataset for r in results})
    seconds = sum(r.seconds for r in results)
    figures: dict[str, object] = {
        "datasets": {
            name: _flat(summarize([r for r in results if r.dataset == name])) for name in datasets
        },
        "overall": {
            "pages": len(results),
            "f1": statistics.fmean(r.scores.f1 for r in results),
            "failures": sum(1 for r in results if r.error),
            "seconds": seconds,
            "pages_per_second": len(results) / seconds if seconds else 0.0,
            "ms_per_page": 1000 * seconds / len(results) if results else 0.0,
            "median_ms_per_page": 1000 * statistics.median(r.seconds for r in results),
            "max_ms_per_page": 1000 * max(r.seconds for r in results),
            "target_f1": TARGET_F1,
        },
    }
    return results, figures


def _print_report(results: Sequence[PageResult], figures: dict[str, object], worst: int) -> None:
    datasets = figures["datasets"]
    overall = figures["overall"]
    assert isinstance(datasets, dict) and isinstance(overall, dict)
    for name, d in datasets.items():
        print(
            f"{name:<12} pages={d['pages']:<4} precision={d['precision']:.3f} "
            f"recall={d['recall']:.3f} F1={d['f1']:.3f}  (shingle F1={d['shingle_f1']:.3f})  "
            f"failures={d['failures']} errors={d['errors']}"
        )
        extras = [
            f"{k}={v:.3f}" for k, v in d.items() if k not in DatasetReport.__dataclass_fields__
        ]
        if extras:
            print(f"{'':<12} " + "  ".join(extras))
    verdict = "ok" if overall["f1"] >= TARGET_F1 else "BELOW TARGET"
    print(
        f"{'overall':<12} pages={overall['pages']:<4} F1={overall['f1']:.3f} "
        f"(target {TARGET_F1:.2f}: {verdict})  failures={overall['failures']}  "
        f"{overall['pages_per_second']:.1f} pages/s, {overall['ms_per_page']:.0f} ms/page "
        f"(median {overall['median_ms_per_page']:.0f}, max {overall['max_ms_per_page']:.0f})"
    )
    if worst:
        print(f"\nworst {worst} pages:")
        for r in sorted(results, key=lambda r: r.scores.f1)[:worst]:
            s = r.scores
            print(f"  F1={s.f1:.3f} P={s.precision:.3f} R={s.recall:.3f}  {r.id}  {r.error or ''}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus folder")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--worst", type=int, default=0, metavar="N", help="list the N worst pages")
    args = parser.parse_args(argv)
    if not (args.corpus / "index.json").is_file():
        print(f"extraction benchmark: no corpus at {args.corpus} (no index.json)", file=sys.stderr)
        return 2
    results, figures = run(args.corpus)
    if args.json:
        sys.stdout.write(json.dumps(figures, indent=2) + "\n")
    else:
        _print_report(results, figures, args.worst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
