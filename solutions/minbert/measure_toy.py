"""Measure how fast the reference classifier learns the toy set, to choose the hidden threshold.

    python solutions/minbert/measure_toy.py --seeds 0 1 2 3 4 --out solutions/minbert/measurements

For each setting and seed: train with `train.train_classifier` (torch AdamW, batch 8 by
default: the same call the hidden test makes) and record dev and test accuracy every `--every`
steps. Settings:
  finetune  the MiniLM checkpoint, every parameter trains (lr 1e-4)
  pretrain  the MiniLM checkpoint frozen, only the head trains (lr 1e-3)
  scratch   the same architecture, randomly initialised, fine-tuned (lr 1e-4): the control
            that shows the held-out adjectives need the pretrained weights
Writes measurements/toy-<settings>.json and prints a Markdown table for NOTES.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "solutions" / "minbert"), str(ROOT / "assignments" / "minbert")]

import sentiment_data  # noqa: E402
import train  # noqa: E402
from base_bert import resolve_checkpoint  # noqa: E402
from classifier import BertSentimentClassifier  # noqa: E402
from config import BertConfig, ClassifierConfig  # noqa: E402
from tokenizer import BertTokenizer  # noqa: E402

SETTINGS = {
    "finetune": dict(option="finetune", lr=1e-4, scratch=False),
    "pretrain": dict(option="pretrain", lr=1e-3, scratch=False),
    "scratch": dict(option="finetune", lr=1e-4, scratch=True),
}


def run(setting: str, seed: int, *, steps: int, every: int, data: dict,
        batch_size: int = 8) -> dict:
    """One training run of `steps` steps, exactly as the hidden test makes it (one optimizer,
    one seeded batch order), scored on dev and test every `every` steps: the point at step n
    is what a test of n steps would see (evaluating draws no random numbers)."""
    spec = SETTINGS[setting]
    train.seed_everything(seed)
    bert_config = None
    if spec["scratch"]:
        cfg = BertConfig.from_json_file(resolve_checkpoint() / "config.json")
        bert_config = {k: v for k, v in cfg.to_dict().items() if k in BertConfig.__annotations__
                       and k not in ("extra", "name_or_path")}
    model = BertSentimentClassifier(ClassifierConfig(
        num_labels=2, option=spec["option"], hidden_dropout_prob=0.1, bert_config=bert_config))
    curve: list[dict] = []
    start = time.perf_counter()
    evaluating = 0.0

    def score(done: int) -> None:
        nonlocal evaluating
        if done % every:
            return
        began = time.perf_counter()
        curve.append({"steps": done, "dev": train.accuracy(model, data["dev"]),
                      "test": train.accuracy(model, data["test"]),
                      "train_s": began - start - evaluating})
        evaluating += time.perf_counter() - began
        print(json.dumps({"setting": setting, "seed": seed, **curve[-1]}), flush=True)

    losses = train.train_classifier(
        model, data["train"]["input_ids"], data["train"]["attention_mask"],
        data["train"]["labels"], steps=steps, batch_size=batch_size, lr=spec["lr"], seed=seed,
        after_step=score)
    for point in curve:
        point["loss"] = sum(losses[point["steps"] - every:point["steps"]]) / every
    return {"setting": setting, "seed": seed, "curve": curve}


def table(results: list[dict]) -> str:
    """Markdown: dev accuracy (min / mean / max over seeds) at each checkpoint."""
    lines = ["| setting | steps | dev min | dev mean | dev max | test mean | train s (mean) |",
             "|---|---|---|---|---|---|---|"]
    for setting in SETTINGS:
        runs = [r for r in results if r["setting"] == setting]
        if not runs:
            continue
        for i, point in enumerate(runs[0]["curve"]):
            dev = [r["curve"][i]["dev"] for r in runs]
            test = [r["curve"][i]["test"] for r in runs]
            secs = [r["curve"][i]["train_s"] for r in runs]
            lines.append(f"| {setting} ({len(runs)} seeds) | {point['steps']} | {min(dev):.3f} | "
                         f"{statistics.mean(dev):.3f} | {max(dev):.3f} | "
                         f"{statistics.mean(test):.3f} | {statistics.mean(secs):.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--every", type=int, default=20)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--batch-size", type=int, default=8, help="examples per step")
    parser.add_argument("--finetune-lr", type=float, default=SETTINGS["finetune"]["lr"],
                        help="learning rate of the finetune and scratch settings")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent
                        / "measurements")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    for name in ("finetune", "scratch"):
        SETTINGS[name]["lr"] = args.finetune_lr
    tokenizer = BertTokenizer.from_pretrained()
    folder = ROOT / "assignments" / "minbert" / "data"
    data = {split: sentiment_data.encode(
        sentiment_data.read_examples(folder / f"toy-{split}.txt"), tokenizer)
        for split in ("train", "dev", "test")}
    results = [run(s, seed, steps=args.steps, every=args.every, data=data,
                   batch_size=args.batch_size)
               for s in args.settings for seed in args.seeds]
    args.out.mkdir(parents=True, exist_ok=True)
    meta = {"threads": torch.get_num_threads(), "torch": torch.__version__,
            "batch_size": args.batch_size, "settings": SETTINGS}
    path = args.out / f"toy-{'-'.join(args.settings)}.json"
    path.write_text(json.dumps({"meta": meta, "runs": results}, indent=1))
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
