"""Moodle XML (validated against the schema of the format, then checked question by question
with a real XML parser) and the Anki deck (opened as what it is: a zip with a SQLite db)."""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from autograder.quiz.anki import FIELDS
from autograder.quiz.loader import load_quiz, load_quizzes
from autograder.quiz.moodle import SCHEMA, to_moodle_xml
from autograder.quiz.paths import all_quiz_files


@pytest.fixture(scope="module")
def moodle_doc() -> etree._ElementTree:
    xml, _ = to_moodle_xml([qf.quiz for qf in load_quizzes(all_quiz_files())])
    return etree.ElementTree(etree.fromstring(xml.encode()))


def test_the_moodle_export_of_the_whole_bank_is_valid_against_the_schema(moodle_doc) -> None:
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    assert schema.validate(moodle_doc), schema.error_log.last_error


def test_the_schema_rejects_what_moodle_would_reject() -> None:
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    bad = [
        '<quiz><question type="essay2"><name><text>x</text></name></question></quiz>',
        '<quiz><question type="multichoice"><answer fraction="150" format="html">'
        '<text>a</text><feedback format="html"><text/></feedback></answer></question></quiz>',
        '<quiz><question type="numerical"><showunits>7</showunits></question></quiz>',
        '<quiz><question type="truefalse"><questiontext><text>q</text></questiontext>'
        '</question></quiz>',  # a text without its format
    ]
    for text in bad:
        assert not schema.validate(etree.fromstring(text)), text


def by_name(doc: etree._ElementTree, name: str) -> etree._Element:
    [q] = doc.xpath(f"//question[name/text='{name}']")
    return q


def test_every_question_type_is_mapped_to_its_closest_moodle_type(moodle_doc) -> None:
    types = {q.findtext("name/text"): q.get("type") for q in moodle_doc.getroot()
             if q.get("type") != "category"}
    assert len(types) == sum(len(qf.quiz.questions) for qf in load_quizzes(all_quiz_files()))
    assert types["mlm-80-10-10"] == "multichoice"
    assert types["hw5-conditional-lm"] == "truefalse"
    assert types["bert-attention-params"] == "numerical"
    assert types["bert-mask-token-name"] == "shortanswer"
    assert types["hw5-rnn-chain-order"] == "matching"
    assert types["hw5-qk-variance"] == "essay"
    assert len(moodle_doc.xpath("//question[@type='category']")) == 7


def test_choice_weights_and_exact_numeric_keys_survive_the_export(moodle_doc) -> None:
    single = by_name(moodle_doc, "mlm-80-10-10")
    assert single.findtext("single") == "true"
    assert sorted(a.get("fraction") for a in single.findall("answer")) == ["0", "0", "0", "100"]
    multiple = by_name(moodle_doc, "bert-vs-elmo")
    assert multiple.findtext("single") == "false"
    assert sorted(a.get("fraction") for a in multiple.findall("answer")) == [
        "-50", "-50", "-50", "50", "50"]
    numeric = by_name(moodle_doc, "bert-attention-params")
    assert numeric.findtext("answer/text") == "2362368"
    assert numeric.findtext("answer/tolerance") == "0"
    memory = by_name(moodle_doc, "hw5-attention-memory")
    units = {u.findtext("unit_name"): u.findtext("multiplier") for u in memory.iter("unit")}
    assert units == {"MiB": "1", "KiB": "1024", "GiB": "0.0009765625"}
    rounded = by_name(moodle_doc, "hw5-masked-row-weights")
    assert rounded.findtext("answer/tolerance") == "0.005"
    assert "Give the answer to 2 decimal places." in rounded.findtext("questiontext/text")


def test_a_symbolic_question_becomes_an_essay_with_the_key_for_the_grader(moodle_doc) -> None:
    essay = by_name(moodle_doc, "hw5-qk-variance")
    info = essay.findtext("graderinfo/text")
    assert "Key: d*(sigma^4 + 2*mu^2*sigma^2)" in info and "sigma (positive)" in info


def test_html_in_the_text_is_escaped_once_and_code_stays_code(moodle_doc) -> None:
    code = by_name(moodle_doc, "hw5-mismatched-checkpoint").findtext("questiontext/text")
    assert code.startswith("<p>Is there something wrong")
    assert '<pre>from transformers import AutoTokenizer, AutoModel\n' in code
    cls = by_name(moodle_doc, "mlm-80-10-10").findall("answer")
    assert any("[MASK]" in a.findtext("text") for a in cls)


def test_export_writes_moodle_xml_from_the_cli(cli, tmp_path: Path) -> None:
    out = tmp_path / "bank.xml"
    rc, _, err = cli("export", "bert", "--format", "moodle", "-o", out)
    assert rc == 0 and "wrote 1 quiz(zes)" in err
    assert etree.parse(str(out)).getroot().tag == "quiz"


@pytest.fixture
def deck(cli, tmp_path: Path) -> Path:
    out = tmp_path / "course.apkg"
    rc, _, err = cli("export", "--format", "anki", "-o", out)
    assert rc == 0 and "wrote 192 notes from 7 quiz(zes)" in err
    return out


def open_collection(apkg: Path, tmp_path: Path) -> sqlite3.Connection:
    with zipfile.ZipFile(apkg) as z:
        assert "collection.anki2" in z.namelist()
        z.extract("collection.anki2", tmp_path)
    return sqlite3.connect(tmp_path / "collection.anki2")


def test_the_anki_deck_opens_as_a_collection_with_one_note_per_question(
        deck: Path, tmp_path: Path) -> None:
    db = open_collection(deck, tmp_path)
    assert db.execute("SELECT COUNT(*) FROM notes").fetchone() == (192,)
    assert db.execute("SELECT COUNT(*) FROM cards").fetchone() == (192,)
    rows = {flds.split("\x1f")[FIELDS.index("QuestionId")]: flds.split("\x1f")
            for (flds,) in db.execute("SELECT flds FROM notes")}
    qk = rows["hw5-qk-variance"]
    assert qk[FIELDS.index("Answer")] == "d*(sigma^4 + 2*mu^2*sigma^2)"
    assert qk[FIELDS.index("Source")] == "Homework 5 §3.5 Q2"
    mlm = rows["mlm-80-10-10"]
    key = mlm[FIELDS.index("Answer")]
    assert key.endswith(") 80% [MASK], 10% a random token, 10% unchanged")
    assert mlm[FIELDS.index("Options")].count("<br>") == 3
    decks = db.execute("SELECT decks FROM col").fetchone()[0]
    assert "nlpgrade::Quiz 3: attention, BERT and its relatives" in decks


def test_the_anki_keys_are_not_always_option_a(deck: Path, tmp_path: Path) -> None:
    db = open_collection(deck, tmp_path)
    letters = [flds.split("\x1f")[FIELDS.index("Answer")][:2]
               for (flds,) in db.execute("SELECT flds FROM notes")
               if flds.split("\x1f")[FIELDS.index("Answer")][1:2] == ")"]
    assert len(set(letters)) >= 3
    assert letters.count("a)") < len(letters) / 2


def test_reexporting_keeps_the_note_ids_so_anki_updates_instead_of_duplicating(
        cli, deck: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.apkg"
    cli("export", "--format", "anki", "-o", again)
    first = {g for (g,) in open_collection(deck, tmp_path / "a").execute("SELECT guid FROM notes")}
    second = {g for (g,) in open_collection(again, tmp_path / "b").execute(
        "SELECT guid FROM notes")}
    assert first == second


def test_anki_needs_an_output_file(cli) -> None:
    rc, _, err = cli("export", "--format", "anki")
    assert rc == 2 and "give -o FILE.apkg" in err


def test_a_released_copy_cannot_be_exported(cli, mini: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.yaml"
    cli("release", mini, "-o", copy)
    assert load_quiz(copy).quiz.release is not None
    rc, _, err = cli("export", copy)
    assert rc == 2 and "a key-free copy has no keys to export" in err
