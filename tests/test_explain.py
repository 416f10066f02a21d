"""explain(): tree SHAP per feature plus the prior's share, summing to the margin."""

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from column_prior import FirstColumnPrior
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV

from llmboost import PriorBoostClassifier, PriorBoostRegressor, SklearnPrior
from llmboost.explain import explain, tree_contributions
from llmboost.scale_search import FusionMember, prior_margin

BOOSTERS = ("xgboost", "lightgbm")
TASKS = ("binary", "multiclass", "regression")


def _prior(model, X):
    """The prior's unscaled margin of the rows ``X``."""
    return prior_margin(model.prior_.logits(X), model._task)


def _data(task, n=240, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.normal(size=n),
            "income": rng.normal(size=n),
            "city": pd.Categorical(rng.choice(["x", "y", "z"], n)),
            "noise": rng.normal(size=n),
        },
        index=pd.RangeIndex(1000, 1000 + n),
    )
    X.loc[X.index[::11], "income"] = np.nan
    signal = X["age"] + np.sin(3 * X["income"].fillna(0)) + (X["city"] == "x")
    if task == "regression":
        return X, signal.to_numpy() + 0.1 * rng.normal(size=n)
    if task == "binary":
        return X, np.where(signal > 0.5, "yes", "no")
    return X, np.digitize(signal, [0.0, 1.0])  # three classes 0, 1, 2


def _model(task, booster, scale, **kwargs):
    params = {"n_estimators": 25, "max_depth": 3} if booster == "xgboost" else {"n_estimators": 25}
    if task == "regression":
        cls, prior = PriorBoostRegressor, SklearnPrior(Ridge())
    else:
        cls, prior = PriorBoostClassifier, SklearnPrior(LogisticRegression(max_iter=500))
    return cls(
        prior=prior,
        booster=booster,
        booster_params=params,
        scale=scale,
        cv=3,
        random_state=0,
        **kwargs,
    )


def _margin(model, X):
    if isinstance(model, PriorBoostRegressor):
        return model.predict(X)
    return model.decision_function(X)


def _row_sums(model, table):
    if table.columns.nlevels == 2:
        return np.column_stack([table[c].sum(axis=1) for c in model.classes_])
    return table.sum(axis=1).to_numpy()


@pytest.mark.parametrize("booster", BOOSTERS)
@pytest.mark.parametrize("task", TASKS)
def test_rows_sum_to_the_margin_with_one_scale(task, booster):
    X, y = _data(task)
    model = _model(task, booster, 0.5).fit(X, y)
    table = model.explain(X.iloc[:50])
    assert table.index.equals(X.index[:50])
    np.testing.assert_allclose(_row_sums(model, table), _margin(model, X.iloc[:50]), atol=1e-6)
    columns = ["age", "income", "city", "noise", "prior", "bias"]
    if task == "multiclass":
        assert table.columns.names == ["class", "column"]
        assert list(table.columns.get_level_values(0).unique()) == [0, 1, 2]
        assert list(table[1].columns) == columns
    else:
        assert list(table.columns) == columns
    # the prior column is scale_ times the prior's unscaled margin, a regression prior's
    # measured from the training target's mean (which is in the bias)
    z = _prior(model, X.iloc[:50])
    center = float(np.mean(y)) if task == "regression" else 0.0
    assert model.members_[0].center == pytest.approx(center, rel=1e-12)
    prior = (
        table.xs("prior", axis=1, level=1).to_numpy() if task == "multiclass" else table["prior"]
    )
    np.testing.assert_allclose(prior, model.scale_ * (z - center), atol=1e-12)
    # the trees use the signal columns more than the noise column
    features = table.drop(columns=["prior", "bias"], level=-1 if task == "multiclass" else None)
    strength = features.abs().T.groupby(level=-1).sum().T.mean()
    assert strength["age"] > strength["noise"]


def test_lightgbm_classes_are_read_from_the_trees(monkeypatch):
    # a Dask member's local model is an LGBMRegressor with a multiclass objective (see
    # llmboost.dask): explain read the class count from n_classes_, which such a model
    # lacks, and failed to broadcast its (n, 3 * (p + 1)) contributions
    import lightgbm as lgb

    def regressor(**params):
        return lgb.LGBMRegressor(**params, objective="multiclass", num_class=3)

    X, y = _data("multiclass")
    monkeypatch.setattr(lgb, "LGBMClassifier", regressor)
    model = _model("multiclass", "lightgbm", 0.5).fit(X, y)
    assert isinstance(model.booster_.model_, lgb.LGBMRegressor)
    table = model.explain(X.iloc[:20])
    assert table.shape == (20, 3 * 6)
    # float64 sums of LightGBM's float64 contributions: well within 1e-6
    np.testing.assert_allclose(_row_sums(model, table), _margin(model, X.iloc[:20]), atol=1e-6)


@pytest.mark.parametrize("booster", BOOSTERS)
@pytest.mark.parametrize("task", TASKS)
def test_rows_sum_to_the_margin_of_a_fused_ensemble(task, booster, monkeypatch):
    X, y = _data(task, seed=1)
    model = _model(task, booster, 0.5).fit(X, y)
    trees = model.members_[0].booster
    z = _prior(model, X)
    # several members: two prefixes of one booster, the prior alone, and plain trees
    plain = _model(task, booster, 0).fit(X, y).members_[0].booster
    members = [
        FusionMember(0.5, trees.n_rounds_, 0.4, trees),
        FusionMember(0.5, 5, 0.2, trees),
        FusionMember(2.0, 0, 0.1, None),
        FusionMember(0.0, plain.n_rounds_, 0.3, plain),
    ]
    monkeypatch.setattr(model, "members_", members)
    table = model.explain(X)
    np.testing.assert_allclose(_row_sums(model, table), _margin(model, X), atol=1e-6)
    expected_scale = 0.4 * 0.5 + 0.2 * 0.5 + 0.1 * 2.0
    prior = (
        table.xs("prior", axis=1, level=1).to_numpy() if task == "multiclass" else table["prior"]
    )
    np.testing.assert_allclose(prior, expected_scale * z, atol=1e-12)


@pytest.mark.parametrize("task", TASKS)
def test_xgboost_dart_bias_is_the_same_for_every_row(task):
    # the bias is what the margin leaves after the features and the prior: a margin
    # that counted the start once per DART round left it differing row by row
    X, y = _data(task)
    model = _model(task, "xgboost", 1.0)
    model.set_params(booster_params={"booster": "dart", "n_estimators": 10}).fit(X, y)
    table = model.explain(X)
    bias = table.xs("bias", axis=1, level=1) if task == "multiclass" else table[["bias"]]
    bias = bias.to_numpy()
    # float32 SHAP values of margins near 1: rows agree to 1e-5
    np.testing.assert_allclose(bias, np.broadcast_to(bias[:1], bias.shape), atol=1e-5)


def test_prior_alone_and_trees_alone():
    X, y = _data("binary")
    alone = _model("binary", "xgboost", "prior").fit(X, y)
    table = alone.explain(X)
    np.testing.assert_allclose(table["prior"], alone.decision_function(X), atol=1e-12)
    assert (table.drop(columns="prior") == 0).all().all()

    plain = _model("binary", "lightgbm", 0).fit(X, y)
    assert plain.prior_ is None
    table = plain.explain(X)
    assert (table["prior"] == 0).all()
    np.testing.assert_allclose(table.sum(axis=1), plain.decision_function(X), atol=1e-9)


_TASK = {"binary": "classification", "regression": "regression"}


@pytest.mark.parametrize("booster", BOOSTERS)
@pytest.mark.parametrize("task", ["binary", "regression"])
def test_rows_whose_starting_margin_overflows_are_refused_as_predict_refuses(task, booster):
    # predict refused them; explain gave them a bias of inf (XGBoost) or a prior's share
    # of 1e39 (LightGBM) in silence
    X, y = _data(task, n=80)
    model = _model(task, booster, 1e36).set_params(prior=FirstColumnPrior(_TASK[task])).fit(X, y)
    new = X.head(3).copy()
    new.loc[new.index[1], "age"] = 1e6
    match = r"scale=1e\+36 times the prior's .* on 1 of 3 rows \(rows \[1\], largest "
    with pytest.raises(ValueError, match=match):
        _margin(model, new)
    with pytest.raises(ValueError, match=match + r".*past 3.403e\+38, float32's largest"):
        model.explain(new)
    assert np.isfinite(model.explain(X.head(3)).to_numpy()).all()


@pytest.mark.parametrize("booster", BOOSTERS)
def test_feature_columns_are_the_libraries_own_shap_values(booster):
    X, y = _data("multiclass")
    model = _model("multiclass", booster, 1.0).fit(X, y)
    adapter = model.members_[0].booster
    frame = X.copy()
    if booster == "xgboost":
        data = xgb.DMatrix(frame, enable_categorical=True)
        reference = adapter.model_.get_booster().predict(data, pred_contribs=True)
    else:
        reference = adapter.model_.predict(frame, pred_contrib=True).reshape(len(X), 3, -1)
    shap = tree_contributions(adapter, frame)
    np.testing.assert_allclose(shap, reference, atol=1e-12)
    table = model.explain(X)
    np.testing.assert_allclose(table[1].iloc[:, :4], shap[:, 1, :4], atol=1e-12)
    # SHAP adds up over trees: two stretches of rounds give the values of all rounds
    halves = tree_contributions(adapter, frame, 0, 10) + tree_contributions(adapter, frame, 10)
    np.testing.assert_allclose(halves[..., :-1], shap[..., :-1], atol=1e-5)  # float32
    # the trees' bias differs from the library's only by float32 rounding (XGBoost's
    # bias column holds the starting margin, which replaces its base_score)
    z = _prior(model, frame)
    library_bias = shap[..., -1]
    if booster == "xgboost":
        data = xgb.DMatrix(frame, base_margin=z, enable_categorical=True)
        library_bias = adapter.model_.get_booster().predict(data, pred_contribs=True)[..., -1] - z
    np.testing.assert_allclose(table.xs("bias", axis=1, level=1), library_bias, atol=2e-5)
    # and a row's SHAP values with that bias sum to the trees' part of the margin
    trees = adapter.predict_margin(frame, z) - z
    np.testing.assert_allclose(shap[..., :-1].sum(axis=-1) + library_bias, trees, atol=2e-5)


@pytest.mark.parametrize("booster", BOOSTERS)
@pytest.mark.parametrize("start, end", [(0, 0), (3, 3), (8, 4), (-2, None), (0, 26), (0, 2.5)])
def test_tree_contributions_refuses_a_range_that_is_not_of_rounds(booster, start, end):
    # the libraries read an empty, negative or too long range as all rounds: LightGBM's
    # (0, 0), (3, 3), (-2, None) and (0, 26) gave every tree's values; XGBoost raised
    # its own errors with a C++ stack trace, or gave all rounds for (0, 0)
    X, y = _data("binary")
    adapter = _model("binary", booster, 0).fit(X, y).members_[0].booster
    assert adapter.n_rounds_ == 25
    with pytest.raises(ValueError) as err:
        tree_contributions(adapter, X, start, end)
    end = 25 if end is None else end  # None: all rounds
    assert str(err.value) == (
        f"tree_contributions: start={start!r}, end={end!r} is not a range of this "
        "booster's rounds: pass integers with 0 <= start < end <= 25."
    )
    last = tree_contributions(adapter, X, 24, np.int64(25))  # the last round alone
    before = tree_contributions(adapter, X, 0, 24)
    every = tree_contributions(adapter, X)
    np.testing.assert_allclose(before[:, :-1] + last[:, :-1], every[:, :-1], atol=1e-5)  # f32


def test_numpy_input_names_columns_and_errors():
    X, y = _data("regression")
    values = X.drop(columns="city").to_numpy()
    model = _model("regression", "xgboost", 0.5).fit(values, y)
    table = model.explain(values[:7])
    assert list(table.columns) == ["x0", "x1", "x2", "prior", "bias"]
    assert list(table.index) == list(range(7))
    with pytest.raises(ValueError, match="features"):
        model.explain(values[:, :2])
    clash = X.rename(columns={"noise": "bias"})
    fitted = _model("binary", "xgboost", 0.5).fit(clash, _data("binary")[1])
    with pytest.raises(ValueError, match="named 'bias'"):
        explain(fitted, clash)
    with pytest.raises(Exception, match="not fitted"):
        explain(_model("binary", "xgboost", 0.5), X)
    with pytest.raises(TypeError, match="takes a fitted llmboost estimator.*got Logistic"):
        explain(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), [[0.5]])


def test_a_class_a_pipeline_or_a_search_is_told_what_to_explain():
    # both said only "got ABCMeta" / "got Pipeline"
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = _data("binary")
    X = X.drop(columns="city")
    with pytest.raises(TypeError, match=r"got the class PriorBoostClassifier: pass a fitted "):
        explain(PriorBoostClassifier, X)
    # any other class was told to "pass a fitted instance" of itself too
    with pytest.raises(TypeError, match=r"got the class LogisticRegression\.$"):
        explain(LogisticRegression, X)
    pipe = make_pipeline(StandardScaler(), _model("binary", "xgboost", 0.5)).fit(X, y)
    with pytest.raises(TypeError) as error:
        explain(pipe, X)
    assert str(error.value).endswith(
        "got Pipeline: explain its last step, explain(pipe[-1], pipe[:-1].transform(X))."
    )
    # a search said only "got GridSearchCV"
    search = GridSearchCV(_model("binary", "xgboost", 0.5), {"scale": [0.5]}, cv=2).fit(X, y)
    with pytest.raises(TypeError) as error:
        explain(search, X)
    assert str(error.value).endswith(
        "got GridSearchCV: explain its refit model, explain(search.best_estimator_, X)."
    )
    assert explain(search.best_estimator_, X).shape == (len(X), X.shape[1] + 2)
    table = explain(pipe[-1], pipe[:-1].transform(X))  # as the message says
    np.testing.assert_allclose(table.sum(axis=1), pipe.decision_function(X), atol=1e-6)
    with pytest.raises(TypeError, match=r"got Pipeline\.$"):  # no llmboost step: no hint
        explain(make_pipeline(StandardScaler()).fit(X), X)


def test_multi_output_trees_are_refused_by_name():
    # XGBoost itself fails deep in its predictor with a C++ stack trace
    X, y = _data("multiclass")
    X = X.drop(columns="city")  # XGBoost's multi-output trees take no categories
    model = _model("multiclass", "xgboost", 0.5)
    model.set_params(booster_params={"n_estimators": 5, "multi_strategy": "multi_output_tree"})
    model.fit(X, y)
    with pytest.raises(ValueError, match="no SHAP values for multi-output trees"):
        model.explain(X)


@pytest.mark.parametrize("key", ["linear_tree", "linear_trees"])
def test_lightgbm_linear_trees_are_refused_by_name(key):
    # LightGBM's LightGBMError and its [Fatal] line came through
    X, y = _data("binary")
    model = _model("binary", "lightgbm", 0.5)
    model.set_params(booster_params={"n_estimators": 5, key: True}).fit(X, y)
    with pytest.raises(ValueError, match="no SHAP values for linear trees"):
        model.explain(X)


def test_plots_show_the_prior_as_one_bar_and_end_at_the_margin(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from llmboost.plot import importance, plot_importance, plot_waterfall

    X, y = _data("binary")
    model = _model("binary", "xgboost", 1.0).fit(X, y)
    table = model.explain(X)
    scores = importance(table)
    assert set(scores.index) == {"age", "income", "city", "noise", "prior"}
    np.testing.assert_allclose(scores["prior"], table["prior"].abs().mean())
    ax = plot_importance(table)
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == scores.index[0]
    row = X.index[3]
    ax = plot_waterfall(table, row=row, top=2)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "prior" and len(labels) == 4 and labels[-1] == "2 other features"
    last = ax.patches[-1]  # the final bar ends at the row's margin
    np.testing.assert_allclose(last.get_x() + last.get_width(), model.decision_function(X)[3])
    ax.figure.savefig(tmp_path / "w.png")

    multi = _model("multiclass", "lightgbm", 1.0).fit(*_data("multiclass"))
    mtable = multi.explain(X)
    assert set(importance(mtable).index) == {"age", "income", "city", "noise", "prior"}
    with pytest.raises(ValueError, match=r"cls=None: a multiclass table needs one of"):
        plot_waterfall(mtable, row=row)
    with pytest.raises(ValueError, match=r"cls='banana': a multiclass table needs one of"):
        plot_waterfall(mtable, row=row, cls="banana")
    with pytest.raises(ValueError, match="cls=2 applies to multiclass tables only"):
        plot_waterfall(table, row=row, cls=2)
    with pytest.raises(ValueError, match=r"row=-1 is not in the table's index"):
        plot_waterfall(table, row=-1)
    with pytest.raises(ValueError, match="row=0 labels 2 rows"):
        plot_waterfall(table.iloc[[0, 1]].set_axis([0, 0]))
    with pytest.raises(ValueError, match="has no rows"):
        plot_importance(table.iloc[:0])
    with pytest.raises(ValueError, match=r"row=\[1, 2\] is not in the table's index"):
        plot_waterfall(table, row=[1, 2])  # was TypeError: unhashable type: 'list'
    with pytest.raises(ValueError, match="no 'bias' column: pass the table that explain"):
        importance(table.drop(columns="bias"))  # was KeyError: 'bias'
    for top in (0, -1, 2.5):  # -1 drew every feature but one, under a wrong label
        with pytest.raises(ValueError, match=rf"top={top}: pass the number of bars"):
            plot_waterfall(table, row=row, top=top)
        with pytest.raises(ValueError, match=rf"top={top}: pass the number of bars"):
            plot_importance(table, top=top)
    first = plot_waterfall(table.iloc[5:])  # row=None: the first row, whatever its label
    assert first.get_title() == f"Row {X.index[5]}"
    ax = plot_waterfall(mtable, row=row, cls=2)
    last = ax.patches[-1]
    np.testing.assert_allclose(
        last.get_x() + last.get_width(), multi.decision_function(X)[3, 2], atol=1e-9
    )


def test_waterfall_shows_the_prior_and_counts_only_features_as_others():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from llmboost.plot import plot_waterfall

    # trees alone: the prior is 0 and sorted last; it went into "3 other features"
    # when only two features were left, and top=2 showed one feature beside the prior
    X, y = _data("binary")
    table = _model("binary", "xgboost", 0).fit(X, y).explain(X)
    labels = [t.get_text() for t in plot_waterfall(table, top=2).get_yticklabels()]
    assert labels[0] == "prior" and labels[-1] == "2 other features"
    assert len(labels) == 4 and set(labels[1:3]) <= {"age", "income", "city", "noise"}


def test_waterfall_titles_a_multiindex_row_as_written():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from llmboost.plot import plot_waterfall

    # the title read "Row ('a', np.int64(1000))": the numpy scalar inside the label
    X, y = _data("binary")
    X.index = pd.MultiIndex.from_tuples([("a", i) for i in X.index], names=["group", "id"])
    table = _model("binary", "xgboost", 1.0).fit(X, y).explain(X)
    assert plot_waterfall(table).get_title() == "Row ('a', 1000)"
    assert plot_waterfall(table, row=("a", np.int64(1003))).get_title() == "Row ('a', 1003)"
