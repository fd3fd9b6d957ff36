"""The simulators' TCP link: unplugging and plugging the cable again on the same port."""

from __future__ import annotations

import socket
import threading

import pytest

from drivers.simlink import TcpLink


def test_plug_waits_for_the_old_listener_to_let_go_of_the_port() -> None:
    link = TcpLink()
    link.unplug()
    # Another socket still listens on the port (as the old listener does while a
    # simulator thread's select() holds it); it lets go a moment later.
    squatter = socket.create_server((link.host, link.port))
    release = threading.Timer(0.2, squatter.close)
    release.start()
    try:
        link.plug()
        assert link.plugged
        with socket.create_connection((link.host, link.port), timeout=2):
            pass
    finally:
        release.join()
        link.close()


def test_plug_gives_up_when_the_port_stays_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("drivers.simlink.PLUG_RETRY_S", 0.1)
    link = TcpLink()
    link.unplug()
    squatter = socket.create_server((link.host, link.port))
    try:
        with pytest.raises(OSError, match="Address already in use"):
            link.plug()
        assert not link.plugged
    finally:
        squatter.close()
        link.close()
