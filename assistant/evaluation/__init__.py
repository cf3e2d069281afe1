"""Stage 4, how good are the answers: the offline evaluation harness, support-threshold
calibration, benchmarks, and curation (the question log and what it shows the essays
answer badly).

Public entry points: :func:`eval_command`, :func:`print_calibration`, :func:`run_bench`,
:func:`curate_command`; for the apps, :class:`QuestionLog` (every surface appends its
questions), :func:`append_line` and :func:`new_answer_id` (the feedback log joins votes
by answer id), and :func:`curation_for` with :func:`curate_tab_html` (the Curator tab).
"""

from assistant.evaluation.bench import run_bench
from assistant.evaluation.calibrate import print_calibration
from assistant.evaluation.curate import build_report, curation_for
from assistant.evaluation.curate_report import curate_command
from assistant.evaluation.curate_report import tab_html as curate_tab_html
from assistant.evaluation.curate_report import write_reports as write_curation
from assistant.evaluation.eval_cli import eval_command
from assistant.evaluation.question_log import (
    FEEDBACK_FILE,
    QUESTIONS_FILE,
    QuestionLog,
    append_line,
    load_questions,
    log_bytes,
    new_answer_id,
)

__all__ = [
    "FEEDBACK_FILE",
    "QUESTIONS_FILE",
    "QuestionLog",
    "append_line",
    "build_report",
    "curate_command",
    "curate_tab_html",
    "curation_for",
    "eval_command",
    "load_questions",
    "log_bytes",
    "new_answer_id",
    "print_calibration",
    "run_bench",
    "write_curation",
]
