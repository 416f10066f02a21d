"""PriorBoost on a Dask cluster: the local estimator's parts, run where the rows are.

1. A stratified sample of the training rows (``sample_size``) is gathered to the
   client and a local :class:`~llmboost.PriorBoostClassifier` (same parameters) is fitted
   on it: that chooses the fusion (``members_``, ``scale_``, ``cv_results_``) and fits
   the prior (``prior_``; in-context priors take the sample as their context).
2. The prior scores every partition on the workers (sent once, one copy per worker).
   Sampled rows, which the prior has seen, get their out-of-fold margin instead.
3. Every tree member is retrained on all rows with ``xgboost.dask`` (``base_margin``)
   or ``lightgbm.dask`` (``init_score``), with the member's parameters and rounds.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from .._fit_arguments import check_forced_files
from .._library_params import ALIASES, OBJECTIVE_KEYS, check_binary_weight
from .._losses import refuse_log_rows
from .._params import Check, Interval, InvalidParameterError
from .._validation import align_categories, check_target, named_frame
from ..estimators import PriorBoostClassifier
from ..estimators._eval_set import _patience_names, prior_logits
from ..estimators._shared import PARAMETER_CONSTRAINTS, FusionParams, class_weights_given
from ..fusion_inputs import check_fold_classes
from ..scale_search import PRIOR_ONLY, check_margin
from ._boosting import check_start, check_tree_labels, fit_member, margin_meta, predict_partition
from ._data import (
    as_dask_frame,
    as_dask_target,
    named_columns,
    prepared,
    require_dask,
    schema,
    text_dtypes,
)
from ._labels import check_labels, refuse_no_rows
from ._sample import (
    fit_keeping_margin,
    sample_labels,
    sample_seed,
    sample_sizes,
    sample_thresholds,
)
from ._scoring import (
    PARTITION,
    TARGET,
    prior_margin,
    rows_named,
    sample_partition,
    training_partition,
)

#: Default number of training rows gathered to the client to choose the fusion.
SAMPLE_SIZE = 10_000
_EVAL_SET = "fit(X, y, eval_set=(X_val, y_val))"


class _DaskPriorBoost(FusionParams):
    """Shared fit/predict logic; the public classes name the local estimator they scale."""

    _local = PriorBoostClassifier
    _parameter_constraints: dict = {
        **PARAMETER_CONSTRAINTS,
        "cv": [Interval(Integral, 2)],  # folds of the gathered sample: a number only
        "sample_size": [Interval(Integral, 2)],
        "client": [Check(lambda c: hasattr(c, "scatter"), "a distributed.Client"), None],
    }

    def __init__(
        self,
        prior=None,
        *,
        booster: str = "xgboost",
        booster_params: dict | None = None,
        scale="auto",
        cv: int = 5,
        scoring=None,
        n_trials: int = 0,
        random_state: int | None = None,
        verbose: bool = False,
        n_jobs: int | None = None,
        device: str | None = None,
        sample_size: int = SAMPLE_SIZE,
        client=None,
    ) -> None:
        self.prior = prior
        self.booster = booster
        self.booster_params = booster_params
        self.scale = scale
        self.cv = cv
        self.scoring = scoring
        self.n_trials = n_trials
        self.random_state = random_state
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.device = device
        self.sample_size = sample_size
        self.client = client

    @property
    def _task(self) -> str:
        return self._local._task

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = tags.input_tags.string = True  # as the local estimator
        return tags

    def __sklearn_clone__(self):
        """A clone shares the client: a connection, not a value to copy."""
        params = self.get_params(deep=False)
        client = params.pop("client")
        return type(self)(**{k: clone(v, safe=False) for k, v in params.items()}, client=client)

    def __getstate__(self) -> dict:
        """Pickled without the client (it reconnects to the default client when used)."""
        return {**self.__dict__, "client": None}

    def _get_client(self):
        _, _, distributed = require_dask()
        if self.client is not None:
            return self.client
        try:
            return distributed.default_client()
        except ValueError as error:
            raise ValueError(
                f"{type(self).__name__} needs a dask client: pass client=... or create "
                "distributed.Client(...) first."
            ) from error

    def _check_target(self, y, n_rows: int) -> np.ndarray:
        """The local check of a classifier's labels; a continuous ``y`` is told the Dask
        regressor to use."""
        from . import _estimators

        name = type(self).__name__.replace("Classifier", "Regressor")
        other = "DaskPriorBoostRegressor or DaskPFNBoostRegressor"  # as locally
        regressor = name if hasattr(_estimators, name) else other
        return check_target(y, n_rows, classification=True, regressor=regressor)

    def _local_estimator(self):
        names = self._local().get_params(deep=False)
        return self._local(**{name: getattr(self, name) for name in names})

    # -- fit -----------------------------------------------------------------
    def fit(self, X, y, sample_weight=None, eval_set=None):
        """Choose the fusion on a sample, score the prior on the workers, train on all rows.

        Parameters
        ----------
        X : dask DataFrame or 2-d dask array, known chunk sizes
        y : dask Series or 1-d dask array
            A Series with ``X``'s index (partitioned like ``X``, or repartitionable to
            it when both have known divisions); an array's labels are ``X``'s rows in
            order.
        sample_weight, eval_set : None
            Not taken yet (``TypeError``); the local estimators take them.

        Returns
        -------
        self
        """
        self._check_dask_params(sample_weight, eval_set)
        client = self._get_client()
        with client.as_current():  # dask's computations too, when it is not the default
            return self._fit(client, X, y)

    def _check_dask_params(self, sample_weight, eval_set) -> None:
        """The local estimator's checks, and what its Dask fit cannot do yet."""
        local = type(self).__name__.removeprefix("Dask")
        for name, value in (("sample_weight", sample_weight), ("eval_set", eval_set)):
            if value is not None:
                raise TypeError(
                    f"{type(self).__name__}.fit takes no {name} yet; fit {local} on a pandas "
                    f"table (a sample of the rows) to use {name}."
                )
        params = self.booster_params if isinstance(self.booster_params, dict) else {}
        self._check_class_weights_here(params, local)
        for key, form in (("sample_weight", "fit(X, y, sample_weight=w)"), ("eval_set", _EVAL_SET)):
            if key in params:  # the local check's advice, fit(X, y, ...), is not taken here
                raise ValueError(
                    f"booster_params {key} is not a parameter but data of the library's fit, "
                    f"and {type(self).__name__}.fit takes no {key} yet: leave it out, or fit "
                    f"{local} on a pandas table (a sample of the rows) with {form}."
                )
        self._check_params()
        check_forced_files(self.booster, params)  # the local check runs at its fit alone
        self._check_patience(local)
        groups = (self.booster_params or {}).get("interaction_constraints")
        if self.booster == "lightgbm" and groups is not None and len(groups):
            # LightGBM issue 5680: its distributed training fails with them
            raise ValueError(
                "booster_params interaction_constraints: LightGBM's distributed training "
                "fails with them (errors such as 'std::bad_alloc', or a reset connection). Use "
                f"booster='xgboost', or fit {local} on a pandas table (a sample of the rows)."
            )

    def _check_class_weights_here(self, params: dict, local: str) -> None:
        """Weights of classes refused with advice the Dask fit takes (the local checks
        advise sample_weight, which it does not take yet)."""
        given = class_weights_given(params)
        if self._task == "regression" and given:
            raise InvalidParameterError(
                f"booster_params {given[0]}={params[given[0]]!r} weights classes, but a "
                "regressor has no classes (the library would ignore it, or weigh each "
                f"distinct target value as a class), and {type(self).__name__}.fit takes no "
                f"sample_weight yet: leave it out, or fit {local} on a pandas table (a "
                "sample of the rows) with sample_weight."
            )
        if self.booster == "xgboost" and "class_weight" in params:
            raise InvalidParameterError(
                "booster_params class_weight is a LightGBM parameter: XGBoost does not read "
                f"it, and {type(self).__name__}.fit takes no sample_weight yet. Use "
                "booster='lightgbm' (its class_weight weighs each row, over all rows), or fit "
                f"{local} on a pandas table (a sample of the rows) with sample_weight."
            )

    def _check_binary_weight_here(self, classes) -> None:
        """The local refusals of a loss or ``num_class`` the classes contradict, then of a
        positive class's weight with more than two classes, with advice the Dask fit
        takes (the local one advises sample_weight); before the sample is drawn."""
        params = self.booster_params if isinstance(self.booster_params, dict) else {}
        names = ("scale_pos_weight", "is_unbalance", *ALIASES["lightgbm"]["is_unbalance"])
        others = {k: v for k, v in params.items() if k not in names}
        check_binary_weight(others, np.sort(classes), self._candidates())  # as np.unique
        try:
            check_binary_weight({k: params[k] for k in names if k in params}, classes)
        except ValueError as error:
            local = type(self).__name__.removeprefix("Dask")
            how = "" if self.booster == "lightgbm" else "booster='lightgbm' and "
            raise ValueError(
                f"{str(error).partition('; weight')[0]}, and {type(self).__name__}.fit takes "
                f"no sample_weight yet: weight the classes with {how}booster_params "
                f"class_weight (it weighs each row, over all rows), or fit {local} on a "
                "pandas table (a sample of the rows) with sample_weight."
            ) from None

    def _check_patience(self, local: str) -> None:
        """Refuse a patience of early stopping: without eval_set, it would be ignored (or
        XGBoost's EarlyStopping fail)."""
        params = self.booster_params or {}
        trees = self._candidates() != [PRIOR_ONLY]  # the prior alone fits no trees
        if self.booster == "xgboost" and params.get("callbacks") and trees:
            from xgboost.callback import EarlyStopping

            if any(isinstance(c, EarlyStopping) for c in params["callbacks"]):
                raise ValueError(
                    "booster_params callbacks holds XGBoost's EarlyStopping, which needs "
                    f"validation rows, and {type(self).__name__}.fit takes no eval_set yet: "
                    f"leave it out, or fit {local} on a pandas table (a sample of the rows) "
                    f"with {_EVAL_SET} and booster_params early_stopping_rounds."
                )
        given = [k for k in _patience_names(self.booster) if params.get(k) is not None]
        if given and trees:
            raise ValueError(
                f"booster_params {given[0]}={params[given[0]]!r} is the patience of early "
                f"stopping on eval_set, but {type(self).__name__}.fit takes no eval_set yet, "
                f"so every one of n_estimators rounds would be trained: leave {given[0]} out "
                f"(n_estimators sets the rounds), or fit {local} on a pandas table (a sample "
                f"of the rows) with {_EVAL_SET}."
            )

    def _fit(self, client, X, y):
        columns = type(type(self).__name__, (BaseEstimator,), {})()  # X's, until fit ends
        word = _row_names(X)[0]  # what names a row its prior refuses
        X = named_columns(as_dask_frame(X), columns, reset=True)
        if taken := sorted({TARGET, PARTITION} & set(X.columns)):  # else the sample lost it
            raise ValueError(
                f"X has a column named {taken[0]!r}, which the Dask fit uses for the labels "
                "and partitions of its sample: rename that column."
            )
        y = as_dask_target(given := y, X, classifier=self._task != "regression")
        categories = schema(X)
        frame, y = client.persist([prepared(X, categories, client), y])
        seed = sample_seed(self.random_state)
        classes = None if self._task == "regression" else self._check_target
        lengths, y = check_labels(frame, y, regression=classes is None, classes=classes)
        self._check_log_target(y, lengths)
        thresholds = self._thresholds(y, sum(lengths), seed)

        sample = frame.map_partitions(
            sample_partition, y, thresholds, seed, meta=_sample_meta(frame._meta, y)
        ).compute()
        y_sample = sample_labels(sample.pop(TARGET), y.name, given)
        partitions = sample.pop(PARTITION).to_numpy()
        index, sample = sample.index, sample.reset_index(drop=True)
        local = self._local_estimator()
        try:
            oof = fit_keeping_margin(local, sample, y_sample, type(self).__name__)
        except ValueError as error:  # a sampled row named by its place in the sample
            if (named := rows_named(error, index, word)) is None:
                raise
            raise named from None
        self._copy_fitted(local, categories, columns, len(sample))
        if self._task == "regression":  # the sample set the trees' unit
            check_tree_labels(y, [m.booster for m in self.members_ if m.booster is not None])

        margin = None
        if any(m.scale != 0 and m.booster is not None for m in self.members_):
            oof_parts = {int(p): oof[partitions == p] for p in np.unique(partitions)}
            prior_future, oof_future = client.scatter(
                [self.prior_, oof_parts], broadcast=True, hash=False
            )
            margin = frame.map_partitions(
                training_partition, y, prior_future, oof_future, thresholds, seed,
                self._task, self._n_classes, word, meta=margin_meta(self._width),
            )  # fmt: skip
            margin = check_start(self.members_, client.persist(margin), self._task)
        trained = _with_rows(lengths, frame, self._encode(y), margin)
        self.members_ = self._train_members(client, *trained)
        trees = [m for m in self.members_ if m.booster is not None]
        self.booster_ = max(trees, key=lambda m: m.weight).booster if trees else None
        return self

    def _check_log_target(self, y, lengths: list) -> None:
        """The local refusal of ``y <= -1`` for XGBoost's squared log error, over all rows
        (the sample's fit saw its own rows alone; XGBoost failed in training, after the
        prior's scores of every row)."""
        params = self.booster_params if isinstance(self.booster_params, dict) else {}
        keys = [k for k in OBJECTIVE_KEYS if str(params.get(k)) == "reg:squaredlogerror"]
        if self.booster != "xgboost" or not keys or self._candidates() == [PRIOR_ONLY]:
            return
        import dask.array as da

        values = y.astype("float64").to_dask_array(lengths=lengths)
        rows = da.flatnonzero(values <= -1).compute()
        refuse_log_rows(keys[0], rows, values[rows[:1]].compute())

    def _thresholds(self, y, n_rows: int, seed: int):
        """The sample: ``sample_size`` rows, at least ``cv`` (of every class)."""
        if self._task == "regression":
            sizes = min(n_rows, max(self.sample_size, self.cv))
        else:
            counts = y.value_counts(split_out=1).compute()  # no shuffle for a few labels
            self._check_binary_weight_here(counts.index)
            candidates = self._candidates()  # the local fit's folds, counted over all rows
            if len(candidates) > 1 or self.n_trials > 0 or candidates[0] not in (0, PRIOR_ONLY):
                check_fold_classes(counts.sort_index().to_dict())
            sizes = sample_sizes(counts, self.sample_size, max(self.cv, 2))
        return sample_thresholds(y, sizes, seed)

    def _copy_fitted(self, local, categories, columns, n_sample: int) -> None:
        for name in ("default_prior_", "feature_names_in_"):  # a previous fit's are stale
            self.__dict__.pop(name, None)
        fitted = ("classes_", "scale_", "cv_results_", "best_params_", "prior_", "members_")
        for source, names in (
            (local, (*fitted, "default_prior_")),
            (columns, ("n_features_in_", "feature_names_in_")),
        ):
            for name in names:
                if hasattr(source, name):
                    setattr(self, name, getattr(source, name))
        self.sample_estimator_ = local
        self.n_sample_ = n_sample
        self.categories_ = categories

    def _encode(self, y):
        if self._task == "regression":
            return y.astype(np.float64)
        classes = self.classes_
        return y.map_partitions(
            lambda part: pd.Series(np.searchsorted(classes, part.to_numpy()), index=part.index),
            meta=pd.Series([], dtype=np.int64),
        )

    def _train_members(self, client, frame, y, margin) -> list:
        """Retrain each distinct local booster on all rows (members at one scale share one)."""
        rounds: dict[int, int] = {}
        for m in self.members_:
            if m.booster is not None:
                rounds[id(m.booster)] = max(m.n_rounds, rounds.get(id(m.booster), 0))
        trained, out = {}, []
        # the boosters' n_jobs=1 suits the local search; on Dask, each worker's threads
        threads = bool({"n_jobs", "nthread"} & set(self.booster_params or {}))
        for m in self.members_:
            if m.booster is not None and id(m.booster) not in trained:
                start = m.start(margin)
                trained[id(m.booster)] = fit_member(
                    client, m.booster, rounds[id(m.booster)], frame, y, start, threads
                )
            out.append(m if m.booster is None else m._replace(booster=trained[id(m.booster)]))
        return out

    @property
    def _n_classes(self) -> int:
        return len(self.classes_) if self._task == "classification" else 0

    @property
    def _width(self) -> int:
        return self._n_classes if self._n_classes > 2 else 0

    # -- predict -------------------------------------------------------------
    def _margin(self, X):
        """The fused margin as a dask Series (1-d) or DataFrame, and the row lengths."""
        check_is_fitted(self, "members_")
        client = self._get_client()
        lengths = _known_lengths(X)
        frame = as_dask_frame(X, fitted=True)
        refuse_no_rows(X, len(frame.columns))  # as locally, where dask knows the length
        named = named_columns(frame, self, reset=False)
        text = text_dtypes(named)
        frame = prepared(named, self.categories_, client, text)
        out_meta = margin_meta(self._width)
        z, where = None, None if frame.npartitions == 1 else _row_names(X)  # else as locally
        if self.prior_ is not None:
            z = prior_margin(
                self.prior_, client, named, frame, text, self._task, self._n_classes, where
            )
        total = None
        for m in self.members_:
            member, booster = {**m._asdict(), "booster": None}, None
            if m.booster is not None:  # a future goes apart: dask leaves one in a dict as is
                booster = client.scatter(m.booster, broadcast=True, hash=False)
            part = frame.map_partitions(
                predict_partition, z, member, booster, self._width, self._task, where,
                meta=out_meta,
            )  # fmt: skip
            total = part * m.weight if total is None else total + part * m.weight
        return total, lengths

    def _prepared(self, X) -> tuple[pd.DataFrame, np.ndarray | None]:
        """In-memory rows in the fitted encoding and the prior's margin (for ``explain``)."""
        check_is_fitted(self, "members_")
        require_dask()
        from dask import is_dask_collection

        if is_dask_collection(X):
            raise TypeError(
                f"explain takes in-memory rows (a DataFrame or array), got a dask "
                f"{type(X).__name__}: explain a part of it, e.g. X.head(1000) (a dask "
                "DataFrame) or X[:1000].compute() (a dask array)."
            )
        given = named_frame(X, self)
        frame = align_categories(given.copy(), self.categories_)
        if self.prior_ is None:
            return frame, None
        z = prior_logits(self.prior_, given, frame)  # the rows as given to a language model
        return frame, check_margin(self.prior_, z, len(frame), self._task, self._n_classes)

    def explain(self, X) -> pd.DataFrame:
        """Per-row contributions to the margin; see :func:`llmboost.explain.explain`.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            In-memory rows (not a dask collection), with the columns seen at fit.

        Returns
        -------
        DataFrame
            One column per feature plus ``prior`` and ``bias``; rows sum to the margin.
        """
        from ..explain import explain

        return explain(self, X)


def _with_rows(lengths: list, *collections) -> list:
    """The collections without their empty partitions (LightGBM fails on a worker that
    holds only empty ones); ``None`` kept."""
    keep = [k for k, n in enumerate(lengths) if n]
    if len(keep) == len(lengths):
        return list(collections)
    return [c if c is None else c.partitions[keep] for c in collections]


def _known_lengths(X):
    """Known row chunks of a dask array input (so outputs keep them), else ``None``."""
    _, da, _ = require_dask()
    if not isinstance(X, da.Array) or any(np.isnan(c) for c in X.chunks[0]):
        return None
    return tuple(X.chunks[0])


def _row_names(X) -> tuple[str, str]:
    """How a refusal names rows of several partitions: by X's index labels, an array's
    positions (its chunks known), else positions counted in their partition."""
    _, da, _ = require_dask()
    if not isinstance(X, da.Array):
        return "index", ""
    return "rows", "" if _known_lengths(X) else ", counted from its first row"


def _sample_meta(meta: pd.DataFrame, y) -> pd.DataFrame:
    out = meta.copy()
    out[TARGET] = pd.Series([], dtype=y.dtype)
    out[PARTITION] = pd.Series([], dtype=np.int64)
    return out


__all__ = ["SAMPLE_SIZE"]
