"""Versions of the libraries a saved model uses: recorded by ``save``, compared by ``load``.

A model loaded with another version of one of them may predict differently (a tree
parser, a network's kernels, a scikit-learn model's arithmetic): ``load`` warns once per
library, naming both versions, as scikit-learn does for pickles. An estimator saved
without a parameter this version has, or with one it lacks, is refused naming them.
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
import warnings

import sklearn.exceptions

from ._warn import caller_level

#: Libraries whose import name or distributions differ from the name recorded.
_MODULES = {"scikit-learn": "sklearn"}
_LIBRARIES = {module: library for library, module in _MODULES.items()}  # by import name
_DISTRIBUTIONS = {"xgboost": ("xgboost", "xgboost-cpu")}  # the same module in either
#: Most library versions a file may record (a model records up to 6).
MAX_LIBRARIES = 64
#: Parameters added since files of this format were first written (by class, or a base
#: class), with the default that does what a file without them did: such a file loads
#: with it. ``n_jobs`` runs the fit's search only; ``device=None`` leaves the prior's and
#: the booster's own devices, as before the parameter.
LATER_PARAMETERS = {
    "LLMPrior": {"use_chat_template": True},
    "_PriorBoost": {"n_jobs": None, "device": None},
}
#: Parameters added since whose default predicts otherwise than llmboost did before
#: them: a file without them is refused, saying why.
CHANGED_SINCE = {
    "BundledPFNPrior": {
        "max_features": "its default, 50, reads a table of more columns in parts",
        "principal_components": "its default, True, reads the numeric columns as their "
        "principal components every other pass",
    },
    "LLMPrior": {
        "target_name": "the llmboost that saved the file named the target in the prompt "
        "through its own attribute, which the default, None, does not read",
    },
}


class InconsistentVersionWarning(sklearn.exceptions.InconsistentVersionWarning):
    """A model file was saved with another version of a library the model uses.

    A subclass of scikit-learn's warning: a filter for that one silences this one too.

    Attributes
    ----------
    library : str
        The library, as pip names it (``"scikit-learn"``, ``"xgboost"``, ``"torch"``, ...).
    saved_version : str
        Its version where the file was saved.
    installed_version : str or None
        Its version here (``None``: not installed).
    estimator_name, original_sklearn_version, current_sklearn_version : str or None
        scikit-learn's attributes: the file, and (for scikit-learn; else ``None``)
        ``saved_version`` and ``installed_version``.
    """

    def __init__(self, path, library: str, saved_version: str, installed_version: str | None):
        UserWarning.__init__(self, str(path), library, saved_version, installed_version)
        sklearns = library == "scikit-learn"
        self.estimator_name = str(path)
        self.original_sklearn_version = saved_version if sklearns else None
        self.current_sklearn_version = installed_version if sklearns else None
        self.library = library
        self.saved_version = saved_version
        self.installed_version = installed_version

    def __str__(self) -> str:
        path, library, saved, here = self.args
        if here is None:
            return (
                f"{path} was saved with {library} {saved}, which is not installed here; the "
                f"model needs it to predict: {_install_command(library, saved)}."
            )
        return (
            f"{path} was saved with {library} {saved}, but {library} {here} is installed "
            "here: the model may predict differently. Load it where "
            f"{library} {saved} is installed to keep its predictions, or refit it with "
            f"{library} {here} and save again."
        )


def _install_command(library: str, saved: str) -> str:
    """``pip install`` of ``library`` at the release ``saved`` names: a local build's label
    (``2.13.0+cpu``, which no index holds) named apart, text that is no version unpinned."""
    release, _, label = saved.partition("+")
    command = f"pip install {_distribution(library)}"
    if not re.fullmatch(r"\d[\w.!-]*", release):  # a file's text, never a pip option
        return f"{command} (the file names no plain version: {saved!r:.40})"
    local = f" (the file names the local build {saved})"
    return f"{command}=={release}" + local * bool(label)


def _distribution(library: str) -> str:
    """The distribution to install ``library`` from here: the one llmboost's own
    requirements name on this platform (``xgboost-cpu`` on Linux), else ``library``."""
    if library not in _DISTRIBUTIONS:
        return library
    try:
        from packaging.requirements import Requirement  # optuna's dependency
        from packaging.utils import canonicalize_name

        requires = importlib.metadata.requires("llmboost") or []
    except (ImportError, importlib.metadata.PackageNotFoundError):
        return library
    for text in requires:
        requirement = Requirement(text)
        name, marker = canonicalize_name(requirement.name), requirement.marker
        if name in _DISTRIBUTIONS[library] and (marker is None or marker.evaluate({"extra": ""})):
            return name  # "xgboost_cpu" or "XGBoost-CPU" in a build's metadata: xgboost-cpu
    return library


def installed_version(library: str) -> str | None:
    """The installed version of ``library``: its distribution's (the same whether it is
    imported or not; it is not imported), else its imported module's, else ``None``
    (llmboost's: the one ``save`` records)."""
    if library == "llmboost":
        from . import __version__

        return __version__
    for name in _DISTRIBUTIONS.get(library, (library,)):
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    version = getattr(sys.modules.get(_MODULES.get(library, library)), "__version__", None)
    return version if isinstance(version, str) else None


def check_importable(exc: BaseException, where: str, name: str) -> None:
    """Raise ``ModuleNotFoundError`` naming the library (not llmboost) whose absence
    ``exc`` says kept the class ``name`` of the file at ``where`` from importing."""
    missing = exc.name if isinstance(exc, ModuleNotFoundError) else None
    top = (missing or "llmboost").partition(".")[0]
    if top != "llmboost":
        library = _LIBRARIES.get(top, top)
        raise ModuleNotFoundError(
            f"{where}: class {name} needs {library}, which is not installed here: "
            f"pip install {_distribution(library)}.",
            name=missing,
        ) from exc


def _prior_libraries(prior) -> list[str]:
    """The libraries a prior scores with besides scikit-learn."""
    from .priors import BundledPFNPrior, LLMPrior, TabICLPrior, TabPFNPrior

    for cls, names in (
        (BundledPFNPrior, ["torch"]),
        (TabPFNPrior, ["torch", "tabpfn"]),
        (TabICLPrior, ["torch", "tabicl"]),
        (LLMPrior, ["torch", "transformers"]),
    ):
        if isinstance(prior, cls):
            return names
    return []


def _version_key(text: str) -> tuple:
    """``text``'s release numbers (``"1.10.0rc1"``: 1, 10, 0) to order versions by."""
    release = re.match(r"\d{1,9}(?:\.\d{1,9})*", text)  # int() of 4,301 digits raises
    return tuple(int(n) for n in release.group().split(".")) if release else (), text


def library_versions(model, objects: list) -> dict[str, str]:
    """The versions, here, of the libraries ``model`` uses: scikit-learn (llmboost's
    estimators are its estimators), numpy and pandas, XGBoost and LightGBM where
    ``objects`` (all that is saved) hold their models, and the prior's (torch, TabPFN,
    TabICL, transformers)."""
    packages = {type(obj).__module__.partition(".")[0] for obj in objects}
    names = ["scikit-learn", "numpy", "pandas"]
    names += [name for name in ("xgboost", "lightgbm") if name in packages]
    names += _prior_libraries(getattr(model, "prior_", None))
    versions = {name: installed_version(name) for name in names}
    return {name: version for name, version in versions.items() if version is not None}


def package_of(cls: type) -> tuple[str, str]:
    """The package ``cls`` comes from and its installed version (``scikit-learn``, ...)."""
    top = cls.__module__.partition(".")[0]
    version = str(getattr(sys.modules.get(top), "__version__", "(version unknown)"))
    return _LIBRARIES.get(top, top), version


def check_saved_params(cls: type, state: dict, where: str) -> None:
    """Refuse an estimator saved without a parameter this version has (but one of
    :data:`LATER_PARAMETERS`, filled in), or (llmboost's, whose public attributes are
    all parameters) with one it does not have."""
    params = getattr(cls, "_get_param_names", list)()
    later, changed = {}, {}
    if cls.__module__.startswith("llmboost."):
        for base in reversed(cls.__mro__):
            later.update(LATER_PARAMETERS.get(base.__name__, {}))
            changed.update(CHANGED_SINCE.get(base.__name__, {}))
        for name, value in later.items():
            state.setdefault(name, value)
    if missing := [p for p in params if p not in state]:
        package, version = package_of(cls)
        why = "".join(f" {p} was added since: {changed[p]}." for p in missing if p in changed)
        raise ValueError(
            f"{where}: this {cls.__name__} was saved without the parameter(s) "
            f"{', '.join(missing)}, which {package} {version} has (a file from an older "
            f"{package}).{why} Refit the model, or load the file with the {package} that "
            "saved it."
        )
    public = [k for k in state if not k.startswith("_") and not k.endswith("_")]
    if cls.__module__.startswith("llmboost.") and params:
        if unknown := [k for k in public if k not in params]:
            raise ValueError(
                f"{where}: this {cls.__name__} was saved with the parameter(s) "
                f"{', '.join(unknown)}, which this version does not have (a file from a "
                "newer version); load it with the version that saved it, or refit."
            )


def recorded_versions(manifest: dict, path) -> dict[str, str]:
    """``manifest``'s library versions (library: version), llmboost's first; empty in
    files without them."""
    from .persistence import UnsafeFileError

    written_by = manifest.get("llmboost_version")
    if written_by is not None and not isinstance(written_by, str):
        raise UnsafeFileError(
            f"{path}: model.json's llmboost_version is not text: {written_by!r:.80}."
        )
    value = manifest.get("library_versions", {})
    texts = isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    # names as pip's (PEP 508): "" raised "A distribution name is required", and a name
    # such as "x --index-url URL" went into the warning's pip command
    if not texts or not all(
        re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?", k) for k in value
    ):
        raise UnsafeFileError(
            f"{path}: model.json's library_versions is not a dict of library names and "
            f"versions (text): {value!r:.80}."
        )
    if len(value) > MAX_LIBRARIES:  # each is looked up among the installed packages
        raise UnsafeFileError(
            f"{path}: model.json lists {len(value):,} library versions, more than the "
            f"{MAX_LIBRARIES} any model llmboost writes has: not a model llmboost wrote."
        )
    return {"llmboost": written_by, **value} if written_by is not None else value


def warn_other_versions(path, recorded: dict[str, str], sklearn_versions=frozenset()) -> None:
    """Warn, once per library, where ``recorded`` (library: version) is not what is
    installed here; files without the record: where ``sklearn_versions`` (those the
    scikit-learn estimators in the file kept) are not."""
    if sklearn_versions and "scikit-learn" not in recorded:
        if other := set(sklearn_versions) - {installed_version("scikit-learn")}:
            oldest = min(other, key=_version_key)  # as a version: 1.9 before 1.10
            recorded = {**recorded, "scikit-learn": oldest}
    for library, saved in recorded.items():
        here = installed_version(library)
        if here != saved:
            warning = InconsistentVersionWarning(path, library, saved, here)
            warnings.warn(warning, stacklevel=caller_level())


__all__ = [
    "CHANGED_SINCE",
    "LATER_PARAMETERS",
    "MAX_LIBRARIES",
    "InconsistentVersionWarning",
    "check_importable",
    "check_saved_params",
    "installed_version",
    "library_versions",
    "package_of",
    "recorded_versions",
    "warn_other_versions",
]
