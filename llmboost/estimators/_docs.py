"""The documentation of the parameters and fitted attributes every PriorBoost estimator
shares, formatted into each estimator's docstring by :func:`document`."""

from __future__ import annotations

#: The parameters every PriorBoost estimator shares, formatted into their docstrings
#: with ``prior`` (what the prior may be and its default) and ``scales`` (the grid of
#: ``scale="auto"``).
PARAMETERS_DOC = """prior : {prior}
    booster : {{"xgboost", "lightgbm"}}, default="xgboost"
        The tree library.
    booster_params : dict, default=None
        Passed to the library's estimator, over small-data defaults: XGBoost
        ``n_estimators=100, learning_rate=0.1, max_depth=4, tree_method="hist",
        enable_categorical=True``; LightGBM ``n_estimators=100, learning_rate=0.1,
        num_leaves=15, min_child_samples=5, verbose=-1``; both ``n_jobs=1``. A library
        alias of one of those (XGBoost ``eta``, LightGBM ``num_iterations``, ...) is that
        parameter, and one given under two names is an error (a LightGBM alias its
        estimator overrides, such as ``eta``, is refused). With the
        default squared error, regression trees train on the target divided by its
        standard deviation (XGBoost skips splits whose gain is below 1e-6, which left
        small-unit targets without trees); predictions are in the target's units, while
        ``gamma`` / ``min_split_gain`` and ``reg_alpha`` apply to the standardised target
        (with ``eval_set`` and a metric that depends on the target's origin or unit,
        such as MAPE, or LightGBM ``early_stopping_min_delta``, they train on the target
        as given, where early stopping reads it).
    scale : "auto", "prior", float >= 0, list or 1-D array, default="auto"
        Multiplier of the prior's logits. ``0`` is plain GBDT, ``"prior"`` the prior
        alone. ``"auto"`` runs the fusion search (see :mod:`llmboost.scale_search`):
        trees from {scales} times the prior, every prefix of their boosting, and the
        prior alone at several temperatures, combined by evidence-gated ensemble
        selection starting from the prior (averaged over halves of the rows; for
        regressors only while the prior is not fully protected). A list (or 1-D
        array) gives your own scales (``"prior"`` in it adds the prior alone as a
        candidate and anchor).
    cv : int, cross-validation splitter or iterable of (train, test), default=5
        Folds for the out-of-fold prior logits of the training rows and for the
        search. An int: that many shuffled folds (stratified for classifiers; a class
        with a single row stays in every training fold). A splitter (its
        ``split(X, y)``, e.g. ``TimeSeriesSplit``) or a list of index pairs (e.g. from
        ``GroupKFold(...).split(X, y, groups)``) must test each row once at most and,
        for classifiers, keep every class in every training part.
    scoring : str or callable, default=None
        ``None`` scores by the per-row loss (log loss; squared error, or the regression
        booster's own loss: absolute, quantile, Huber, ...) and selects an ensemble; any other
        scikit-learn scorer keeps the single candidate with the best mean fold score (a tie goes
        to the prior alone). A scorer is called as ``scorer(estimator, X, y)`` on each fold's
        rows as ``fit`` read them (a table indexed by their positions; it may predict a subset
        of them by index), with ``sample_weight=`` when it takes that keyword (a scikit-learn
        scorer when its metric does: not ``neg_max_error`` or a ``make_scorer`` of a metric
        without it); one that does not scores weighted folds unweighted, with a warning. A
        metric of ``(y_true, y_pred)`` is refused: wrap it in ``make_scorer``.
    n_trials : int, default=0
        When > 0, optuna (TPE, seeded by ``random_state``) tunes booster parameters
        and scale together for this many trials on the same folds; parameters set in
        ``booster_params`` stay fixed. ``cv_results_`` then has one entry per trial
        (``params`` holds the scale and the tuned parameters; no ``ensemble_weight``).
    random_state : int, RandomState or None, default=None
        Seeds the folds, the boosters and optuna.
    verbose : bool or int >= 0, default=False
        Show a progress bar over the fits of the search (any int above 0 shows it too).
    n_jobs : int, default=None
        Fold fits of the search, and the halves of its selection, run in this many
        threads (``-1``: all cores); each booster keeps its own ``n_jobs`` (1 by
        default), so cores are not oversubscribed.
    device : {{"auto", "cpu", "cuda"}}, "cuda:<index>" or torch.device, default=None
        Where the prior and the trees run. It is set on the prior when the prior has
        a ``device`` parameter (over the prior's own value) and goes into the booster's
        parameters (XGBoost ``device``; LightGBM ``device_type`` and ``gpu_device_id``,
        which need a CUDA build of LightGBM; ``"cuda"`` with a library that cannot
        train on CUDA is refused before any fit). ``"auto"`` is a GPU when torch sees
        one, for the trees only when the library can train on CUDA. ``None`` leaves
        the prior and ``booster_params`` as they are."""

#: The fitted attributes every PriorBoost estimator shares (``{classes}``: ``classes_, ``
#: for classifiers).
ATTRIBUTES_DOC = """scale_ : float or "prior"
        Weight of the prior's margin in the final margin (``sum(weight * scale)`` over
        members), or ``"prior"`` when ``scale="prior"``.
    members_ : list of FusionMember
        ``(scale, n_rounds, weight, booster, center)``: the final margin is
        ``sum(weight * (center + scale * (prior - center) + first n_rounds trees of
        booster))``; ``center`` is 0 for classifiers and the training target's mean for
        regressors (a regression prior is shrunk toward it); ``n_rounds == 0`` members
        are the prior alone at that scale.
    cv_results_ : dict or None
        Every candidate with its fold scores, in scikit-learn's layout and key order:
        the seconds of the fold fits (shared by the candidates of one scale; 0 for the
        prior alone) and of scoring (``mean_fit_time``, ``std_fit_time``,
        ``mean_score_time``, ``std_score_time``), a ``param_<name>`` masked array per
        name, ``params`` (``{{"scale": ..., "n_rounds": ...}}``; when ``n_trials > 0``, a
        trial's scale and tuned booster parameters, its rounds being ``n_estimators``),
        the scores, then ``ensemble_weight`` (the grid search); ``None`` when nothing was
        searched.
    best_params_ : dict or None
        Booster parameters of the refit trees (``booster_params`` with ``device``'s,
        or the tuned ones), under the names given (``eta`` stays ``eta``); ``None``
        when there are none or no member has trees.
    prior_ : Prior or None
        The prior refit on all training rows (``None`` when no member uses it: the
        prior is then never evaluated at predict time).
    booster_ : Booster or None
        The booster adapter of the heaviest member with trees (``None`` for the prior
        alone); its ``model_`` is the library's estimator.
    {classes}n_features_in_, feature_names_in_, categories_
        As in scikit-learn; ``categories_`` holds the categories of every text or
        categorical column."""


def document(prior: str, scales: str, classes: str = "classes_, "):
    """Class decorator: fill ``{parameters}`` and ``{attributes}`` of the docstring.

    Parameters
    ----------
    prior : str
        Type, default and description of the ``prior`` parameter.
    scales : str
        The scales ``scale="auto"`` starts trees from.
    classes : str, default="classes_, "
        ``""`` for regressors (no ``classes_``).

    Returns
    -------
    callable
        The decorator.
    """

    def decorate(cls):
        cls.__doc__ = cls.__doc__.format(
            parameters=PARAMETERS_DOC.format(prior=prior, scales=scales),
            attributes=ATTRIBUTES_DOC.format(classes=classes),
        )
        return cls

    return decorate


__all__ = ["ATTRIBUTES_DOC", "PARAMETERS_DOC", "document"]
