"""Scale drivers against their simulators over a real pty or TCP socket, faults included."""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from drivers.errors import (
    ScaleCommandError,
    ScaleError,
    ScaleProtocolError,
    ScaleTimeout,
    TransportOpenError,
)
from drivers.scale import ScaleNotStable, ScaleStatus, SicsScale, Weight, open_scale
from drivers.scale.driver import Toledo8217Scale
from drivers.scale.sim import (
    ScaleModel,
    SicsSimulator,
    Toledo8217Simulator,
    make_scale_simulator,
)
from drivers.simlink import PtyLink, TcpLink
from drivers.transport import Backoff, open_transport
from tests.drivers.fdcheck import no_fd_leaks  # noqa: F401 - fixture
from tests.drivers.waiting import wait_until

pytestmark = pytest.mark.usefixtures("no_fd_leaks")

Simulator = Toledo8217Simulator | SicsSimulator
PROTOCOLS = ["toledo8217", "mt-sics"]


@pytest.fixture(params=[(p, k) for p in PROTOCOLS for k in ("pty", "tcp")], ids=str)
def sim(request: pytest.FixtureRequest) -> Iterator[Simulator]:
    protocol, kind = request.param
    link = PtyLink("scale") if kind == "pty" else TcpLink()
    with make_scale_simulator(protocol, link, ScaleModel()) as simulator:
        yield simulator


def scale_for(sim: Simulator, *, stream: bool = False) -> Toledo8217Scale | SicsScale:
    driver = open_scale(
        sim.protocol, sim.url, response_timeout_s=0.3, poll_interval_s=0.02, stream=stream
    )
    assert wait_until(lambda: transport_connected(driver))
    return driver


def transport_connected(scale: Toledo8217Scale | SicsScale) -> bool:
    transport = scale.health().transport
    return transport is not None and transport.connected


def test_settled_load_reads_as_one_stable_weight_in_grams(sim: Simulator) -> None:
    sim.model.place(1250, settle_steps=3)
    with scale_for(sim) as scale:
        weight = scale.read_stable(5)
    assert weight.as_dict() == {"weight_g": 1250, "stable": True}
    assert weight.sellable
    assert weight.source == sim.url


def test_moving_load_is_never_reported_stable(sim: Simulator) -> None:
    sim.model.place(1250, settle_steps=50)
    with scale_for(sim) as scale:
        weight = scale.read_weight()
    assert not weight.stable
    assert not weight.sellable
    if sim.protocol == "toledo8217":
        assert (weight.grams, weight.status) == (None, ScaleStatus.IN_MOTION)
    else:
        assert weight.status is ScaleStatus.OK  # "S D": a number, but dynamic


def test_overload_is_an_error_state_and_never_a_stable_weight(sim: Simulator) -> None:
    sim.model.place(20_000)
    with scale_for(sim) as scale:
        weight = scale.read_weight()
        with pytest.raises(ScaleNotStable, match="overload"):
            scale.read_stable(0.2)
    assert (weight.grams, weight.status, weight.stable) == (None, ScaleStatus.OVERLOAD, False)


def test_below_zero_is_not_sellable(sim: Simulator) -> None:
    sim.model.place(-40)
    with scale_for(sim) as scale:
        weight = scale.read_weight()
    assert not weight.sellable
    if sim.protocol == "toledo8217":
        assert weight.status is ScaleStatus.UNDER_ZERO
    else:
        assert (weight.grams, weight.stable) == (-40, True)


def test_pan_removed_is_reported(sim: Simulator) -> None:
    sim.model.remove_pan()
    with scale_for(sim) as scale:
        weight = scale.read_weight()
    expected = ScaleStatus.UNDER_ZERO if sim.protocol == "toledo8217" else ScaleStatus.UNDERLOAD
    assert weight.status is expected


def test_zero_takes_a_small_load_off_the_reading(sim: Simulator) -> None:
    sim.model.place(100)  # a little dirt on the platter, within the zero range
    with scale_for(sim) as scale:
        scale.zero()
        assert wait_until(lambda: scale.read_weight().grams == 0)
        sim.model.place(1100)
        assert scale.read_stable(5).grams == 1000


def test_tare_and_clear_tare(sim: Simulator) -> None:
    sim.model.place(500)  # a container
    with scale_for(sim) as scale:
        scale.tare()
        assert wait_until(lambda: scale.read_weight().grams == 0)
        sim.model.place(1750)
        assert scale.read_stable(5).grams == 1250
        scale.clear_tare()
        assert wait_until(lambda: scale.read_weight().grams == 1750)


def test_sics_zero_outside_the_zero_range_is_refused() -> None:
    with SicsSimulator(PtyLink("scale")) as sim:
        sim.model.place(2000)
        with scale_for(sim) as scale, pytest.raises(ScaleCommandError, match="zero range"):
            scale.zero()


def test_sics_error_reply_is_reported_not_turned_into_a_weight() -> None:
    with SicsSimulator(PtyLink("scale")) as sim:
        sim.model.set_faults(error_reply="EL")
        with scale_for(sim) as scale:
            weight = scale.read_weight()
            with pytest.raises(ScaleNotStable, match="EL"):
                scale.read_stable(0.2)
    assert (weight.status, weight.grams) == (ScaleStatus.ERROR, None)
    assert "logical error" in weight.detail


def test_no_answer_raises_a_timeout_naming_the_scale(sim: Simulator) -> None:
    sim.model.set_faults(silent=True)
    with scale_for(sim) as scale:
        with pytest.raises(ScaleTimeout, match="did not answer"):
            scale.read_weight()
        health = scale.health()
    assert health.timeouts == 1
    assert not health.connected
    assert sim.url in (health.last_error or "")


def test_garbage_answers_raise_protocol_error_and_never_a_weight(sim: Simulator) -> None:
    sim.model.place(1250)
    sim.model.set_faults(garbage=True)
    with scale_for(sim) as scale:
        with pytest.raises(ScaleProtocolError, match="garbage"):
            scale.read_weight()
        with pytest.raises(ScaleNotStable):
            scale.read_stable(0.3)
        health = scale.health()
    assert health.garbage_frames >= 2
    assert health.last_weight is None


def test_half_an_answer_is_a_timeout_not_a_weight(sim: Simulator) -> None:
    sim.model.place(1250)
    sim.model.set_faults(partial=True)
    with scale_for(sim) as scale:
        with pytest.raises(ScaleError):
            scale.read_weight()
        assert scale.health().last_weight is None


def test_scale_recovers_when_it_answers_again(sim: Simulator) -> None:
    sim.model.place(1250)
    sim.model.set_faults(silent=True)
    with scale_for(sim) as scale:
        with pytest.raises(ScaleTimeout):
            scale.read_weight()
        sim.model.set_faults(silent=False)
        assert scale.read_stable(5).grams == 1250
        assert scale.health().connected


# --- continuous mode ---------------------------------------------------------------------------


def drain_until(
    scale: Toledo8217Scale | SicsScale, accept: Callable[[Weight], bool], limit: int = 200
) -> Weight:
    for _ in range(limit):
        weight = scale.get(5)
        assert weight is not None
        if accept(weight):
            return weight
    raise AssertionError("no matching weight event")


def test_polling_emits_weight_events_on_change_until_settled(sim: Simulator) -> None:
    with scale_for(sim) as scale:
        scale.start()
        first = drain_until(scale, lambda w: w.sellable and w.grams == 0)
        sim.model.place(1250, settle_steps=4)
        moving = drain_until(scale, lambda w: not w.stable)
        settled = drain_until(scale, lambda w: w.sellable)
        assert scale.get(0.2) is None  # an unchanged reading is not repeated
        health = scale.health()
    assert first.grams == 0
    assert not moving.sellable
    assert settled.grams == 1250
    assert health.readings > 3
    assert health.running


def test_read_stable_while_running_waits_for_the_next_stable_event(sim: Simulator) -> None:
    sim.model.place(640, settle_steps=5)
    with scale_for(sim) as scale:
        scale.start()
        assert scale.read_stable(5).grams == 640


def test_commands_while_running_are_queued_and_never_block(sim: Simulator) -> None:
    sim.model.place(500)
    with scale_for(sim) as scale:
        scale.start()
        drain_until(scale, lambda w: w.grams == 500)
        scale.tare()  # returns at once; the reader thread sends it
        assert drain_until(scale, lambda w: w.sellable and w.grams == 0).grams == 0


def test_sics_streaming_mode_uses_sir_and_survives_a_zero() -> None:
    with SicsSimulator(PtyLink("scale"), stream_interval_s=0.01) as sim:
        sim.model.place(120)
        with scale_for(sim, stream=True) as scale:
            scale.start()
            drain_until(scale, lambda w: w.sellable and w.grams == 120)
            scale.zero()
            drain_until(scale, lambda w: w.sellable and w.grams == 0)
            sim.model.place(1120, settle_steps=2)
            assert drain_until(scale, lambda w: w.sellable).grams == 1000
    assert b"SIR\r\n" in sim.received
    assert b"Z\r\n" in sim.received


def test_streaming_is_refused_for_toledo() -> None:
    with Toledo8217Simulator(PtyLink("scale")) as sim, pytest.raises(ScaleError, match="poll"):
        open_scale("toledo8217", sim.url, stream=True)


def test_cable_pulled_while_polling_reconnects_and_weights_resume(sim: Simulator) -> None:
    transport = open_transport(sim.url, backoff=Backoff(initial=0.01, maximum=0.05))
    cls = Toledo8217Scale if sim.protocol == "toledo8217" else SicsScale
    scale = cls(transport, response_timeout_s=0.3, poll_interval_s=0.02)
    with scale:
        scale.start()
        sim.model.place(300)
        drain_until(scale, lambda w: w.grams == 300)
        sim.link.unplug()
        assert wait_until(lambda: not scale.health().connected)
        sim.model.place(900)
        sim.link.plug()
        assert drain_until(scale, lambda w: w.sellable and w.grams == 900).grams == 900
        health = scale.health()
    assert health.reconnects >= 1
    assert health.connected


def test_produce_and_bagging_scales_deliver_the_same_events_on_one_queue() -> None:
    events: queue.Queue[Weight] = queue.Queue()
    with (
        Toledo8217Simulator(PtyLink("produce")) as produce_sim,
        SicsSimulator(TcpLink()) as bagging_sim,
    ):
        produce_sim.model.place(455)
        bagging_sim.model.place(3200)
        produce = open_scale("toledo8217", produce_sim.url, source="produce", events=events)
        bagging = open_scale("mt-sics", bagging_sim.url, source="bagging", events=events)
        with produce, bagging:
            produce.start()
            bagging.start()
            seen: dict[str, int | None] = {}
            for _ in range(50):
                weight = events.get(timeout=5)
                seen[weight.source] = weight.grams
                if len(seen) == 2:
                    break
    assert seen == {"produce": 455, "bagging": 3200}


def test_absent_scale_raises_open_error_for_one_shot_use(tmp_path: Path) -> None:
    with pytest.raises(TransportOpenError, match="no-scale"):
        open_scale("mt-sics", f"serial://{tmp_path}/no-scale", reconnect=False)


def test_unknown_driver_name_is_refused() -> None:
    with pytest.raises(ScaleError, match="toledo8217"):
        open_scale("dibal", "tcp://127.0.0.1:1")
