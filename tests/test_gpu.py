"""GPU paths, marked ``gpu``: each test skips without a CUDA device (and the CUDA build it needs).

Run them with ``python -m pytest -m gpu tests/test_gpu.py -rs`` (``benchmarks/gpu_check.sh``
does). GPU and CPU kernels sum in other orders, so results are compared with tolerances.
"""

import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

pytestmark = pytest.mark.gpu


def _torch_cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def _xgboost_cuda() -> bool:
    try:
        import xgboost
    except ImportError:
        return False
    gpu = _torch_cuda() or shutil.which("nvidia-smi") is not None
    return gpu and bool(xgboost.build_info().get("USE_CUDA"))


needs_torch_cuda = pytest.mark.skipif(
    not _torch_cuda(), reason="needs an NVIDIA GPU and a CUDA build of torch"
)
needs_xgboost_cuda = pytest.mark.skipif(
    not _xgboost_cuda(),
    reason="needs an NVIDIA GPU and the full xgboost wheel (not xgboost-cpu): see README",
)


def table(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 6)), columns=[f"f{j}" for j in range(6)])
    X["colour"] = rng.choice(["red", "green", "blue"], n)
    logit = X["f0"] - X["f1"] * X["f2"] + (X["colour"] == "red")
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


@needs_xgboost_cuda
def test_xgboost_cuda_fusion_matches_cpu():
    from llmboost import PriorBoostClassifier

    X, y = table()
    cpu = PriorBoostClassifier(scale=0.5, random_state=0).fit(X[:1500], y[:1500])
    gpu = PriorBoostClassifier(scale=0.5, booster_params={"device": "cuda"}, random_state=0).fit(
        X[:1500], y[:1500]
    )
    assert gpu.booster_.params["device"] == "cuda"
    config = gpu.booster_.model_.get_booster().save_config()
    assert '"device":"cuda' in config.replace(" ", "")
    # XGBoost's GPU and CPU hist build their quantiles, histograms and categorical splits
    # in other ways, so the trees differ: on this table (H200) the probabilities correlate
    # at 0.987 (largest difference 0.16) and the test AUC is 0.785 against 0.789.
    p_gpu, p_cpu = (m.predict_proba(X[1500:])[:, 1] for m in (gpu, cpu))
    assert np.corrcoef(p_gpu, p_cpu)[0, 1] > 0.95
    auc_gpu, auc_cpu = (roc_auc_score(y[1500:], p) for p in (p_gpu, p_cpu))
    assert abs(auc_gpu - auc_cpu) < 0.02
    searched = PriorBoostClassifier(
        scale=[0, 0.3, "prior"], cv=3, booster_params={"device": "cuda"}, random_state=0
    ).fit(X[:1500], y[:1500])
    assert searched.cv_results_ is not None and searched.booster_.params["device"] == "cuda"
    from llmboost import BundledPFNPrior, PFNBoostClassifier

    both = PFNBoostClassifier(prior=BundledPFNPrior(), scale=0.5, device="cuda", random_state=0)
    both.fit(X[:500], y[:500])  # one parameter puts the prior and the trees on the GPU
    assert both.prior_.device == "cuda" and both.booster_.params["device"] == "cuda"
    assert both.predict_proba(X[1500:]).shape == (500, 2)


@needs_torch_cuda
def test_llm_prior_on_cuda_in_bfloat16(tmp_path):
    import torch
    from llm_fixtures import build_gpt2

    from llmboost import LLMPrior

    X, y = table(n=40)
    y = np.where(y == 1, "yes", "no")
    path = str(build_gpt2(tmp_path / "gpt2"))
    cpu = LLMPrior(path, device="cpu", dtype="float32", cache_dir=False, progress=False)
    gpu = LLMPrior(path, device="auto", cache_dir=False, progress=False).fit(X, y)
    z_gpu = gpu.logits(X)
    assert gpu._rt.device.type == "cuda" and gpu._rt.dtype == torch.bfloat16
    # bfloat16 keeps 8 significant bits: as in test_llm_prior, 0.15 on log-probabilities.
    np.testing.assert_allclose(z_gpu, cpu.fit(X, y).logits(X), atol=0.15)


@needs_torch_cuda
def test_bundled_pfn_on_cuda_matches_cpu():
    from llmboost import BundledPFNPrior
    from llmboost._validation import to_frame

    X, y = table(n=600)
    X = to_frame(X)
    cpu = BundledPFNPrior(random_state=0).fit(X[:500], y[:500]).logits(X[500:])
    gpu = BundledPFNPrior(random_state=0, device="cuda").fit(X[:500], y[:500])
    # float32 on both; GPU matrix products sum in another order.
    z = gpu.logits(X[500:])
    np.testing.assert_allclose(z, cpu, atol=1e-3)
    # the first call kept the encoded context on the GPU; one row is scored against it
    groups = gpu._encoded[1][-1]
    assert all(context[1].device.type == "cuda" for _, context in groups)
    np.testing.assert_allclose(gpu.logits(X[500:501]), z[:1], atol=1e-4)


@needs_torch_cuda
def test_tabpfn_prior_on_cuda(tmp_path):
    pytest.importorskip("tabpfn")
    from tabpfn_fixtures import build_checkpoint

    from llmboost import TabPFNPrior
    from llmboost._validation import to_frame

    X, y = table(n=600)
    X = to_frame(X)
    path = build_checkpoint(tmp_path / "tabpfn-v2-classifier.ckpt")
    kw = dict(model_path=str(path), n_estimators=1, random_state=0)
    gpu = TabPFNPrior(device="cuda", **kw).fit(X[:500], y[:500])
    z = gpu.logits(X[500:])
    assert gpu.device_.startswith("cuda") and z.shape == (100, 2) and np.isfinite(z).all()
    # class log-probabilities: each row's probabilities sum to 1 (float32 softmax)
    np.testing.assert_allclose(np.exp(z).sum(axis=1), 1.0, atol=1e-4)
    # the same on a second fit with the same seed (GPU kernels here are deterministic)
    again = TabPFNPrior(device="cuda", **kw).fit(X[:500], y[:500]).logits(X[500:])
    np.testing.assert_allclose(again, z, rtol=0, atol=1e-6)
    # not compared with the CPU: TabPFN draws its random feature embeddings with a
    # generator on the data's device, so CPU and GPU differ by design (0.06 on an H200)


@needs_xgboost_cuda
def test_dask_estimator_trains_on_the_gpu():
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    from llmboost import PriorBoostClassifier
    from llmboost.dask import DaskPriorBoostClassifier

    X, y = table(n=1000)
    y = pd.Series(y, name="y")
    kw = dict(scale=0.5, booster_params={"device": "cuda"}, random_state=0)
    local = PriorBoostClassifier(**kw).fit(X, y)
    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None) as c,
        distributed.Client(c),
    ):
        model = DaskPriorBoostClassifier(**kw).fit(
            dd.from_pandas(X, npartitions=2), dd.from_pandas(y, npartitions=2)
        )
        proba = model.predict_proba(dd.from_pandas(X, npartitions=2)).compute()
    assert model.booster_.dask_model_.get_params()["device"] == "cuda"
    np.testing.assert_allclose(proba, local.predict_proba(X), atol=1e-3)
