"""Asking the team: a question goes out in the asker's `shared.atom`, a teammate's pkm brings
it in as an item of kind `question`; their answer goes out in theirs, and the asker's next
`pkm seek` brings it in as an item of kind `answer` whose `answers_ref` names the question.
"""

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pkm._util.text import author_slug, one_line, strip_controls
from pkm.errors import (
    DiskFullError,
    GitError,
    InvalidInputError,
    ItemNotFoundError,
    PublishError,
)
from pkm.models import Answer, AnswerCite, Item, Question
from pkm.share.feeds import tag_uri
from pkm.share.publish import PublishResult, publish_shared

if TYPE_CHECKING:
    from pkm.core import Pkm


@dataclass(frozen=True)
class AskedQuestion:
    """One of the person's questions, with the teammates' answers that arrived."""

    question: Question
    ref: str  # its entry id in shared.atom, which answers name
    answers: tuple[Item, ...]


def ask_team(
    pkm: "Pkm",
    text: str,
    *,
    tags: Sequence[str] = (),
    folder: Path,
    env: Mapping[str, str],
    commit: bool = True,
) -> tuple[Question, PublishResult]:
    """Record a question and publish it in the author's `shared.atom`."""
    text = strip_controls(text).strip()
    if not text:
        raise InvalidInputError("the question is empty")
    with pkm.sense_lock():
        question = pkm.store.add_question(
            text, [one_line(t) for t in tags if one_line(t)], pkm.now()
        )
    with _taken_back_unless_written(lambda: pkm.store.remove_question(question.id), pkm):
        result = publish_shared(pkm, folder=folder, env=env, commit=commit, what="asks")
    return question, result


def answer_question(
    pkm: "Pkm",
    question_item_id: int,
    *,
    note: str | None = None,
    item_ids: Sequence[int] = (),
    comment: str = "",
    folder: Path,
    env: Mapping[str, str],
    commit: bool = True,
) -> tuple[Answer, PublishResult]:
    """Answer a teammate's question (an item of kind `question`) with a note of the person's
    and/or items, and publish the answer in the author's `shared.atom`.

    Raises:
        ItemNotFoundError: the question or one of the items is not in the index.
        InvalidInputError: the item is not a question, nothing is given to answer with, or
            the note is private.
    """
    from pkm.sense.notes import find_note
    from pkm.share.digest import is_private

    if note is None and not item_ids and not comment.strip():
        raise InvalidInputError("answer with --note, --item or --comment")
    found = pkm.store.get_items(item_ids=[question_item_id, *item_ids])
    by_id = {i.id: i for i in found}
    missing = [i for i in [question_item_id, *item_ids] if i not in by_id]
    if missing:
        raise ItemNotFoundError(missing)
    question = by_id[question_item_id]
    if question.kind != "question":
        raise InvalidInputError(f"item {question_item_id} is not a question from a teammate")
    private = pkm.settings.share.private_tag
    chosen_note: tuple[str, str] | None = None
    if note is not None:
        found_note = find_note(pkm, note)
        if is_private(found_note.tags, private):
            raise InvalidInputError(f"the note {found_note.path} is private: it cannot answer")
        chosen_note = (found_note.path, found_note.title)
    cites = [AnswerCite(i, by_id[i].title, by_id[i].url) for i in dict.fromkeys(item_ids)]
    if any(is_private(by_id[c.item_id].tags, private) for c in cites):
        raise InvalidInputError("a private item cannot answer")
    with pkm.sense_lock():
        answer = pkm.store.add_answer(
            question.guid,
            question.title or question.content_text[:200],
            note=chosen_note,
            items=cites,
            comment=strip_controls(comment).strip(),
            now=pkm.now(),
        )
    with _taken_back_unless_written(lambda: pkm.store.remove_answer(answer.id), pkm):
        result = publish_shared(pkm, folder=folder, env=env, commit=commit, what="answers")
    return answer, result


@contextmanager
def _taken_back_unless_written(take_back: Callable[[], None], pkm: "Pkm") -> Iterator[None]:
    """Undo a question or answer just recorded when its `shared.atom` could not be written
    (a missing, read-only or full team folder: nothing went out, so it was not asked); once
    the file is written (a git step failed after), it stays."""
    try:
        yield
    except GitError:
        raise
    except (PublishError, DiskFullError):
        with pkm.sense_lock():
            take_back()
        raise


def asked_questions(pkm: "Pkm") -> list[AskedQuestion]:
    """The person's questions, newest first, each with the answers that arrived."""
    slug = author_slug(pkm.author)
    questions = pkm.store.get_questions()
    refs = {q.id: tag_uri(slug, "question", str(q.id)) for q in questions}
    answer_ids = pkm.store.get_answer_item_ids(list(refs.values()))
    wanted = [i for ids in answer_ids.values() for i in ids]
    items = {i.id: i for i in pkm.store.get_items(item_ids=wanted)} if wanted else {}
    return [
        AskedQuestion(q, refs[q.id], tuple(items[i] for i in answer_ids[refs[q.id]] if i in items))
        for q in questions
    ]
