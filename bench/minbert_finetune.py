"""Benchmark the minBERT reference: sentiment fine-tuning accuracy, and speed against HF BERT.

    python bench/minbert_finetune.py DATA_DIR                    # everything, full data
    python bench/minbert_finetune.py DATA_DIR --limit-train 1000 --epochs 2 --threads 1
    python bench/minbert_finetune.py --timing-only

DATA_DIR holds the CS224N / CMU splits in `label ||| sentence` format: sst-{train,dev,test}.txt
(5 classes) and cfimdb-{train,dev,test}.txt (binary). They are read from DATA_DIR only and
never copied into the repository.

1. Accuracy. For each dataset, option ("pretrain": BERT frozen, "finetune") and seed, run
   assignments/minbert/train.py's `fit` with the reference classifier.py, bert.py and
   optimizer.py, initialised from the all-MiniLM-L6-v2 checkpoint. Report dev and test accuracy
   (of the best dev epoch) as mean ± std over the seeds, and the wall time.
2. Speed. Forward + backward of our reference BertModel and of transformers.BertModel, same
   config (MiniLM: 6 layers, hidden 384, 12 heads), same weights, batch and sequence length,
   in train mode; median over repeats. On CUDA too with --device cuda.

Results go to stdout as Markdown and to --json. Nothing here asserts a time (see DESIGN.md).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
# The reference first: bert.py, optimizer.py and classifier.py exist only there.
sys.path[:0] = [str(ROOT / "solutions" / "minbert"), str(ROOT / "assignments" / "minbert")]

import sentiment_data  # noqa: E402  (assignments/minbert/sentiment_data.py)
import train  # noqa: E402  (assignments/minbert/train.py)

CMU = {  # bert-base (12 layers, 768 hidden), mean over 10 seeds, from the CMU 11-711 handout
    ("sst", "pretrain"): (0.391, 0.403),
    ("sst", "finetune"): (0.515, 0.526),
    ("cfimdb", "finetune"): (0.966, None),
}


def mean_std(values: list[float]) -> str:
    values = [v for v in values if v == v]  # drop NaN (no labelled test split)
    if not values:
        return "-"
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} ± {std:.3f}"


def accuracy_runs(args: argparse.Namespace) -> list[dict]:
    runs = []
    for dataset in args.datasets:
        files = {s: args.data_dir / f"{dataset}-{s}.txt" for s in ("train", "dev", "test")}
        missing = [str(p) for p in files.values() if not p.exists()]
        if missing:
            raise SystemExit(f"minbert_finetune: missing {missing}; DATA_DIR must hold "
                             f"{dataset}-train.txt, {dataset}-dev.txt and {dataset}-test.txt")
        # CFIMDB's public test split carries a placeholder label (0 everywhere): unlabelled.
        test_labels = {e.label for e in sentiment_data.read_examples(files["test"])}
        test = str(files["test"]) if len(test_labels) > 1 else ""
        if not test:
            print(f"{dataset}: test split has one label value only ({test_labels}): treated as "
                  "unlabelled, test accuracy not reported", flush=True)
        for option in args.options:
            for seed in args.seeds:
                cfg = train.TrainConfig(
                    train=str(files["train"]), dev=str(files["dev"]), test=test,
                    option=option, epochs=args.epochs, limit_train=args.limit_train,
                    limit_eval=args.limit_eval,
                    batch_size=args.batch_size, lr=args.lr_pretrain if option == "pretrain"
                    else args.lr_finetune, hidden_dropout_prob=args.dropout,
                    max_length=args.max_length[dataset] if isinstance(args.max_length, dict)
                    else args.max_length, seed=seed, device=args.device, verbose=False,
                )
                result = train.fit(cfg)
                result.update(dataset=dataset, lr=cfg.lr, max_length=cfg.max_length)
                print(json.dumps({k: v for k, v in result.items() if k != "history"}),
                      flush=True)
                runs.append(result)
    return runs


def accuracy_table(runs: list[dict]) -> str:
    lines = ["| Setting | Ours dev | Ours test | CMU bert-base dev | CMU test | seeds | "
             "train / dev examples | steps | wall s / run |",
             "|---|---|---|---|---|---|---|---|---|"]
    keys = dict.fromkeys((r["dataset"], r["option"]) for r in runs)
    for dataset, option in keys:
        group = [r for r in runs if (r["dataset"], r["option"]) == (dataset, option)]
        cmu_dev, cmu_test = CMU.get((dataset, option), (None, None))
        lines.append(
            f"| {dataset.upper()} {option} | {mean_std([r['dev_acc'] for r in group])} | "
            f"{mean_std([r['test_acc'] for r in group])} | {cmu_dev or '-'} | "
            f"{cmu_test or '-'} | {len(group)} | {group[0]['train_examples']} / "
            f"{group[0]['eval_examples']} | "
            f"{group[0]['steps']} | {statistics.mean(r['seconds'] for r in group):.0f} |")
    return "\n".join(lines)


def _time(fn, *, repeats: int, device: str) -> float:
    """Median seconds of fn() over `repeats` runs, after two warm-up runs."""
    times = []
    for i in range(repeats + 2):
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device == "cuda":
            torch.cuda.synchronize()
        if i >= 2:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def speed(args: argparse.Namespace) -> list[dict]:
    """Forward+backward of ours vs transformers.BertModel with the same weights."""
    import transformers
    from base_bert import resolve_checkpoint
    from bert import BertModel

    transformers.logging.set_verbosity_error()
    directory = resolve_checkpoint()
    ours = BertModel.from_pretrained(directory).to(args.device).train()
    theirs = transformers.BertModel.from_pretrained(str(directory)).to(args.device).train()
    rows = []
    shapes = [(b, s, dropout) for b, s in args.shapes for dropout in (True, False)]
    for batch, seq, dropout in shapes:
        for model in (ours, theirs):  # dropout off: every nn.Dropout at p = 0 (ours: fused SDPA)
            for module in model.modules():
                if isinstance(module, torch.nn.Dropout):
                    module.p = 0.1 if dropout else 0.0  # HF's SDPA reads its p too
        ids = torch.randint(1000, 30000, (batch, seq), device=args.device)
        mask = torch.ones_like(ids)
        mask[: batch // 2, seq // 2 :] = 0  # half the rows padded to half length

        def step_ours(ids=ids, mask=mask):
            out = ours(ids, mask)
            (out["last_hidden_state"].sum() + out["pooler_output"].sum()).backward()

        def step_theirs(ids=ids, mask=mask):
            out = theirs(input_ids=ids, attention_mask=mask)
            (out.last_hidden_state.sum() + out.pooler_output.sum()).backward()

        t_ours = _time(step_ours, repeats=args.repeats, device=args.device)
        t_theirs = _time(step_theirs, repeats=args.repeats, device=args.device)
        row = {"batch": batch, "seq": seq, "dropout": dropout, "device": args.device,
               "ours_s": t_ours,
               "transformers_s": t_theirs, "ratio": t_ours / t_theirs,
               "threads": torch.get_num_threads(), "attn": theirs.config._attn_implementation}
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def speed_table(rows: list[dict]) -> str:
    lines = ["| device | batch x seq | dropout | ours (fwd+bwd) | transformers.BertModel | "
             "ours / theirs |", "|---|---|---|---|---|---|"]
    for r in rows:
        drop = "0.1 (train)" if r.get("dropout", True) else "0"
        lines.append(f"| {r['device']} ({r['threads']} threads) | {r['batch']} x {r['seq']} | "
                     f"{drop} | "
                     f"{r['ours_s'] * 1000:.0f} ms | {r['transformers_s'] * 1000:.0f} ms "
                     f"({r['attn']}) | {r['ratio']:.2f} |")
    return "\n".join(lines)


def parse_shape(text: str) -> tuple[int, int]:
    batch, seq = text.lower().split("x")
    return int(batch), int(seq)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, nargs="?", help="folder with sst-*.txt, cfimdb-*")
    parser.add_argument("--datasets", nargs="+", default=["sst", "cfimdb"])
    parser.add_argument("--options", nargs="+", default=["pretrain", "finetune"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--limit-train", type=int, default=0, help="seeded train subset (0: all)")
    parser.add_argument("--limit-eval", type=int, default=0,
                        help="seeded dev/test subsets of this size (0: all)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr-finetune", type=float, default=5e-5)
    parser.add_argument("--lr-pretrain", type=float, default=1e-3)
    parser.add_argument("--dropout", type=float, default=0.3)
    parser.add_argument("--max-length", type=int, default=0,
                        help="token cap (0: 128 for SST, 512 for CFIMDB)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    parser.add_argument("--shapes", type=parse_shape, nargs="+",
                        default=[(16, 128), (32, 64)], help="timing shapes, e.g. 16x128")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--timing-only", action="store_true")
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--json", type=Path, help="write every run and timing here")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    args.max_length = args.max_length or {"sst": 128, "cfimdb": 512}
    report: dict = {"python": platform.python_version(), "torch": torch.__version__,
                    "machine": platform.machine(), "threads": torch.get_num_threads(),
                    "args": {k: str(v) for k, v in vars(args).items()}}
    start = time.perf_counter()
    if not args.timing_only:
        if args.data_dir is None:
            parser.error("DATA_DIR is required unless --timing-only")
        report["runs"] = accuracy_runs(args)
        print(accuracy_table(report["runs"]))
    if not args.skip_timing:
        report["speed"] = speed(args)
        print(speed_table(report["speed"]))
    report["wall_s"] = time.perf_counter() - start
    print(f"total wall time {report['wall_s']:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
