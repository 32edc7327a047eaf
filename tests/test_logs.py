"""Log lines: plain text by default, one JSON object a line with HUB_LOG_FORMAT=json, each carrying the
context known where it was logged (request id, hub, connection, job)."""

from __future__ import annotations

import io
import json
import logging
from datetime import datetime

import pytest

from hub.cli import main
from hub.config import Settings
from hub.jobs import InProcessQueue
from hub.logs import TextFormatter, bound, configure_logging, log_context


@pytest.fixture
def configure():
    """configure_logging into a string buffer; the root logger is put back as it was afterwards."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    stream = io.StringIO()

    def configure_into(**settings: object) -> io.StringIO:
        configure_logging(Settings(**settings), stream=stream)  # type: ignore[arg-type]
        return stream

    yield configure_into
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_a_json_line_is_one_object_with_time_level_logger_message_and_the_known_context(configure):
    stream = configure(log_format="json")
    with bound(request_id="req-1", hub_id="hub-1", connection_id="con-1", job_id="job-1"):
        logging.getLogger("hub.test").warning("sold %d meals", 3)
    [line] = lines(stream)
    record = json.loads(line)
    assert list(record) == ["time", "level", "logger", "message", "request_id", "hub_id", "connection_id",
                            "job_id"]
    assert (record["level"], record["logger"], record["message"]) == ("WARNING", "hub.test", "sold 3 meals")
    assert (record["request_id"], record["hub_id"], record["connection_id"], record["job_id"]) == (
        "req-1", "hub-1", "con-1", "job-1")


def test_a_json_line_has_its_time_in_iso_8601_utc(configure):
    stream = configure(log_format="json")
    logging.getLogger("hub.test").warning("now")
    time = json.loads(lines(stream)[0])["time"]
    assert time.endswith("Z") and datetime.fromisoformat(time).utcoffset().total_seconds() == 0


def test_a_json_line_leaves_out_the_context_fields_not_known(configure):
    stream = configure(log_format="json")
    with bound(request_id="req-2"):
        logging.getLogger("hub.test").warning("no key yet")
    assert set(json.loads(lines(stream)[0])) == {"time", "level", "logger", "message", "request_id"}


def test_a_json_line_carries_the_traceback_as_an_exc_info_string(configure):
    stream = configure(log_format="json")
    try:
        raise RuntimeError("the POS hung up\nmid-line")
    except RuntimeError:
        logging.getLogger("hub.test").exception("poll failed")
    [line] = lines(stream)  # the newline in the traceback stays inside the one line
    record = json.loads(line)
    assert record["message"] == "poll failed"
    assert isinstance(record["exc_info"], str) and "RuntimeError: the POS hung up" in record["exc_info"]


def test_a_field_given_as_extra_overrides_the_context(configure):
    stream = configure(log_format="json")
    with bound(hub_id="hub-1"):
        logging.getLogger("hub.test").warning("about another hub", extra={"hub_id": "hub-2"})
    assert json.loads(lines(stream)[0])["hub_id"] == "hub-2"


def test_a_message_that_is_not_text_still_makes_a_json_line(configure):
    stream = configure(log_format="json")
    logging.getLogger("hub.test").warning({"bytes": b"\x00\xff"})
    assert json.loads(lines(stream)[0])["message"] == str({"bytes": b"\x00\xff"})


def test_text_is_the_default_format():
    assert Settings().log_format == "text" and Settings().log_level == "INFO"


def test_a_text_line_is_the_plain_format_with_the_known_context_after_the_message(configure):
    stream = configure()
    assert isinstance(logging.getLogger().handlers[-1].formatter, TextFormatter)
    logging.getLogger("hub.test").warning("plain")
    with bound(request_id="req-3", hub_id="hub-3"):
        logging.getLogger("hub.test").warning("with context")
    plain, with_context = lines(stream)
    assert plain.endswith(" WARNING hub.test: plain")
    assert with_context.endswith(" WARNING hub.test: with context [request_id=req-3 hub_id=hub-3]")
    with pytest.raises(json.JSONDecodeError):
        json.loads(plain)


def test_the_level_setting_drops_lines_below_it(configure):
    stream = configure(log_format="json", log_level="WARNING")
    logging.getLogger("hub.test").info("quiet")
    logging.getLogger("hub.test").warning("loud")
    assert [json.loads(line)["message"] for line in lines(stream)] == ["loud"]


def test_configuring_twice_replaces_the_handler_instead_of_stacking_it(configure):
    configure(log_format="json")
    stream = configure(log_format="json")
    logging.getLogger("hub.test").warning("once")
    assert len(lines(stream)) == 1


def test_an_unknown_format_is_refused(configure):
    with pytest.raises(ValueError, match="HUB_LOG_FORMAT must be one of text, json"):
        configure(log_format="xml")


def test_the_settings_come_from_hub_log_format_and_hub_log_level(monkeypatch):
    monkeypatch.setenv("HUB_LOG_FORMAT", "JSON")
    monkeypatch.setenv("HUB_LOG_LEVEL", "debug")
    settings = Settings.from_env()
    assert (settings.log_format, settings.log_level) == ("json", "DEBUG")


def test_the_worker_command_configures_logging_at_process_start(configure, capsys):
    """`python -m hub worker` without Redis stops with a user error, after logging was set up."""
    configure()  # a stand-in handler, so that the fixture puts the root logger back afterwards
    assert main(["worker"], settings=Settings(log_format="json")) == 2
    handler = logging.getLogger().handlers[-1]
    assert getattr(handler, "_hub_handler", False) and handler.formatter.__class__.__name__ == "JsonFormatter"


def test_a_one_off_command_leaves_logging_alone(configure, capsys):
    before = configure()
    main(["generate-secret-key"], settings=Settings(log_format="json"))
    logging.getLogger("hub.test").warning("still text")
    assert lines(before)[-1].endswith("WARNING hub.test: still text")


def test_an_in_process_job_logs_with_its_job_id_and_the_enqueuers_request_id(caplog):
    queue = InProcessQueue(workers=1)
    try:
        with caplog.at_level(logging.INFO), bound(request_id="req-4", hub_id="hub-4", connection_id="con-4"):
            queue.enqueue("tests.test_logs.job_that_logs", "item-1", job_id="job:item-1")
        queue.drain()
    finally:
        queue.shutdown()
    [record] = [r for r in caplog.records if r.getMessage() == "working on item-1"]
    # The connection is not carried: a job may be about another connection than its request's key.
    assert record.log_context == {"request_id": "req-4", "hub_id": "hub-4", "job_id": "job:item-1"}


def test_an_in_process_job_leaves_no_context_behind_in_its_thread(caplog):
    queue = InProcessQueue(workers=1)
    try:
        with bound(request_id="req-5"):
            queue.enqueue("tests.test_logs.job_that_logs", "item-2", job_id="job:item-2")
        queue.drain()
        with caplog.at_level(logging.INFO):
            queue.enqueue("tests.test_logs.job_that_logs", "item-3")
            queue.drain()
    finally:
        queue.shutdown()
    [record] = [r for r in caplog.records if r.getMessage() == "working on item-3"]
    assert record.log_context == {}


def test_a_failed_in_process_job_is_logged_with_its_context(caplog):
    queue = InProcessQueue(workers=1)
    try:
        with caplog.at_level(logging.INFO), bound(request_id="req-6"):
            queue.enqueue("tests.test_logs.job_that_fails", "item-4", job_id="job:item-4")
        queue.drain()
    finally:
        queue.shutdown()
    [record] = [r for r in caplog.records if r.getMessage().startswith("job tests.test_logs.job_that_fails")]
    assert record.log_context == {"request_id": "req-6", "job_id": "job:item-4"} and record.exc_info


def test_outside_any_request_or_job_the_context_is_empty():
    assert log_context() == {}


def job_that_logs(item_id: str) -> None:
    logging.getLogger("hub.test").info("working on %s", item_id)


def job_that_fails(item_id: str) -> None:
    raise RuntimeError(f"cannot do {item_id}")
