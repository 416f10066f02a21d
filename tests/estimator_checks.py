"""Expectations shared by the scikit-learn estimator checks of the PriorBoost estimators."""

# Weights are not repetitions here: repeating a row changes which fold each copy lands
# in (the out-of-fold prior and the search), so the two fits legitimately differ.
WEIGHTS_ARE_NOT_REPEATS = {
    "check_sample_weight_equivalence_on_dense_data": "folds differ between repeats and weights"
}
