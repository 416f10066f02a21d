"""Expectations shared by the scikit-learn estimator checks of the PriorBoost estimators."""

import numpy as np
from sklearn.base import clone

# Weights are not repetitions here: repeating a row changes which fold each copy lands
# in (the out-of-fold prior and the search), so the two fits legitimately differ.
WEIGHTS_ARE_NOT_REPEATS = {
    "check_sample_weight_equivalence_on_dense_data": "folds differ between repeats and weights"
}
#: A few float32 ulps (eps is 1.2e-7): the tolerance of outputs a float32 model gives.
FLOAT32_ULPS = 1e-6


def check_subset_invariance_float32(name, estimator_orig):
    """scikit-learn's ``check_methods_subset_invariance`` with a float32 tolerance.

    A float32 network's output for a row can change in its last bit with the rows that
    share its forward pass (TabPFN's regression mean: one ulp, 2.4e-7, on an Intel Xeon;
    none on an AMD EPYC). scikit-learn's check allows 1e-7.
    """
    rng = np.random.RandomState(0)
    X = 3 * rng.uniform(size=(20, 3))
    y = X[:, 0].astype(int)
    estimator = clone(estimator_orig).fit(X, y)
    for method in ("predict", "decision_function", "predict_proba"):
        if hasattr(estimator, method):
            full = getattr(estimator, method)(X)
            by_row = np.concatenate([getattr(estimator, method)(row[None, :]) for row in X])
            np.testing.assert_allclose(
                full, by_row, rtol=FLOAT32_ULPS, atol=FLOAT32_ULPS, err_msg=f"{name}.{method}"
            )
