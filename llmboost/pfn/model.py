"""A compact prior-data fitted network (PFN) for tabular classification and regression.

The table is a grid of cell tokens ``(batch, rows, features + 1, width)``; the extra
column is the target. Each layer alternates

1. attention across the columns of a row (features and target talk to each other),
2. attention across the rows of a column, where every row (training or test) attends
   to the training rows only, so training rows attend among themselves and test rows
   read from the training rows but never from each other,
3. a per-cell MLP,

all pre-norm with residuals. Training rows carry their label in the target column
(a learned class embedding); test rows carry a learned "unknown" vector there, and the
class logits are read off the test rows' target cells. A regression model
(``task="regression"``) embeds the training rows' standardised target value instead of
a class and reads logits over ``n_bins`` target bins (a bar distribution, as in TabPFN:
:func:`bin_borders`) off the same cells.

Cell inputs are computed inside the model from raw values, with statistics of the
training rows only: a standardised value (clipped), a rank-based normal score, a
missing indicator and a categorical flag. A random per-feature embedding (drawn per
forward pass, seedable) lets the column attention tell features apart. The model is
equivariant to feature order and takes any number of features; classes are capped at
:data:`~llmboost.pfn.prior_data.MAX_CLASSES`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .prior_data import MAX_CLASSES


@dataclass
class PFNConfig:
    """Architecture hyper-parameters (stored in every checkpoint)."""

    width: int = 64
    layers: int = 3
    heads: int = 4
    mlp_ratio: int = 2
    feature_embed: int = 16
    max_classes: int = MAX_CLASSES
    #: Also add the label embedding to every feature cell of a training row (a shorter
    #: path from labels to test rows, which speeds up learning on a small budget).
    label_to_cells: bool = True
    #: ``"classification"`` (class logits) or ``"regression"`` (logits over target bins).
    task: str = "classification"
    #: Target bins of a regression model (see :func:`bin_borders`).
    n_bins: int = 0

    @property
    def n_outputs(self) -> int:
        """Outputs of the head.

        Returns
        -------
        int
            ``n_bins`` for regression, else ``max_classes``.
        """
        return self.n_bins if self.task == "regression" else self.max_classes

    def to_dict(self) -> dict:
        """The configuration as plain values (what checkpoints store).

        Returns
        -------
        dict
        """
        return asdict(self)


N_INPUT_CHANNELS = 4
_CLIP = 5.0
#: Standardised targets are clipped to this range; the outer bins end there.
TARGET_CLIP = 4.0


def bin_borders(n_bins: int) -> torch.Tensor:
    """``n_bins + 1`` borders of the regression bins, in standardised target units.

    The inner borders are normal quantiles (so a standard normal target fills the bins
    evenly); the outer two are ``-TARGET_CLIP`` and ``+TARGET_CLIP``.

    Parameters
    ----------
    n_bins : int

    Returns
    -------
    Tensor of shape (n_bins + 1,)
    """
    u = torch.linspace(0, 1, n_bins + 1, dtype=torch.float64)[1:-1]
    inner = math.sqrt(2) * torch.erfinv(2 * u - 1)
    inner = inner.clamp(-TARGET_CLIP + 1e-3, TARGET_CLIP - 1e-3)
    edge = torch.tensor([TARGET_CLIP], dtype=torch.float64)
    return torch.cat([-edge, inner, edge]).float()


def target_bins(y: torch.Tensor, borders: torch.Tensor) -> torch.Tensor:
    """Bin index of each standardised target (clipped into the outer bins).

    Parameters
    ----------
    y : Tensor
        Standardised targets.
    borders : Tensor
        From :func:`bin_borders`.

    Returns
    -------
    Tensor of int64, shaped like ``y``
    """
    inner = borders[1:-1].contiguous()
    return torch.bucketize(y.clamp(-TARGET_CLIP, TARGET_CLIP).contiguous(), inner)


def _power_of_two_scale(train: torch.Tensor, finite: torch.Tensor) -> torch.Tensor:
    """Per column ``2 ** -e`` with the largest finite training magnitude in [2**(e-1), 2**e)."""
    magnitude = torch.where(finite, train.abs(), torch.zeros_like(train)).amax(1, keepdim=True)
    exponent = torch.frexp(magnitude.float()).exponent.clamp(-125, 126)
    # the float32 bits of 2 ** -exponent: exact, where a pow or exp2 kernel may round
    return ((127 - exponent) << 23).view(torch.float32).to(train.dtype)


def cell_inputs(x: torch.Tensor, categorical: torch.Tensor, n_train: int) -> torch.Tensor:
    """Per-cell input channels from raw values, using training-row statistics only.

    Parameters
    ----------
    x : Tensor of shape (B, N, F)
        Raw values, NaN for missing.
    categorical : Tensor of bool, shape (B, F)
    n_train : int
        The first ``n_train`` rows are the training rows.

    Returns
    -------
    Tensor of shape (B, N, F, 4)
        Clipped z-score, rank normal score, missing flag, categorical flag. Missing cells
        get 0 in both value channels. Each column is first scaled by the power of two
        that brings its largest training magnitude into [0.5, 1): exact, so neither
        channel changes, while the constant-column guard becomes relative to the column's
        magnitude and its variance cannot overflow.
    """
    return cells_from_stats(x, categorical, column_stats(x[:, :n_train]))


def column_stats(train: torch.Tensor) -> tuple:
    """What :func:`cell_inputs` reads from the training rows ``(B, n_train, F)``."""
    finite = ~torch.isnan(train)
    scale = _power_of_two_scale(train, finite)
    train = train * scale
    count = finite.sum(1, keepdim=True).clamp(min=1)
    filled = torch.where(finite, train, torch.zeros_like(train))
    mean = filled.sum(1, keepdim=True) / count
    var = (torch.where(finite, train - mean, torch.zeros_like(train)) ** 2).sum(1, keepdim=True)
    std = (var / count).sqrt()
    std = torch.where(std > 1e-6, std, torch.ones_like(std))
    b, n_train, f = train.shape
    keys = torch.where(finite, train, torch.full_like(train, float("inf")))
    keys = keys.permute(0, 2, 1).reshape(b * f, n_train).sort(dim=1).values.contiguous()
    return scale, mean, std, keys, count


def cells_from_stats(x: torch.Tensor, categorical: torch.Tensor, stats: tuple) -> torch.Tensor:
    """:func:`cell_inputs` of rows ``x`` ``(B, N, F)`` from :func:`column_stats`."""
    scale, mean, std, keys, count = stats
    missing = torch.isnan(x)
    x = x * scale
    z = ((x - mean) / std).clamp(-_CLIP, _CLIP)
    # Rank score: mid-rank of each value among the finite training values.
    b, n, f = x.shape
    vals = torch.where(missing, torch.zeros_like(x), x).permute(0, 2, 1).reshape(b * f, n)
    vals = vals.contiguous()
    lo = torch.searchsorted(keys, vals, right=False)
    hi = torch.searchsorted(keys, vals, right=True)
    m = count.permute(0, 2, 1).reshape(b * f, 1).to(x.dtype)
    rank = (lo + hi).to(x.dtype) / 2
    u = ((rank + 0.5) / (m + 1)).clamp(1e-4, 1 - 1e-4)
    r = (math.sqrt(2) * torch.erfinv(2 * u - 1)).reshape(b, f, n).permute(0, 2, 1)
    z = torch.where(missing, torch.zeros_like(z), z)
    r = torch.where(missing, torch.zeros_like(r), r)
    cat = categorical[:, None, :].expand(b, n, f).to(x.dtype)
    return torch.stack([z, r, missing.to(x.dtype), cat], dim=-1)


class _Attention(nn.Module):
    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(width, width)
        self.kv = nn.Linear(width, 2 * width)
        self.out = nn.Linear(width, width)

    def forward(self, q_in: torch.Tensor, kv_in: torch.Tensor) -> torch.Tensor:
        return self.attend(q_in, *self.keys(kv_in))

    def keys(self, kv_in: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Keys and values ``(S, heads, n, width / heads)`` of ``kv_in`` ``(S, n, width)``."""
        s, n, w = kv_in.shape
        h = self.heads
        k, v = self.kv(kv_in).view(s, n, 2, h, w // h).permute(2, 0, 3, 1, 4)
        return k, v

    def attend(self, q_in: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        s, n, w = q_in.shape
        h = self.heads
        q = self.q(q_in).view(s, n, h, w // h).transpose(1, 2)
        o = F.scaled_dot_product_attention(q, k, v)
        return self.out(o.transpose(1, 2).reshape(s, n, w))


class _Layer(nn.Module):
    def __init__(self, cfg: PFNConfig) -> None:
        super().__init__()
        w = cfg.width
        self.norm_col = nn.LayerNorm(w)
        self.col_attn = _Attention(w, cfg.heads)
        self.norm_row = nn.LayerNorm(w)
        self.row_attn = _Attention(w, cfg.heads)
        self.norm_mlp = nn.LayerNorm(w)
        self.mlp = nn.Sequential(
            nn.Linear(w, cfg.mlp_ratio * w), nn.GELU(), nn.Linear(cfg.mlp_ratio * w, w)
        )

    def forward(self, h: torch.Tensor, n_train: int) -> torch.Tensor:
        h = self._columns(h)
        t = self._row_input(h)
        return self._rows(h, t, self.row_attn.keys(t[:, :n_train]))

    def encode(self, h: torch.Tensor) -> tuple[torch.Tensor, tuple]:
        """``forward`` of training rows ``h`` alone, and the row attention's keys.

        Training rows attend to training rows only, so their outputs do not depend on
        the test rows; :meth:`decode` scores test rows against the keys.
        """
        h = self._columns(h)
        t = self._row_input(h)
        kv = self.row_attn.keys(t)
        return self._rows(h, t, kv), kv

    def decode(self, h: torch.Tensor, kv: tuple) -> torch.Tensor:
        """``forward`` of test rows ``h`` given the training rows' keys from :meth:`encode`."""
        h = self._columns(h)
        return self._rows(h, self._row_input(h), kv)

    def _columns(self, h: torch.Tensor) -> torch.Tensor:
        """1. Attention across columns, within each row."""
        b, n, c, w = h.shape
        flat = self.norm_col(h).reshape(b * n, c, w)
        return h + self.col_attn(flat, flat).view(b, n, c, w)

    def _row_input(self, h: torch.Tensor) -> torch.Tensor:
        b, n, c, w = h.shape
        return self.norm_row(h).transpose(1, 2).reshape(b * c, n, w)

    def _rows(self, h: torch.Tensor, t: torch.Tensor, kv: tuple) -> torch.Tensor:
        """2. Attention across rows, within each column (keys: training rows); 3. MLP."""
        b, n, c, w = h.shape
        h = h + self.row_attn.attend(t, *kv).view(b, c, n, w).transpose(1, 2)
        return h + self.mlp(self.norm_mlp(h))

    def forward_target(self, h: torch.Tensor, n_train: int) -> torch.Tensor:
        """``forward(h, n_train)[:, n_train:, -1]`` (the test rows' target cells) only.

        The last layer's other outputs are never read, so only the target cells query
        the column attention and only the test rows' target cells query the row
        attention: the same values for a fraction of the work.
        """
        target = self._target(h)
        t = self.norm_row(target)
        out = target[:, n_train:] + self.row_attn(t[:, n_train:], t[:, :n_train])
        return out + self.mlp(self.norm_mlp(out))

    def encode_target(self, h: torch.Tensor) -> tuple:
        """The keys :meth:`forward_target`'s row attention reads from training rows ``h``."""
        return self.row_attn.keys(self.norm_row(self._target(h)))

    def decode_target(self, h: torch.Tensor, kv: tuple) -> torch.Tensor:
        """:meth:`forward_target` of test rows ``h`` given :meth:`encode_target`'s keys."""
        target = self._target(h)
        out = target + self.row_attn.attend(self.norm_row(target), *kv)
        return out + self.mlp(self.norm_mlp(out))

    def _target(self, h: torch.Tensor) -> torch.Tensor:
        """The target cells after the column attention (only they query it)."""
        b, n, c, w = h.shape
        flat = self.norm_col(h).reshape(b * n, c, w)
        return h[:, :, -1] + self.col_attn(flat[:, -1:], flat).view(b, n, w)


class TabPFNLite(nn.Module):
    """The compact PFN: ``forward(x, y_train, categorical)`` -> test-row logits.

    Class logits for a classification config; logits over the bins between
    ``borders`` (a buffer) for a regression config.
    """

    def __init__(self, cfg: PFNConfig | None = None) -> None:
        super().__init__()
        cfg = cfg or PFNConfig()
        self.cfg = cfg
        w = cfg.width
        self.cell = nn.Sequential(nn.Linear(N_INPUT_CHANNELS, w), nn.GELU(), nn.Linear(w, w))
        self.feature_embed = nn.Linear(cfg.feature_embed, w, bias=False)
        if cfg.task == "regression":
            self.target_embed = nn.Sequential(nn.Linear(1, w), nn.GELU(), nn.Linear(w, w))
            self.register_buffer("borders", bin_borders(cfg.n_bins))
        else:
            self.label_embed = nn.Embedding(cfg.max_classes, w)
        self.unknown = nn.Parameter(torch.zeros(w))
        self.cell_label = nn.Linear(w, w) if cfg.label_to_cells else None
        self.target_col = nn.Parameter(torch.zeros(w))
        self.layers = nn.ModuleList(_Layer(cfg) for _ in range(cfg.layers))
        self.norm_out = nn.LayerNorm(w)
        self.head = nn.Sequential(nn.Linear(w, 2 * w), nn.GELU(), nn.Linear(2 * w, cfg.n_outputs))

    def forward(
        self,
        x: torch.Tensor,
        y_train: torch.Tensor,
        categorical: torch.Tensor,
        n_classes: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        feature_noise: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits ``(B, n_test, n_outputs)`` for rows ``n_train:`` of ``x``.

        Parameters
        ----------
        x : Tensor of shape (B, N, F)
            Raw features, NaN for missing.
        y_train : Tensor of shape (B, n_train)
            Int labels of the first rows (classification) or their standardised float
            targets (regression).
        categorical : Tensor of bool, shape (B, F)
        n_classes : Tensor of shape (B,), default=None
            Classes at or beyond it get ``-inf``-like logits.
        generator : torch Generator, default=None
            Draws the random feature embeddings when ``feature_noise`` is None.
        feature_noise : Tensor of shape (B, F, feature_embed), default=None

        Returns
        -------
        Tensor of shape (B, n_test, n_outputs)
        """
        b, n, f = x.shape
        n_train = y_train.shape[1]
        cells = self.cell(cell_inputs(x, categorical, n_train))
        if feature_noise is None:
            feature_noise = torch.randn(
                b, f, self.cfg.feature_embed, generator=generator, device=x.device, dtype=x.dtype
            )
        cells = cells + self.feature_embed(feature_noise)[:, None]
        unknown = self.unknown.expand(b, n - n_train, -1)
        target = torch.cat([self._label_tokens(y_train, x.dtype), unknown], dim=1)
        h = self._tokens(cells, target)
        for layer in self.layers[:-1]:
            h = layer(h, n_train)
        return self._head(self.layers[-1].forward_target(h, n_train), n_classes)

    def encode(
        self,
        x: torch.Tensor,
        y_train: torch.Tensor,
        categorical: torch.Tensor,
        feature_noise: torch.Tensor,
    ) -> tuple:
        """What :meth:`decode` needs of the training rows: all of :meth:`forward`'s work
        on them, done once for any number of later test rows.

        Parameters
        ----------
        x : Tensor of shape (B, n_train, F)
            The training rows only.
        y_train, categorical, feature_noise
            As in :meth:`forward`.

        Returns
        -------
        tuple
            Column statistics, feature embeddings and each layer's row-attention keys.
        """
        stats = column_stats(x)
        embed = self.feature_embed(feature_noise)[:, None]
        cells = self.cell(cells_from_stats(x, categorical, stats)) + embed
        h = self._tokens(cells, self._label_tokens(y_train, x.dtype))
        keys = []
        for layer in self.layers[:-1]:
            h, kv = layer.encode(h)
            keys.append(kv)
        keys.append(self.layers[-1].encode_target(h))
        return stats, embed, keys

    def decode(
        self,
        context: tuple,
        x: torch.Tensor,
        categorical: torch.Tensor,
        n_classes: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """:meth:`forward`'s logits for test rows ``x`` ``(B, n_test, F)`` given the
        training rows' :meth:`encode` (equal up to floating-point rounding).

        Returns
        -------
        Tensor of shape (B, n_test, n_outputs)
        """
        stats, embed, keys = context
        cells = self.cell(cells_from_stats(x, categorical, stats)) + embed
        h = self._tokens(cells, self.unknown.expand(x.shape[0], x.shape[1], -1))
        for layer, kv in zip(self.layers[:-1], keys):
            h = layer.decode(h, kv)
        return self._head(self.layers[-1].decode_target(h, keys[-1]), n_classes)

    def _label_tokens(self, y_train: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        if self.cfg.task == "regression":
            y_in = y_train.clamp(-TARGET_CLIP, TARGET_CLIP)[..., None].to(dtype)
            return self.target_embed(y_in)
        return self.label_embed(y_train)

    def _tokens(self, cells: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Cells and target tokens ``(B, N, w)`` as the layers' input ``(B, N, F + 1, w)``."""
        if self.cfg.label_to_cells:
            cells = cells + self.cell_label(target)[:, :, None, :]
        target = (target + self.target_col)[:, :, None, :]
        return torch.cat([cells, target], dim=2)

    def _head(self, hidden: torch.Tensor, n_classes: torch.Tensor | None) -> torch.Tensor:
        logits = self.head(self.norm_out(hidden))
        if n_classes is not None and self.cfg.task != "regression":
            idx = torch.arange(self.cfg.max_classes, device=hidden.device)
            logits = logits.masked_fill(idx[None, None, :] >= n_classes[:, None, None], -1e4)
        return logits


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters.

    Parameters
    ----------
    model : torch Module

    Returns
    -------
    int
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


__all__ = [
    "N_INPUT_CHANNELS",
    "TARGET_CLIP",
    "PFNConfig",
    "TabPFNLite",
    "bin_borders",
    "cell_inputs",
    "count_parameters",
    "target_bins",
]
