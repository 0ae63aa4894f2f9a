"""The agent's SQLite dispatch queue: WAL, stored before sending, deleted only on acknowledgement."""

from __future__ import annotations

import sqlite3
import uuid

from xem.agent import Queue


def test_queue_uses_wal_and_keeps_frames_across_a_reopen_until_acknowledged(tmp_path):
    path = tmp_path / "queue.sqlite"
    queue = Queue(path)
    frame = uuid.uuid4()
    queue.put(frame, "progress", b"payload")
    queue.close()
    queue = Queue(path)
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert [row[0] for row in queue.due(0)] == [str(frame)]
    queue.ack(frame)
    assert queue.due(0) == []


def test_a_frame_sent_recently_is_not_due_again_until_the_resend_delay(tmp_path):
    queue = Queue(tmp_path / "q.sqlite")
    frame = uuid.uuid4()
    queue.put(frame, "progress", b"p")
    queue.mark_sent(str(frame))
    assert queue.due(60) == [] and len(queue.due(0)) == 1


def test_a_resent_dispatch_is_recorded_once(tmp_path):
    queue = Queue(tmp_path / "q.sqlite")
    invocation = uuid.uuid4()
    assert queue.receive(invocation, uuid.uuid4(), b"d") is True
    assert queue.receive(invocation, uuid.uuid4(), b"d") is False
    assert queue.in_flight() == [str(invocation)]


def test_a_finished_invocation_stays_in_flight_until_its_result_is_acknowledged(tmp_path):
    queue = Queue(tmp_path / "q.sqlite")
    invocation, result = uuid.uuid4(), uuid.uuid4()
    queue.receive(invocation, uuid.uuid4(), b"d")
    queue.finish(invocation, result, b"r", durable=True)
    assert queue.in_flight() == [str(invocation)] and queue.inbox("done")[0][0] == str(invocation)
    assert queue.ack(result) == str(invocation)
    assert queue.in_flight() == [] and queue.due(0) == []


def _statements(queue: Queue) -> list[str]:
    seen: list[str] = []
    queue._db.set_trace_callback(seen.append)
    return seen


def test_a_mutating_result_is_committed_with_synchronous_full_and_others_with_normal(tmp_path):
    queue = Queue(tmp_path / "q.sqlite")
    mutating, read = uuid.uuid4(), uuid.uuid4()
    for invocation in (mutating, read):
        queue.receive(invocation, uuid.uuid4(), b"d")
    seen = _statements(queue)
    queue.finish(mutating, uuid.uuid4(), b"r", durable=True)
    assert seen[0] == "PRAGMA synchronous=FULL" and "COMMIT" in seen and seen[-1] == "PRAGMA synchronous=NORMAL"
    assert seen.index("PRAGMA synchronous=FULL") < seen.index("COMMIT")
    seen.clear()
    queue.finish(read, uuid.uuid4(), b"r", durable=False)
    assert not any("synchronous" in s for s in seen) and "COMMIT" in seen
