"""The documented surface: every public class's parameters and methods, the API page, examples."""

import doctest
import importlib
import inspect
import itertools
import re
from pathlib import Path

import pytest

import llmboost
import llmboost.dask
import llmboost.priors

API_PAGE = Path(__file__).resolve().parents[1] / "docs" / "api.md"
MKDOCS = API_PAGE.parents[1] / "mkdocs.yml"
ESTIMATORS = [
    "PriorBoostClassifier",
    "PriorBoostRegressor",
    "LLMBoostClassifier",
    "PFNBoostClassifier",
    "PFNBoostRegressor",
]


def _public_classes():
    seen = {}
    for module in (llmboost, llmboost.priors, llmboost.dask):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) and not issubclass(obj, BaseException):
                seen[name] = obj
    return seen


CLASSES = _public_classes()
FUNCTIONS = {
    f"{module.__name__}.{name}": getattr(module, name)
    for module in (llmboost, llmboost.priors, llmboost.dask)
    for name in module.__all__
    if inspect.isfunction(getattr(module, name))
}


def _section(doc: str, title: str) -> list[str]:
    """Lines of a numpydoc section (the title underlined with dashes)."""
    lines = doc.splitlines()
    for i in range(len(lines) - 1):
        if lines[i].strip() == title and set(lines[i + 1].strip()) == {"-"}:
            out = []
            for line, underline in zip(lines[i + 2 :], [*lines[i + 3 :], ""]):
                if line.strip() and set(underline.strip()) == {"-"}:
                    break
                out.append(line)
            return out
    return []


def _documented(doc: str) -> set[str]:
    names = set()
    for line in _section(doc, "Parameters"):
        match = re.match(r"^([\w*]+(?:\s*,\s*[\w*]+)*)\s*(?::|$)", line)
        if match and not line.startswith(" "):
            names.update(n.strip().lstrip("*") for n in match.group(1).split(","))
    return names


def _own_methods(cls):
    for name, member in inspect.getmembers(cls, inspect.isfunction):
        if name.startswith("_") or not member.__module__.startswith("llmboost"):
            continue
        yield name, member


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_every_constructor_parameter_is_documented(name):
    cls = CLASSES[name]
    params = [
        p.name
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    missing = sorted(set(params) - _documented(inspect.getdoc(cls) or ""))
    assert not missing, f"{name} documents no {missing}"


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_every_public_method_has_parameters_and_returns(name):
    problems = []
    for method, func in _own_methods(CLASSES[name]):
        doc = inspect.getdoc(func) or ""
        args = [p for p in inspect.signature(func).parameters if p != "self"]
        if args and not _section(doc, "Parameters"):
            problems.append(f"{method}: no Parameters")
        if not _section(doc, "Returns"):
            problems.append(f"{method}: no Returns")
    assert not problems, f"{name}: {problems}"


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_public_function_has_parameters_and_returns(name):
    doc = inspect.getdoc(FUNCTIONS[name]) or ""
    args = inspect.signature(FUNCTIONS[name]).parameters
    assert _section(doc, "Parameters") or not args, f"{name}: no Parameters"
    assert _section(doc, "Returns"), f"{name}: no Returns"


def test_the_api_page_shows_every_public_class():
    text = API_PAGE.read_text()
    shown = set(re.findall(r"^::: ([\w.]+)", text, flags=re.M))
    missing = [
        name
        for name, cls in CLASSES.items()
        if not any(path.split(".")[-1] == name or path == cls.__module__ for path in shown)
    ]
    assert not missing, f"docs/api.md does not show {missing}"


@pytest.mark.parametrize("name", ESTIMATORS)
def test_estimator_examples_run(name):
    cls = CLASSES[name]
    assert _section(inspect.getdoc(cls), "Examples"), f"{name} has no Examples section"
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(cls, name, globs={}):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0 and result.failed == 0, result


def test_the_api_page_renders_docstrings_as_formatted_at_import():
    # The estimators' shared parameter block is formatted into their docstrings when the
    # module is imported; the docs must inspect the live objects or show the raw template.
    assert re.search(r"^\s+force_inspection: true$", MKDOCS.read_text(), flags=re.M)
    raw = [name for name, cls in CLASSES.items() if re.search(r"(?<!`)\{\w+\}", cls.__doc__ or "")]
    assert not raw, f"unformatted placeholders in the docstrings of {raw}"


def test_the_booster_defaults_are_documented_as_they_are():
    # scale=0 is the library's estimator with these parameters: a default left out of
    # the docs (LightGBM's min_child_samples=5) made that comparison fail for users
    from llmboost.boosters import BOOSTERS

    guide = (API_PAGE.parent / "index.md").read_text()
    for adapter in BOOSTERS.values():
        for key, value in adapter.defaults.items():
            text = f'{key}="{value}"' if isinstance(value, str) else f"{key}={value}"
            for where, doc in [
                ("docs/index.md", guide),
                ("docstring", CLASSES[ESTIMATORS[0]].__doc__),
            ]:
                assert text in " ".join(doc.split()), f"{where} does not say {adapter.name} {text}"


ROOT = API_PAGE.parents[1]
PAGES = [ROOT / "README.md", *sorted(API_PAGE.parent.glob("*.md"))]
#: The page of each "| parameter | default | meaning |" table and the class it describes.
PARAMETER_TABLES = {
    "index.md": "PriorBoostClassifier",
    "llmboost.md": "LLMPrior",
    "pfnboost.md": "TabPFNPrior",
    "tabicl.md": "TabICLPrior",
}


def _table_rows(text: str) -> dict[str, str]:
    """``{parameter: default cell}`` of the page's parameter table."""
    lines = text.splitlines()
    start = lines.index("| parameter | default | meaning |") + 2
    rows = {}
    for line in itertools.takewhile(lambda line: line.startswith("|"), lines[start:]):
        name, default = (cell.strip() for cell in line.split("|")[1:3])
        rows[name.strip("`")] = default
    return rows


@pytest.mark.parametrize("page", sorted(PARAMETER_TABLES))
def test_parameter_tables_list_the_real_parameters_and_defaults(page):
    cls = CLASSES[PARAMETER_TABLES[page]]
    rows = _table_rows((API_PAGE.parent / page).read_text())
    params = {
        p.name: p.default
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }
    assert list(rows) == list(params), (
        f"docs/{page} lists {list(rows)}; {cls.__name__} takes {list(params)}"
    )
    for name, cell in rows.items():
        shown = re.match(r"`?([^`\s]+)", cell).group(1)  # `None` (100,000) -> None
        default = params[name]
        real = f'"{default}"' if isinstance(default, str) else repr(default)
        assert shown == real, f"docs/{page}: {name} default {shown}, but it is {real}"


def test_the_pages_name_modules_objects_and_files_that_exist():
    problems = []
    for page in PAGES:
        text = page.read_text()
        for name in sorted(set(re.findall(r"`(llmboost(?:\.[A-Za-z_]\w*)+)", text))):
            parts = name.split(".")
            for i in range(len(parts), 0, -1):
                try:
                    obj = importlib.import_module(".".join(parts[:i]))
                    break
                except ImportError:
                    continue
            for attr in parts[i:]:
                obj = getattr(obj, attr, None)
            if obj is None:
                problems.append(f"{page.name}: {name}")
        paths = re.findall(r"(?:llmboost|benchmarks|tests|docs)/[\w./-]+\.(?:py|md|json|pt)", text)
        problems += [f"{page.name}: {p}" for p in sorted(set(paths)) if not (ROOT / p).exists()]
    assert not problems, f"names that do not exist: {problems}"


def test_the_api_page_shows_the_members_it_lists():
    # mkdocstrings leaves out an inherited method unless the entry sets
    # inherited_members: the estimators' fit (defined on their base class) was not shown
    text = API_PAGE.read_text()
    entry = r"^::: ([\w.]+)\n    options:\n      members: \[([^\]]*)\]\n((?:      .*\n)*)"
    problems = []
    for path, members, options in re.findall(entry, text, flags=re.M):
        try:
            obj = importlib.import_module(path)
        except ImportError:
            module, _, name = path.rpartition(".")
            obj = getattr(importlib.import_module(module), name)
        inherited = "inherited_members: true" in options
        for member in (m.strip() for m in members.split(",")):
            if not hasattr(obj, member):
                problems.append(f"{path}.{member} does not exist")
            elif inspect.isclass(obj) and member not in vars(obj) and not inherited:
                problems.append(f"{path}.{member} is inherited: set inherited_members")
    assert not problems, problems


def test_the_api_page_leaves_out_dunder_attributes():
    # with force_inspection, mkdocstrings' default filter (private names only) rendered
    # 52 entries such as LLMPrior.__doc__ (the docstring again) and __abstractmethods__
    assert re.search(r"^\s+filters: \[\"!\^_\"\]$", MKDOCS.read_text(), flags=re.M)
