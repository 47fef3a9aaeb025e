"""Generate the toy sentiment dataset shipped with minBERT (data/toy-{train,dev,test}.txt).

    python make_toy_sentiment.py            # rewrite the three files next to this script
    python make_toy_sentiment.py --check    # exit 1 if the committed files differ

Binary labels (1 = positive, 0 = negative) on short movie-review sentences built from templates:
plain judgements, two-clause judgements, contrasts ("X was dull, but the film as a whole is
moving": the overall judgement wins), negations ("not boring at all") and recommendations.

Dev and test also use 6 positive and 6 negative adjectives that never occur in training
("terrific", "dreary", ...): a model can only get those right through what pretraining taught
it about the words, so the set checks that the pretrained weights are loaded and used.
Everything is drawn from random.Random(seed), so the files are reproducible byte for byte, and
no dev or test sentence also occurs in training.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = {"train": 800, "dev": 300, "test": 300}
SEED = 20240531

POSITIVE = [
    "wonderful", "brilliant", "superb", "delightful", "moving", "gripping", "charming",
    "beautiful", "clever", "hilarious", "stunning", "excellent", "touching", "engaging",
    "masterful", "witty", "captivating", "powerful",
]
NEGATIVE = [
    "dull", "boring", "awful", "clumsy", "tedious", "predictable", "lifeless", "bland",
    "terrible", "painful", "forgettable", "messy", "shallow", "tiresome", "sloppy", "pointless",
    "weak", "confusing",
]
# Dev and test only.
HELD_OUT_POSITIVE = ["terrific", "gorgeous", "uplifting", "marvelous", "thoughtful", "enjoyable"]
HELD_OUT_NEGATIVE = ["dreary", "lousy", "horrible", "annoying", "lazy", "dreadful"]

SINGULAR = [
    "the plot", "the acting", "the soundtrack", "the dialogue", "the cinematography",
    "the ending", "the cast", "the script", "the pacing", "the direction", "the story",
    "the humor", "the lead performance", "the editing", "the score", "the screenplay",
]
PLURAL = ["the characters", "the visuals", "the action scenes", "the jokes", "the songs"]
NOUNS = ["film", "movie", "story", "debut", "sequel", "thriller", "comedy", "drama",
         "documentary", "adventure", "romance", "picture"]
INTENSIFIERS = ["", "", "", "really ", "truly ", "utterly ", "quite ", "remarkably ", "so "]
RECOMMEND = {1: ["would happily recommend", "would gladly watch again", "loved every minute of",
                 "can not wait to see again"],
             0: ["would never recommend", "regret paying to see", "walked out halfway through",
                 "would not sit through again"]}


def _subject(rng: random.Random) -> tuple[str, str]:
    """A subject and its past-tense 'to be'."""
    if rng.random() < 0.25:
        return rng.choice(PLURAL), "were"
    return rng.choice(SINGULAR), "was"


def _adjective(rng: random.Random, label: int, pools: dict[int, list[str]]) -> str:
    return rng.choice(pools[label])


def sentence(rng: random.Random, label: int, pools: dict[int, list[str]]) -> str:
    """One sentence whose sentiment is `label` (1 positive, 0 negative)."""
    kind = rng.choices(["plain", "opinion", "two", "exclaim", "contrast", "negation", "recommend"],
                       weights=[25, 15, 15, 10, 15, 12, 8])[0]
    adj = _adjective(rng, label, pools)
    subj, be = _subject(rng)
    noun = rng.choice(NOUNS)
    if kind == "plain":
        return f"{subj} {be} {rng.choice(INTENSIFIERS)}{adj} ."
    if kind == "opinion":
        return f"i thought {subj} {be} {rng.choice(INTENSIFIERS)}{adj} ."
    if kind == "two":
        subj2, be2 = _subject(rng)
        adj2 = _adjective(rng, label, pools)
        return f"{subj} {be} {adj} and {subj2} {be2} {adj2} ."
    if kind == "exclaim":
        article = "an" if adj[0] in "aeiou" else "a"
        return f"what {article} {adj} {noun} !"
    if kind == "contrast":
        opposite = _adjective(rng, 1 - label, pools)
        return f"{subj} {be} {opposite} , but the {noun} as a whole is {adj} ."
    if kind == "negation":
        opposite = _adjective(rng, 1 - label, pools)
        return f"{subj} {be} not {opposite} at all ."
    return f"i {rng.choice(RECOMMEND[label])} this {noun} ."


def make_split(rng: random.Random, size: int, pools: dict[int, list[str]],
               exclude: set[str]) -> list[tuple[int, str]]:
    """`size` distinct examples, half of each label, none of whose sentences is in `exclude`."""
    out: list[tuple[int, str]] = []
    seen = set(exclude)
    for i in range(size):
        label = i % 2
        while True:
            text = sentence(rng, label, pools)
            if text not in seen:
                break
        seen.add(text)
        out.append((label, text))
    rng.shuffle(out)
    return out


def generate(seed: int = SEED) -> dict[str, list[tuple[int, str]]]:
    rng = random.Random(seed)
    train_pools = {1: POSITIVE, 0: NEGATIVE}
    eval_pools = {1: POSITIVE + HELD_OUT_POSITIVE * 2, 0: NEGATIVE + HELD_OUT_NEGATIVE * 2}
    train = make_split(rng, SIZES["train"], train_pools, set())
    taken = {text for _, text in train}
    dev = make_split(rng, SIZES["dev"], eval_pools, taken)
    taken |= {text for _, text in dev}
    test = make_split(rng, SIZES["test"], eval_pools, taken)
    return {"train": train, "dev": dev, "test": test}


def render(examples: list[tuple[int, str]]) -> str:
    return "".join(f"{label} ||| {text}\n" for label, text in examples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder for toy-*.txt")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--check", action="store_true",
                        help="compare with the files in --out instead of writing them")
    args = parser.parse_args(argv)
    stale = []
    for split, examples in generate(args.seed).items():
        path = args.out / f"toy-{split}.txt"
        text = render(examples)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path))
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path} ({len(examples)} examples)")
    if stale:
        print(f"out of date: {stale}; rerun without --check to refresh", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
