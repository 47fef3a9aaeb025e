"""The real grader behind the website: uploads queued while no server grades are graded by
the next one, a claim left by a killed server is taken back, scores match the examples."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from autograder.web.app import build_site, create_app
from autograder.web.queue import UploadQueue

from .conftest import MASKING, add_people, example, make_config, sign_in, upload

DEADLINE_S = 300.0


def wait_graded(client: TestClient, upload_ids: list[int]) -> dict[int, str]:
    """Poll each upload's status fragment (as the page does) until it shows feedback."""
    pages: dict[int, str] = {}
    deadline = time.monotonic() + DEADLINE_S
    while len(pages) < len(upload_ids):
        assert time.monotonic() < deadline, f"graded {sorted(pages)} of {upload_ids}"
        for upload_id in upload_ids:
            if upload_id not in pages:
                text = client.get(f"/uploads/{upload_id}/status").text
                if "hx-trigger" not in text:
                    pages[upload_id] = text
        time.sleep(0.2)  # the poll interval; the condition is the page, not a time
    return pages


def test_uploads_wait_in_the_database_and_the_next_server_grades_them(tmp_path: Path) -> None:
    offline = build_site(make_config(tmp_path))  # a server that does not grade (or died)
    add_people(offline)
    with TestClient(create_app(offline.config, site=offline)) as client:
        sign_in(client, "alice")
        ids = [upload(client, {"masking.py": ("masking.py", example(who))})[0]
               for who in ("alice", "carol", "frank")]
    stranded = UploadQueue(offline.gradebook.engine)  # this host, as the next server
    claimed = stranded.claim("masking")  # a server killed while grading the first one
    assert claimed is not None and claimed.upload.id == ids[0]
    offline.gradebook.close()

    config = make_config(tmp_path, grade=True, warm=("masking",))
    live = build_site(config)
    with TestClient(create_app(config, site=live)) as client:
        sign_in(client, "alice")
        pages = wait_graded(client, [i for i in ids if i is not None])
    scores = [(v.score, v.status, v.upload.id if v.upload else None)
              for v in live.grades.history(live.assignment("masking"), "alice")]
    alice, carol = MASKING["alice"], MASKING["carol"]
    assert sorted(scores, key=lambda s: s[2] or 0) == [
        (alice.score, "graded", ids[0]), (carol.score, "graded", ids[1]),
        (0.0, "import_error", ids[2])]
    # the report's own feedback markup
    assert f"{carol.score:g} <small>/ {carol.max_score:g} points" in pages[ids[1]]
    assert "mask after the softmax" in pages[ids[1]]  # the test's teaching message
    live.gradebook.close()


@pytest.mark.slow
def test_with_a_scheduler_the_queue_is_graded_on_a_dask_cluster(tmp_path: Path) -> None:
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster:
        config = make_config(tmp_path, grade=True, scheduler=str(cluster.scheduler_address))
        site = build_site(config)
        add_people(site)
        with TestClient(create_app(config, site=site)) as client:
            sign_in(client, "bob")
            ids = [upload(client, {"masking.py": ("masking.py", example(who))})[0]
                   for who in ("carol", "dave")]
            wait_graded(client, [i for i in ids if i is not None])
        history = site.grades.history(site.assignment("masking"), "bob")
        assert sorted(v.score or 0 for v in history) == sorted(
            [MASKING["carol"].score, MASKING["dave"].score])
        site.gradebook.close()
