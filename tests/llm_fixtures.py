"""Tiny random language models for tests: no downloads, built in well under a second.

A byte-level BPE tokenizer is trained with the ``tokenizers`` library on a few
sentences, then wrapped for transformers; a 2-layer GPT-2 or T5 of width 32 with
random weights is saved next to it (or a 1-layer BART), so ``from_pretrained(folder)`` loads both. A
2-layer Llama of width 32 can also be written as a GGUF file (float32 tensors).
"""

from __future__ import annotations

import json
from pathlib import Path

CORPUS = [
    "Given the following data, you must predict the value of target.",
    "Answer with one of the following: no | yes.",
    "Answer: yes",
    "Answer: no",
    "age: 40\nsex: M\nchest pain: ATA\ncholesterol: 289\noldpeak: 0.5",
    "colour: red | green | blue. Very good, good, acceptable, unacceptable.",
    "0 1 2 3 4 5 6 7 8 9 10 0.25 3.14 -1.5 100 1000",
    "yes",
    "no",
    "unacceptable",
] * 20

SPECIAL = ["<pad>", "</s>", "<s>", "<|im_start|>", "<|im_end|>"]

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def build_tokenizer(vocab_size: int = 400, chat: bool = False, metaspace: bool = False):
    """A byte-level BPE tokenizer trained on :data:`CORPUS`, as a transformers tokenizer;
    with ``metaspace``, SentencePiece's word marks (``▁`` before a text, as Llama's)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    if metaspace:
        tok.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme="first")
        tok.decoder = decoders.Metaspace(prepend_scheme="first")
        alphabet = [chr(i) for i in range(32, 127)] + ["\n", "▁"]
    else:
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        alphabet = pre_tokenizers.ByteLevel.alphabet()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL,
        initial_alphabet=alphabet,
        show_progress=False,
    )
    tok.train_from_iterator(CORPUS, trainer)
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="<pad>",
        eos_token="</s>",
        bos_token="<s>",
    )
    if chat:
        wrapped.chat_template = CHAT_TEMPLATE
    return wrapped


def _save(model_class, config, tokenizer, folder: Path, seed: int) -> Path:
    """Build ``model_class(config)`` with seeded random weights; save it and the tokenizer."""
    import torch

    torch.manual_seed(seed)
    model = model_class(config)
    folder = Path(folder)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_gpt2(folder: Path, chat: bool = False, seed: int = 0, tokenizer=None) -> Path:
    """Save a random 2-layer GPT-2 (width 32) and its tokenizer (default
    :func:`build_tokenizer`) in ``folder``."""
    from transformers import GPT2Config, GPT2LMHeadModel

    tokenizer = tokenizer or build_tokenizer(chat=chat)
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=512,
        n_embd=32,
        n_layer=2,
        n_head=2,
        initializer_range=0.3,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return _save(GPT2LMHeadModel, config, tokenizer, folder, seed)


def build_llama(folder: Path, seed: int = 0) -> Path:
    """Save a random 2-layer Llama (width 32, feed-forward 8: a token's memory is mostly
    its KV cache) and its tokenizer in ``folder``."""
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = build_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=8,
        num_hidden_layers=2,
        num_attention_heads=2,
        max_position_embeddings=1024,
        initializer_range=0.3,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return _save(LlamaForCausalLM, config, tokenizer, folder, seed)


def build_mamba(folder: Path, seed: int = 0) -> Path:
    """Save a random 2-layer Mamba (width 32, a recurrent state that cannot be copied per
    row) and the default tokenizer in ``folder``."""
    from transformers import MambaConfig, MambaForCausalLM

    tok = build_tokenizer()
    config = MambaConfig(
        vocab_size=len(tok), hidden_size=32, state_size=4, num_hidden_layers=2,
        pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
    )  # fmt: skip
    return _save(MambaForCausalLM, config, tok, folder, seed)


def build_t5(folder: Path, seed: int = 0) -> Path:
    """Save a random 2-layer T5 (width 32) and its tokenizer in ``folder``."""
    from transformers import T5Config, T5ForConditionalGeneration

    tokenizer = build_tokenizer()
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=32,
        d_kv=16,
        d_ff=64,
        num_layers=2,
        num_decoder_layers=2,
        num_heads=2,
        initializer_factor=1.0,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )
    return _save(T5ForConditionalGeneration, config, tokenizer, folder, seed)


def build_bart(folder: Path, seed: int = 0) -> Path:
    """Save a random 1-layer BART (width 32) whose generation forces ``<s>`` as first token."""
    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    tokenizer = build_tokenizer()
    ids = {k: getattr(tokenizer, f"{k}_token_id") for k in ("bos", "eos", "pad")}
    config = BartConfig(
        vocab_size=len(tokenizer),
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=512,
        init_std=0.3,
        decoder_start_token_id=ids["eos"],
        **{f"{k}_token_id": v for k, v in ids.items()},
    )
    torch.manual_seed(seed)
    model = BartForConditionalGeneration(config)
    model.generation_config.forced_bos_token_id = ids["bos"]
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return Path(folder)


def build_gguf(path: Path, seed: int = 0) -> Path:
    """Write a random 2-layer Llama (width 32, float32) and the chat tokenizer as a GGUF file."""
    import gguf
    import numpy as np

    tokenizer = build_tokenizer(chat=True)
    state = json.loads(tokenizer.backend_tokenizer.to_str())
    added = {t["id"]: t["content"] for t in state["added_tokens"]}
    vocab = {i: t for t, i in state["model"]["vocab"].items()} | added
    n, width, ff, layers = len(tokenizer), 32, 64, 2
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_context_length(512)
    writer.add_embedding_length(width)
    writer.add_block_count(layers)
    writer.add_feed_forward_length(ff)
    writer.add_head_count(2)
    writer.add_head_count_kv(2)
    writer.add_rope_dimension_count(width // 2)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list([vocab[i] for i in range(n)])
    writer.add_token_types([3 if i in added else 1 for i in range(n)])
    writer.add_token_merges(
        [m if isinstance(m, str) else " ".join(m) for m in state["model"]["merges"]]
    )
    writer.add_bos_token_id(tokenizer.bos_token_id)
    writer.add_eos_token_id(tokenizer.eos_token_id)
    writer.add_pad_token_id(tokenizer.pad_token_id)
    writer.add_chat_template(tokenizer.chat_template)
    rng = np.random.default_rng(seed)
    shapes = {"token_embd": (n, width), "output_norm": (width,), "output": (n, width)}
    for i in range(layers):
        shapes |= {f"blk.{i}.{k}_norm": (width,) for k in ("attn", "ffn")}
        shapes |= {f"blk.{i}.attn_{k}": (width, width) for k in ("q", "k", "v", "output")}
        shapes |= {f"blk.{i}.ffn_gate": (ff, width), f"blk.{i}.ffn_up": (ff, width)}
        shapes[f"blk.{i}.ffn_down"] = (width, ff)
    for name, shape in shapes.items():
        values = np.ones(shape) if len(shape) == 1 else rng.normal(scale=0.3, size=shape)
        writer.add_tensor(f"{name}.weight", values.astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return Path(path)
