"""Shared fixtures: small synthetic tables."""

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def mixed_frame():
    """A table with numeric, categorical and text columns, missing values and text labels."""
    rng = np.random.default_rng(0)
    n = 120
    X = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n).astype(float),
            "income": rng.normal(50, 10, n),
            "city": pd.Categorical(rng.choice(["Paris", "Rome", "Oslo"], n)),
            "job": rng.choice(["nurse", "clerk", "pilot"], n).astype(object),
        }
    )
    X.loc[::7, "income"] = np.nan
    X.loc[::11, "job"] = None
    y = np.where(X["age"] + 5 * (X["city"] == "Rome") > 50, "yes", "no")
    return X, y


@pytest.fixture
def lightgbm_splits():
    """A function giving the (feature, decision type) of every split of a LightGBM
    member's trees."""

    def splits(booster) -> set:
        found = set()
        stack = [t["tree_structure"] for t in booster.model_.booster_.dump_model()["tree_info"]]
        while stack:
            node = stack.pop()
            if "split_feature" in node:
                found.add((node["split_feature"], node["decision_type"]))
                stack += [node["left_child"], node["right_child"]]
        return found

    return splits
