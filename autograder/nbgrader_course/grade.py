"""`nlpgrade grade ASSIGNMENT --nbgrader-course DIR`: grade an nbgrader course's submissions.

Reads nbgrader's layout, `DIR/submitted/<student_id>/<assignment_id>/` (the module or its
notebook, and `timestamp.txt`), grades every submission in the sandbox like `nlpgrade grade`,
and writes nbgrader's layout back:

    DIR/autograded/<student_id>/<assignment_id>/   the submitted files (regular files only),
                                                   timestamp.txt, nlpgrade-result.json
    DIR/feedback/<student_id>/<assignment_id>/     <assignment_id>.html and .md, timestamp.txt
    DIR/gradebook.db                               nbgrader's gradebook (or, without nbgrader
                                                   installed, DIR/nlpgrade-export.csv)

and nlpgrade's JSON report (default <course>/reports/<assignment>.json), which `nlpgrade report`
reads.

Notebooks are never executed by the grader: their code is extracted and run in the sandbox.
"""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

from rich.console import Console

from autograder.course import Assignment
from autograder.feedback.render import student_html, student_markdown
from autograder.gradebook import Gradebook, Provenance
from autograder.grading.engine import Options
from autograder.grading.pool import Job, grade_batch
from autograder.grading.resume import submission_sha, suite_sha
from autograder.nbgrader_course.gradebook import Graded, record, write_export_csv
from autograder.nbgrader_course.late import TIMESTAMP, lateness, read_timestamp
from autograder.report import class_table
from autograder.results import BatchResult, SubmissionResult, write_json_atomic
from autograder.sanitize import student_id
from autograder.yamlfile import ConfigError

MAX_COPY_BYTES = 64 << 20  # a submission folder bigger than this is not copied whole


def discover_submitted(root: Path, slug: str) -> list[tuple[str, Path]]:
    submitted = root / "submitted"
    if not submitted.is_dir():
        raise ConfigError(f"{root}: no submitted/ folder. Pass the nbgrader course root "
                          "(the folder of nbgrader_config.py); `nbgrader collect` puts "
                          "submissions in submitted/<student_id>/<assignment_id>/")
    found = sorted((student_id(p.name), p / slug) for p in submitted.iterdir()
                   if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")
                   and (p / slug).is_dir() and not (p / slug).is_symlink())
    if not found:
        raise ConfigError(f"{submitted}: no submissions of {slug!r} (expected "
                          f"submitted/<student_id>/{slug}/)")
    return found


def copy_regular_files(source: Path, target: Path) -> None:
    """Copy the submission's regular files; links and special files are left behind."""
    target.mkdir(parents=True, exist_ok=True)
    budget = MAX_COPY_BYTES
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if any((source / Path(*rel.parts[:i])).is_symlink() for i in range(1, len(rel.parts))):
            continue
        st = path.lstat()
        if not stat.S_ISREG(st.st_mode) or st.st_size > budget:
            continue
        budget -= st.st_size
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / rel, follow_symlinks=False)


def apply_late_penalty(result: SubmissionResult, folder: Path,
                       assignment: Assignment) -> Graded:
    manifest = assignment.manifest
    timestamp, problem = read_timestamp(folder)
    late = lateness(timestamp, manifest.due, manifest.late_penalty, problem)
    if result.score is None:  # not graded (grader_error): nothing to take a penalty from
        return Graded(result=result, timestamp=timestamp, penalty_points=0.0)
    penalty = round(result.score * late.percent / 100, 6)
    if late.note:
        result.message = f"{result.message}\n{late.note}".strip()
    result.score = round(result.score - penalty, 6)
    return Graded(result=result, timestamp=timestamp, penalty_points=penalty)


def write_outputs(root: Path, slug: str, title: str, item: Graded, source: Path) -> None:
    r = item.result
    autograded = root / "autograded" / r.student / slug
    feedback = root / "feedback" / r.student / slug
    copy_regular_files(source, autograded)
    (autograded / "nlpgrade-result.json").write_text(json.dumps(r.to_json(), indent=2),
                                                     encoding="utf-8")
    feedback.mkdir(parents=True, exist_ok=True)
    (feedback / f"{slug}.html").write_text(student_html(r, title=title, slug=slug),
                                           encoding="utf-8")
    (feedback / f"{slug}.md").write_text(student_markdown(r, title=title, slug=slug),
                                         encoding="utf-8")
    stamp = source / TIMESTAMP
    if stamp.is_file() and not stamp.is_symlink():
        for folder in (autograded, feedback):
            shutil.copyfile(stamp, folder / TIMESTAMP)


def grade_course(assignment: Assignment, root: Path, *, options: Options, workers: int,
                 console: Console, json_path: Path | None = None, scheduler: str | None = None,
                 db: str | None = None) -> list[Graded]:
    """Grade, write nbgrader's folders and gradebook, and (json_path) our JSON report, which
    `nlpgrade report` reads. `scheduler`: grade on a Dask cluster; `db`: also record every
    result in an nlpgrade gradebook (as `nlpgrade grade --db` does)."""
    slug = assignment.slug
    root = root.resolve()
    students = discover_submitted(root, slug)
    results: list[SubmissionResult] = []
    ours = Gradebook(db) if db else None
    suite = suite_sha(assignment, options)

    def on_result(result: SubmissionResult) -> None:
        if ours is not None:
            ours.record(slug, result, provenance=Provenance(
                submission_sha(assignment, dict(students)[result.student]), suite,
                options.device))
        results.append(result)

    job = Job(str(assignment.course), slug, options)
    try:
        if scheduler:
            from autograder.grading.distributed import grade_on_cluster

            grade_on_cluster(job, students, scheduler=scheduler, on_result=on_result)
        else:
            grade_batch(job, students, workers=workers, on_result=on_result)
    finally:
        if ours is not None:
            ours.close()
    folders = dict(students)
    graded = [apply_late_penalty(r, folders[r.student], assignment)
              for r in sorted(results, key=lambda r: r.student)]
    for item in graded:
        write_outputs(root, slug, assignment.manifest.title, item, folders[item.result.student])
    tests = [(t.name, t.max_score) for t in max((g.result.tests for g in graded), key=len)]
    try:
        import nbgrader.api  # noqa: F401
    except ImportError:
        target = root / "nlpgrade-export.csv"
        write_export_csv(target, slug, due=assignment.manifest.due,
                         max_score=assignment.manifest.points, graded=graded)
        where = f"{target} (nbgrader is not installed: `pip install 'nlpgrade[nbgrader]'` " \
                "to write its gradebook)"
    else:
        url = f"sqlite:///{root / 'gradebook.db'}"
        record(url, slug, due=assignment.manifest.due, max_score=assignment.manifest.points,
               tests=tests, graded=graded)
        where = f"nbgrader gradebook {root / 'gradebook.db'} (`nbgrader export` reads it)"
    if json_path is not None:
        batch = BatchResult(assignment=slug, max_score=assignment.manifest.points,
                            submissions=[g.result for g in graded],
                            isolation=graded[0].result.isolation if graded else "",
                            seed=options.run_seed, device=options.device)
        write_json_atomic(json_path, batch.to_json())
        where += f"; JSON: {json_path}"
    console.print(class_table(f"{assignment.manifest.title} ({slug}), nbgrader course "
                              f"{root}", [g.result for g in graded]))
    console.print(f"\n{len(graded)} submissions · autograded/ and feedback/ written under "
                  f"{root} · scores: {where}", highlight=False)
    return graded
