"""Small drivers the grader calls next to your code (support module: do not edit).

Some checks need several steps to run in one place: an optimizer trajectory, a forward pass
under autocast, re-seeding before a train-mode call. The grader calls these functions with
data (tensors, numbers) and gets data back, and calls the same functions on the reference,
so both sides do exactly the same work. You can call them too, e.g. to compare your AdamW
with torch.optim.AdamW:

    import harness, optimizer, torch
    ours = harness.optimizer_trajectory(optimizer.AdamW, steps=100, lr=1e-2, eps=0.0)
    theirs = harness.optimizer_trajectory(torch.optim.AdamW, steps=100, lr=1e-2, eps=0.0)
"""

from __future__ import annotations

import importlib
import random
from typing import Any

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's global generators (as the `seed` fixture does)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def quadratic_problem(seed: int, shapes: list[tuple[int, ...]] | None = None):
    """Initial parameters, scales A and targets b of Σ_i ½‖A_i ⊙ θ_i - b_i‖² (float32)."""
    shapes = shapes or [(5, 3), (7,), (2, 2, 2)]
    g = torch.Generator().manual_seed(seed)
    init = [torch.randn(*s, generator=g) for s in shapes]
    scales = [torch.rand(*s, generator=g) * 3 for s in shapes]
    targets = [torch.randn(*s, generator=g) for s in shapes]
    return init, scales, targets


def _resolve(optimizer_cls: Any) -> Any:
    """A class, or its dotted name ("optimizer.AdamW") imported here."""
    if isinstance(optimizer_cls, str):
        module, _, name = optimizer_cls.rpartition(".")
        return getattr(importlib.import_module(module), name)
    return optimizer_cls


def optimizer_trajectory(
    optimizer_cls: Any,
    *,
    steps: int,
    seed: int = 0,
    groups: list[dict[str, Any]] | None = None,
    frozen: tuple[int, ...] = (),
    zero_grad_params: tuple[int, ...] = (),
    record_every: int = 0,
    **options: Any,
) -> dict[str, Any]:
    """Minimise the quadratic of `quadratic_problem(seed)` for `steps` optimizer steps.

    groups: per-group options; group i holds parameter i (default: one group of all three).
    frozen: indices of parameters that never get a gradient (their .grad stays None).
    zero_grad_params: indices whose gradient is forced to zero (pure weight decay).
    options: keyword arguments of the optimizer (lr, betas, eps, weight_decay, ...).
    returns {"params": final parameters, "trajectory": params every `record_every` steps,
             "losses": the loss before each step}
    """
    cls = _resolve(optimizer_cls)
    init, scales, targets = quadratic_problem(seed)
    params = [p.clone().requires_grad_(i not in frozen) for i, p in enumerate(init)]
    if groups is None:
        spec: Any = [p for i, p in enumerate(params) if i not in frozen] + \
            [p for i, p in enumerate(params) if i in frozen]
    else:
        spec = [{"params": [params[i]], **opts} for i, opts in enumerate(groups)]
    opt = cls(spec, **options)
    trajectory, losses = [], []
    for step in range(1, steps + 1):
        opt.zero_grad()
        loss = sum(0.5 * ((a * p - b) ** 2).sum()
                   for i, (p, a, b) in enumerate(zip(params, scales, targets, strict=True))
                   if i not in frozen)
        loss.backward()
        for i in zero_grad_params:
            params[i].grad.zero_()
        losses.append(float(loss.detach()))
        opt.step()
        if record_every and step % record_every == 0:
            trajectory.append([p.detach().clone() for p in params])
    return {"params": [p.detach().clone() for p in params], "trajectory": trajectory,
            "losses": losses}


def fixed_gradient_steps(optimizer_cls: Any, init: list[float], grads: list[list[float]],
                         **options: Any) -> torch.Tensor:
    """Step an optimizer on one parameter θ_0 = init with the given gradient at each step.

    returns θ after each step, (len(grads), len(init)).
    """
    cls = _resolve(optimizer_cls)
    param = torch.tensor(init, dtype=torch.float32, requires_grad=True)
    opt = cls([param], **options)
    out = []
    for grad in grads:
        param.grad = torch.tensor(grad, dtype=torch.float32)
        opt.step()
        out.append(param.detach().clone())
    return torch.stack(out)


def build_classifier(module: Any, config: Any) -> torch.nn.Module:
    """The sentiment classifier of `module` (your classifier.py) built from `config`, the way
    the grader builds it: its class is `BertSentimentClassifier` (CS224N's name) or
    `BertSentClassifier` (CMU's), and when `config.bert_config` is set, the BERT it gets is
    that small random one, whether it builds it from the config or calls
    `BertModel.from_pretrained('bert-base-uncased')` as the kits do (base_bert.names_build)."""
    from base_bert import names_build
    from train import classifier_class

    with names_build(getattr(config, "bert_config", None)):
        return classifier_class(module)(config)


def seeded_call(seed: int, obj: Any, *args: Any, method: str | None = None,
                **kwargs: Any) -> Any:
    """Seed everything with `seed`, then return obj(*args) or obj.<method>(*args).

    For train-mode checks: with the same seed and the same sequence of random draws (dropout
    masks), two models with the same weights give the same output, so dropout placement can
    be compared exactly.
    """
    fn = getattr(obj, method) if method else obj
    seed_everything(seed)
    return fn(*args, **kwargs)


def forward_autocast(model: torch.nn.Module, input_ids: torch.Tensor,
                     attention_mask: torch.Tensor, dtype: str = "bfloat16") -> dict:
    """`model(input_ids, attention_mask)` under torch.autocast on the inputs' device."""
    with torch.no_grad(), torch.autocast(device_type=input_ids.device.type,
                                         dtype=getattr(torch, dtype)):
        out = model(input_ids, attention_mask)
    return {k: v.float() for k, v in out.items()} if isinstance(out, dict) else out.float()


def plain_state_dict(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """module.state_dict() as a plain dict of detached tensors (an OrderedDict is not data)."""
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def train_and_diff(model: torch.nn.Module, input_ids: torch.Tensor,
                   attention_mask: torch.Tensor, labels: torch.Tensor, *, steps: int = 2,
                   lr: float = 1e-2, seed: int = 0) -> dict[str, float]:
    """Train a few steps with torch AdamW; return, per parameter name, max |change|.

    Shows which parameters a classifier really trains (frozen BERT in "pretrain" mode,
    everything in "finetune" mode), independently of the student's AdamW.
    """
    from train import train_classifier

    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    train_classifier(model, input_ids, attention_mask, labels, steps=steps, batch_size=len(labels),
                     lr=lr, seed=seed)
    after = model.state_dict()
    return {k: float((after[k].float() - v.float()).abs().max()) if v.numel() else 0.0
            for k, v in before.items()}
