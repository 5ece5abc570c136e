"""Asking the team: the person's own questions and answers, and the answers to them that
arrived from teammates (items whose `answers_ref` names one of the questions)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from pkm import models  # loaded when first used (see pkm.models)
from pkm._util.timeutil import from_iso, to_iso
from pkm.store._base import StoreBase
from pkm.store._db import wrap_errors


class QuestionsMixin(StoreBase):
    def add_question(self, text: str, tags: Sequence[str], now: datetime) -> models.Question:
        with self.transaction():
            cursor = self.db.conn.execute(
                "INSERT INTO questions (text, tags, asked_at) VALUES (?, ?, ?)",
                [text, json.dumps(list(tags), ensure_ascii=False), to_iso(now)],
            )
        return models.Question(int(cursor.lastrowid or 0), text, tuple(tags), now)

    def remove_question(self, question_id: int) -> None:
        """Take back a question that never went out (its `shared.atom` could not be written)."""
        with self.transaction():
            self.db.execute("DELETE FROM questions WHERE id = ?", [question_id])

    def remove_answer(self, answer_id: int) -> None:
        """Take back an answer that never went out."""
        with self.transaction():
            self.db.execute("DELETE FROM answers WHERE id = ?", [answer_id])

    def get_questions(self) -> list[models.Question]:
        """Every question the person asked, newest first."""
        with wrap_errors(self.path):
            rows = self.db.execute(
                "SELECT id, text, tags, asked_at FROM questions ORDER BY asked_at DESC, id DESC"
            ).fetchall()
        return [
            models.Question(r[0], r[1], tuple(json.loads(r[2])), from_iso(r[3]))  # type: ignore[arg-type]
            for r in rows
        ]

    def add_answer(
        self,
        question_ref: str,
        question_text: str,
        *,
        note: tuple[str, str] | None,
        items: Sequence[models.AnswerCite],
        comment: str,
        now: datetime,
    ) -> models.Answer:
        """Record an answer; `note` is (path, title) of the note it points to."""
        cites = json.dumps([[c.item_id, c.title, c.url] for c in items], ensure_ascii=False)
        with self.transaction():
            cursor = self.db.conn.execute(
                "INSERT INTO answers (question_ref, question_text, note_path, note_title, items,"
                " comment, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    question_ref,
                    question_text,
                    note[0] if note else None,
                    note[1] if note else None,
                    cites,
                    comment,
                    to_iso(now),
                ],
            )
        return models.Answer(
            int(cursor.lastrowid or 0),
            question_ref,
            question_text,
            note[0] if note else None,
            note[1] if note else None,
            tuple(items),
            comment,
            now,
        )

    def get_answers(self) -> list[models.Answer]:
        """Every answer the person gave, newest first."""
        with wrap_errors(self.path):
            rows = self.db.execute(
                "SELECT id, question_ref, question_text, note_path, note_title, items, comment,"
                " answered_at FROM answers ORDER BY answered_at DESC, id DESC"
            ).fetchall()
        return [
            models.Answer(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                tuple(models.AnswerCite(*c) for c in json.loads(r[5])),
                r[6],
                from_iso(r[7]),  # type: ignore[arg-type]
            )
            for r in rows
        ]

    def get_answer_item_ids(self, refs: Sequence[str]) -> dict[str, list[int]]:
        """The items (teammates' answers) answering each question entry id in `refs`,
        oldest first."""
        found: dict[str, list[int]] = {ref: [] for ref in refs}
        if not refs:
            return found
        with wrap_errors(self.path):
            rows = self.db.execute(
                "SELECT id, answers_ref FROM items WHERE status != 'deleted' AND answers_ref IN"
                f" ({','.join('?' * len(refs))}) ORDER BY first_seen_at, id",
                list(refs),
            ).fetchall()
        for item_id, ref in rows:
            found[ref].append(item_id)
        return found
