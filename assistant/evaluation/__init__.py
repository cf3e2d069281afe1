"""Stage 4, how good are the answers: the offline evaluation harness, support-threshold
calibration and benchmarks.

Public entry points: :func:`eval_command`, :func:`print_calibration`, :func:`run_bench`.
"""

from assistant.evaluation.bench import run_bench
from assistant.evaluation.calibrate import print_calibration
from assistant.evaluation.eval_cli import eval_command

__all__ = ["eval_command", "print_calibration", "run_bench"]
