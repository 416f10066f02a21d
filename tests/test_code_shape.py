"""The shape the package keeps: small modules, short functions, an explicit public surface."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "llmboost"
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60
#: The pretraining script is a command-line program whose main reads as one recipe.
LONG_FUNCTIONS_ALLOWED = {"pfn/pretrain.py"}


def _name(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_module_is_short_and_declares_its_public_names(path):
    text = path.read_text()
    assert len(text.splitlines()) <= MAX_MODULE_LINES
    tree = ast.parse(text)
    names = {
        t.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    if path.name != "__main__.py":
        assert "__all__" in names, f"{_name(path)} has no __all__"


@pytest.mark.parametrize(
    "path", [p for p in MODULES if _name(p) not in LONG_FUNCTIONS_ALLOWED], ids=_name
)
def test_functions_are_short(path):
    tree = ast.parse(path.read_text())
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{_name(path)}: {long}"
