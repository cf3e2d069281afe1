"""Turn a file of questions into a question log by asking the real assistant, then run
`career-assistant curate` on it: the example report in the README.

Usage (on an ingested data dir):
    python -m eval.curate_example --data-dir DIR [--questions FILE] [--report DIR]

The file has one question per line; ``#`` starts a comment; ``👎 `` before a question
means its asker voted the answer down (a feedback line joined by the answer's id, as
the web chat writes it). Appends to ``DIR/questions.jsonl`` and ``DIR/feedback.jsonl``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from assistant.answer import Assistant
from assistant.config import Settings, load_settings
from assistant.evaluation import FEEDBACK_FILE, QuestionLog, append_line, curate_command

HERE = Path(__file__).resolve().parent
QUESTIONS = HERE / "datasets" / "curate-example-questions.txt"
DISLIKE = "👎 "


def read_questions(path: Path) -> list[tuple[str, bool]]:
    """(question, disliked) for each line of a questions file."""
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        disliked = line.startswith(DISLIKE)
        out.append((line.removeprefix(DISLIKE).strip(), disliked))
    return out


def build_log(
    assistant: Assistant, settings: Settings, questions: list[tuple[str, bool]], surface: str
) -> int:
    """Ask every question, log it, and vote 👎 where the file says so; returns how many
    were refused."""
    log = QuestionLog.from_settings(settings.replace(question_log=True))
    refused = 0
    for question, disliked in questions:
        answer = assistant.ask(question)
        refused += answer.refused
        answer_id = log.record(question, answer, surface)
        if disliked:
            append_line(
                settings.data_dir / FEEDBACK_FILE,
                {
                    "answer_id": answer_id,
                    "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "question": question,
                    "answer": answer.text,
                    "liked": False,
                    "comment": "",
                },
            )
    return refused


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", required=True, help="an ingested data dir")
    parser.add_argument("--questions", default=str(QUESTIONS))
    parser.add_argument("--report", help="where curate writes (default: under the data dir)")
    parser.add_argument("--surface", default="cli", choices=["web", "api", "discord", "cli"])
    args = parser.parse_args(argv)
    settings = load_settings(data_dir=args.data_dir)
    questions = read_questions(Path(args.questions))
    assistant = Assistant.from_settings(settings, warm=False)
    try:
        refused = build_log(assistant, settings, questions, args.surface)
    finally:
        assistant.close()
    print(f"asked {len(questions)} questions, {refused} refused", file=sys.stderr)
    return curate_command(settings, argparse.Namespace(since=None, report=args.report))


if __name__ == "__main__":
    sys.exit(main())
