"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

You implement `AdamW.step` (README §5). The update for a parameter θ with gradient g, at
step t = 1, 2, ... (Kingma & Ba, 2015, Algorithm 1 with the "efficient" ordering of §2):

    m_t = β1 m_{t-1} + (1 - β1) g                 first moment (running mean of g)
    v_t = β2 v_{t-1} + (1 - β2) g²                second moment (running mean of g²)
    α_t = α √(1 - β2ᵗ) / (1 - β1ᵗ)                bias correction, folded into the step size
                                                  (α_t = α when correct_bias=False)
    θ_t = θ_{t-1} - α_t m_t / (√v_t + ε)          the Adam step
    θ_t = θ_t - α λ θ_{t-1}                        decoupled weight decay (λ = weight_decay)

The decay uses the learning rate α but not the Adam scaling, and it is not added to g (that
would be L2 regularisation, which Adam rescales per coordinate). ε is added to √v_t, not to
the bias-corrected √v̂_t as in torch.optim.AdamW: the two agree exactly when ε = 0.
"""

import math
from collections.abc import Callable, Iterable

import torch
from torch.optim import Optimizer


class AdamW(Optimizer):
    def __init__(
        self,
        params: Iterable[torch.nn.parameter.Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        correct_bias: bool = True,
    ):
        if lr < 0.0:
            raise ValueError(f"AdamW: invalid learning rate {lr}; it must be >= 0.0")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"AdamW: invalid beta1 {betas[0]}; it must be in [0.0, 1.0)")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"AdamW: invalid beta2 {betas[1]}; it must be in [0.0, 1.0)")
        if eps < 0.0:
            raise ValueError(f"AdamW: invalid epsilon {eps}; it must be >= 0.0")
        if weight_decay < 0.0:
            raise ValueError(f"AdamW: invalid weight_decay {weight_decay}; it must be >= 0.0")
        defaults = dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, correct_bias=correct_bias
        )
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable | None = None):
        """One AdamW update of every parameter that has a gradient; returns closure()'s loss.

        Per parameter p, keep in self.state[p]: "step" (t), "exp_avg" (m) and "exp_avg_sq" (v).
        Read lr, betas, eps, weight_decay and correct_bias from the parameter's group: each
        group may set its own.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()

        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                if grad.is_sparse:
                    raise RuntimeError("AdamW does not support sparse gradients")
                state = self.state[p]
                # Step 1: create the state on the first step: t = 0, m = v = 0 (like p).
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                beta1, beta2 = group["betas"]
                lr = group["lr"]
                state["step"] += 1
                t = state["step"]

                # Step 2: decoupled weight decay, from θ_{t-1}: θ <- θ - α λ θ.
                # Hint: decay the parameter itself; never add λθ to the gradient.
                if group["weight_decay"] != 0.0:
                    grad = grad.add(p, alpha=group["weight_decay"])

                # Step 3: update the moments m and v in place.
                exp_avg.mul_(beta1).add_(grad, alpha=1.0 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)

                # Step 4: bias correction, folded into the step size (once, not twice).
                step_size = lr
                if group["correct_bias"]:
                    step_size = lr * math.sqrt(1.0 - beta2**t) / (1.0 - beta1**t)

                # Step 5: θ <- θ - α_t m / (√v + ε).
                denom = exp_avg_sq.sqrt().add_(group["eps"])
                p.addcdiv_(exp_avg, denom, value=-step_size)

        return loss
