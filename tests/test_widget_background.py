"""The widget's background work on a real asyncio event loop, as in a kernel: steps run between
messages, a message that arrives during a step goes before the next one, stale work stops, and
the user's prompts are answered at once while the network adapts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import replace

import numpy as np
import pytest

import multiverseg_widget as mvw
from multiverseg_widget.common.steps import StepProgress, Steps
from multiverseg_widget.model import Predictor
from multiverseg_widget.widget.background import BackgroundWork, Job
from multiverseg_widget.widget.codec import decode_array
from multiverseg_widget.widget.notices import adapting, suggesting

from .test_widget import click, send


def counting(events: list[str], name: str, steps: int) -> Steps[None]:
    """``steps`` steps that say when they run and when they are dropped."""
    try:
        for k in range(steps):
            events.append(f"{name} step {k + 1}")
            yield StepProgress("counting", k + 1, steps)
    finally:
        events.append(f"{name} closed")


def job(events: list[str], name: str, steps: Iterator[StepProgress]) -> Job:
    return Job(
        name,
        steps,  # type: ignore[arg-type]
        on_progress=lambda p: events.append(f"{name} progress {p.done}/{p.total}"),
        on_done=lambda result: events.append(f"{name} done" + (f": {result}" if result else "")),
        on_error=lambda e: events.append(f"{name} failed: {e}"),
    )


async def until(condition: Callable[[], bool], timeout_s: float = 120.0) -> None:
    """Let the loop run until ``condition`` holds (fails after ``timeout_s``)."""
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.01)


def test_without_an_event_loop_a_job_runs_to_its_end_at_once():
    events: list[str] = []
    work = BackgroundWork()
    work.start(job(events, "a", counting(events, "a", 2)))
    assert events == [
        "a step 1", "a progress 1/2", "a step 2", "a progress 2/2", "a closed", "a done"
    ]  # fmt: skip
    assert work.key is None


def test_on_a_loop_a_message_that_arrives_during_a_step_goes_before_the_next_step():
    events: list[str] = []

    def steps() -> Steps[None]:
        loop = asyncio.get_running_loop()
        events.append("step 1")
        loop.call_soon(events.append, "message")  # arrives while step 1 runs
        yield StepProgress("counting", 1, 2)
        events.append("step 2")
        yield StepProgress("counting", 2, 2)

    async def scenario() -> None:
        work = BackgroundWork()
        work.start(job(events, "a", steps()))
        assert events == [] and work.key == "a"  # nothing runs inside the request
        await until(lambda: work.key is None)

    asyncio.run(scenario())
    assert events == [
        "step 1", "a progress 1/2", "message", "step 2", "a progress 2/2", "a done"
    ]  # fmt: skip


def test_a_job_with_a_grace_steps_only_that_long_after_the_last_request():
    started: list[float] = []

    def steps() -> Steps[None]:
        started.append(asyncio.get_running_loop().time())
        yield StepProgress("adapting", 1, 1)

    async def scenario() -> None:
        work, loop = BackgroundWork(), asyncio.get_running_loop()
        work.start(replace(job([], "a", steps()), grace_s=0.2))
        await asyncio.sleep(0.1)
        request = loop.time()
        work.after_request()  # a prompt: the step waits 0.2 s from here
        await until(lambda: work.key is None)
        assert started[0] - request >= 0.2

    asyncio.run(scenario())


def test_starting_another_job_drops_the_stale_one_after_its_step():
    events: list[str] = []

    async def scenario() -> None:
        work, loop = BackgroundWork(), asyncio.get_running_loop()
        stale = job(events, "a", counting(events, "a", 3))
        newer = job(events, "b", counting(events, "b", 1))
        stale.on_progress = lambda _: loop.call_soon(work.start, newer)  # a message in step 1
        work.start(stale)
        await until(lambda: "b done" in events)

    asyncio.run(scenario())
    assert events == [
        "a step 1", "a closed", "b step 1", "b progress 1/1", "b closed",
        "b done",
    ]  # fmt: skip


def test_without_an_event_loop_a_failed_step_fails_the_request():
    def failing() -> Steps[None]:
        yield StepProgress("counting", 1, 2)
        raise RuntimeError("out of memory")

    events: list[str] = []
    work = BackgroundWork()
    with pytest.raises(RuntimeError, match="out of memory"):
        work.start(job(events, "a", failing()))
    assert events == ["a progress 1/2"] and work.key is None


def test_on_a_loop_a_failed_step_ends_its_job_and_says_why():
    events: list[str] = []

    def failing() -> Steps[None]:
        yield StepProgress("counting", 1, 2)
        raise RuntimeError("out of memory")

    async def scenario() -> None:
        work = BackgroundWork()
        work.start(job(events, "a", failing()))
        await until(lambda: work.key is None)

    asyncio.run(scenario())
    assert events == ["a progress 1/2", "a failed: out of memory"]


@pytest.mark.usefixtures("quick_adaptation")
def test_prompts_are_answered_at_once_while_the_network_adapts_in_the_background(
    nuclei, small_nets, tmp_path
):
    model, images = Predictor(*small_nets, adapt_to_context=True), nuclei["images"][:4]

    async def scenario() -> None:
        widget = mvw.annotate(images, model=model, workdir=tmp_path / "work")
        session = widget.session
        send(widget, click(100, 120), {"kind": "accept"})
        request = send(widget, click(100, 120), {"kind": "accept"})  # 2 context images
        assert widget.ack == request and widget.index == 2  # answered without adapting
        assert widget.notices == [adapting(2).to_wire()] and not session.prediction.adapted
        request = send(widget, click(90, 90))  # a prompt meanwhile: answered at once
        assert widget.ack == request and not session.prediction.adapted
        await until(lambda: widget.notices == [])
        assert session.adaptation_work() is None and widget.work == {}
        assert not session.prediction.adapted  # the prompt's answer stays
        send(widget, click(80, 80, positive=False))
        assert session.prediction.adapted  # the adapted network takes over

    asyncio.run(scenario())


@pytest.mark.usefixtures("quick_adaptation")
def test_an_untouched_image_gets_the_adapted_prediction_and_stale_work_stops(
    nuclei, small_nets, tmp_path
):
    model, images = Predictor(*small_nets, adapt_to_context=True), nuclei["images"][:4]

    async def scenario() -> None:
        widget = mvw.annotate(images, model=model, workdir=tmp_path / "work")
        session = widget.session
        send(widget, click(100, 120), {"kind": "accept"}, click(100, 120), {"kind": "accept"})
        assert widget.notices == [adapting(2).to_wire()]  # for image 2, from images 0 and 1
        send(widget, click(100, 120), {"kind": "accept"})  # image 3 opens: that work is stale
        assert widget.index == 3 and widget.notices == [adapting(3).to_wire()]
        await until(lambda: widget.notices == [])
        assert len(model.adapted) == 1  # the stale set was never adapted to
        assert session.prediction.adapted and not session.can_undo  # still the first answer
        np.testing.assert_array_equal(decode_array(widget.mask), session.prediction.mask)

    asyncio.run(scenario())


def test_a_suggestion_predicts_in_steps_then_opens_the_least_sure_image(
    nuclei, small_predictor, tmp_path
):
    async def scenario() -> None:
        widget = mvw.annotate(nuclei["images"][:6], model=small_predictor, workdir=tmp_path / "w")
        session = widget.session
        send(widget, click(100, 120), {"kind": "accept"})
        seen: list[dict] = []
        widget.observe(lambda change: seen.append(change["new"]), names="work")
        request = send(widget, {"kind": "suggest"})
        assert widget.ack == request and widget.index == 1  # answered before predicting
        assert widget.notices == [suggesting().to_wire()]
        await until(lambda: widget.notices != [suggesting().to_wire()])
        assert widget.notices[0]["code"] == "suggested" and widget.work == {}
        confidence = session.propagated.confidence
        assert widget.index == min(confidence, key=lambda i: (confidence[i], i))
        assert [w["done"] for w in seen if w] == [0, 2, 4, 5]  # 5 open images, 2 per step

    asyncio.run(scenario())


def test_a_change_made_while_a_suggestion_predicts_drops_it(nuclei, small_predictor, tmp_path):
    async def scenario() -> None:
        widget = mvw.annotate(nuclei["images"][:6], model=small_predictor, workdir=tmp_path / "w")
        send(widget, click(100, 120), {"kind": "accept"})
        send(widget, {"kind": "suggest"})
        assert widget._jobs.under_way == "suggest"
        send(widget, click(50, 60))  # the user goes on with image 2: the suggestion is dropped
        assert widget._jobs.under_way is None and widget.notices == [] and widget.work == {}
        assert widget.index == 1 and len(widget.session.interactions) == 1

    asyncio.run(scenario())


@pytest.mark.usefixtures("quick_adaptation")
def test_going_to_an_accepted_image_drops_the_adaptation_under_way(nuclei, small_nets, tmp_path):
    model = Predictor(*small_nets, adapt_to_context=True)

    async def scenario() -> None:
        widget = mvw.annotate(nuclei["images"][:4], model=model, workdir=tmp_path / "work")
        send(widget, click(100, 120), {"kind": "accept"}, click(100, 120), {"kind": "accept"})
        assert widget.notices == [adapting(2).to_wire()]  # for image 2
        send(widget, {"kind": "navigate", "index": 0, "by": 0})  # accepted: nothing to adapt
        assert widget.notices == [] and widget.work == {} and widget._jobs.under_way is None
        send(widget, {"kind": "navigate", "index": 2, "by": 0})  # back: the work starts again
        assert widget.notices == [adapting(2).to_wire()] and widget._jobs.under_way is not None
        await until(lambda: widget.notices == [])
        assert len(model.adapted) == 1 and widget.session.prediction.adapted

    asyncio.run(scenario())
