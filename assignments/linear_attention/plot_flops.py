"""Plot the FLOPs of full, SVD and projected attention as n grows (the figure in README.md).

    python assignments/linear_attention/plot_flops.py      # writes flops.png next to this file

The FLOPs are counted by torch's FlopCounterMode, the counter the grader uses (README "How the
complexity is checked"), on one head with h = d = 64 and rank k = 32. Needs matplotlib.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: write a file, never open a window
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

H = D = 64  # query/key and value dimensions
K = 32  # rank
LENGTHS = [128, 256, 512, 1024, 2048, 4096]
OUT = Path(__file__).with_name("flops.png")


def counted(fn) -> int:
    """FLOPs of the matrix products in fn(), as FlopCounterMode counts them."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


def measure(n: int) -> dict[str, int]:
    g = torch.Generator().manual_seed(0)
    Q, Kt, V = (torch.randn(n, w, generator=g) for w in (H, H, D))
    U, S = torch.randn(n, K, generator=g), torch.rand(K, generator=g)
    Vh = torch.randn(K, n, generator=g)
    C, Dp = torch.randn(K, n, generator=g), torch.randn(K, n, generator=g)
    return {
        "full: softmax(Q Kᵀ/√h) V": counted(
            lambda: torch.softmax(Q @ Kt.T / math.sqrt(H), dim=-1) @ V),
        "SVD (§3): U diag(S) (Vh V)": counted(lambda: U @ (S[:, None] * (Vh @ V))),
        "projected (§5): (Q (CK)ᵀ)(D V)": counted(lambda: (Q @ (C @ Kt).T) @ (Dp @ V)),
    }


def main() -> None:
    rows = {n: measure(n) for n in LENGTHS}
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    for label, marker in zip(rows[LENGTHS[0]], "osD", strict=True):
        ax.plot(LENGTHS, [rows[n][label] for n in LENGTHS], marker=marker, label=label)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("sequence length n")
    ax.set_ylabel("FLOPs (FlopCounterMode)")
    ax.set_title(f"One head, h = d = {H}, rank k = {K}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(OUT)
    for n in LENGTHS:
        print(n, *(f"{v:,}" for v in rows[n].values()))


if __name__ == "__main__":
    main()
