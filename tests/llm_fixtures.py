"""Tiny random language models for tests: no downloads, built in well under a second.

A byte-level BPE tokenizer is trained with the ``tokenizers`` library on a few
sentences, then wrapped for transformers; a 2-layer GPT-2 or T5 of width 32 with
random weights is saved next to it, so ``from_pretrained(folder)`` loads both.
"""

from __future__ import annotations

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


def build_tokenizer(vocab_size: int = 400, chat: bool = False):
    """A byte-level BPE tokenizer trained on :data:`CORPUS`, as a transformers tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
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


def build_gpt2(folder: Path, chat: bool = False, seed: int = 0) -> Path:
    """Save a random 2-layer GPT-2 (width 32) and its tokenizer in ``folder``."""
    from transformers import GPT2Config, GPT2LMHeadModel

    tokenizer = build_tokenizer(chat=chat)
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
