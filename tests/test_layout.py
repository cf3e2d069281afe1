"""The package layout is the architecture: stages import one way, through each
other's public entry points, and the package imports without optional extras."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "assistant"
# Lower layers first; a module may import its own layer's package and any lower one.
LAYERS = {
    "ground": 0,  # config, domain, errors, tokens, data, prompts
    "search": 1,
    "ingest": 2,
    "answer": 2,
    "evaluation": 3,
    "apps": 4,
}
STAGES = set(LAYERS) - {"ground"}


def stage_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else "ground"


def assistant_imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of every `assistant…` import in a file, lazy ones too."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("assistant"):
            found.append((node.lineno, node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [
                (node.lineno, a.name, []) for a in node.names if a.name.startswith("assistant")
            ]
    return found


def modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(REPO).with_suffix("")
        out.append((".".join(rel.parts).removesuffix(".__init__"), path))
    return out


def test_imports_go_one_way_through_public_entry_points():
    problems = []
    for name, path in modules():
        if name in {"assistant", "assistant.__main__"}:
            continue  # the package facade and `python -m assistant` sit above everything
        own = stage_of(name)
        for line, target, names in assistant_imports(path):
            where = f"{path.relative_to(REPO)}:{line} imports {target}"
            other = stage_of(target)
            if other == own:
                continue
            if LAYERS[other] >= LAYERS[own]:
                problems.append(f"{where}: {own} may not depend on {other}")
            if other != "ground" and target != f"assistant.{other}":
                problems.append(f"{where}: import from the package `assistant.{other}` instead")
            if any(n.startswith("_") and not n.endswith("__") for n in names):
                problems.append(f"{where}: a private name crosses a package boundary")
    assert not problems, "\n".join(problems)


def test_each_stage_names_its_entry_points():
    for stage in STAGES:
        init = PACKAGE / stage / "__init__.py"
        tree = ast.parse(init.read_text())
        assert ast.get_docstring(tree), f"{init} needs a docstring saying what the stage does"
        exported = [
            n
            for n in tree.body
            if isinstance(n, ast.Assign)
            and any(getattr(t, "id", "") == "__all__" for t in n.targets)
        ]
        assert exported, f"{init} must list its public names in __all__"


@pytest.mark.parametrize("entry", [["-m", "assistant", "--version"], ["app.py", "--help"]])
def test_entry_points_run(entry):
    out = subprocess.run(
        [sys.executable, *entry], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "career" in (out.stdout + out.stderr).lower()


# Third-party packages one module owns: the store, and the LLM providers.
OWNED = {
    "chromadb": "assistant/search/index.py",
    "langchain_openai": "assistant/answer/llm.py",
    "llama_cpp": "assistant/answer/llm.py",
    "openai": "assistant/answer/llm.py",
}


def test_one_module_owns_chroma_and_one_the_llm_providers():
    """Only search/index.py imports chromadb (lazily or not), only answer/llm.py an LLM
    provider's package: the rest receive what they build."""
    problems = []
    for _, path in modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            else:
                continue
            for name in names:
                owner = OWNED.get(name.split(".")[0])
                rel = path.relative_to(REPO).as_posix()
                if owner and rel != owner:
                    problems.append(f"{rel}:{node.lineno} imports {name}; only {owner} may")
    assert not problems, "\n".join(problems)
