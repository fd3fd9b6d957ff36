"""The receipt printer driver: real-time status, the pre-payment check, spooled jobs.

Receipt bytes are made by python-escpos (`drivers.printer.builder`) and sent through
the one transport factory (`drivers.transport`), so USB, serial, network (raw TCP,
port 9100) and file printers differ only in their URL, and the simulator replaces
any of them by URL alone (SPEC section 4).

The shopper must never pay without a receipt: `ready()` asks the printer for its
real-time status (`DLE EOT 1..4`) before payment, and `print_job` first stores the
job in a durable spool, so a job sent while the printer is offline waits and is
printed, in order, when the printer is back.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from drivers.errors import TransportError
from drivers.printer.builder import ReceiptBuilder
from drivers.printer.cjk import Codec
from drivers.printer.errors import (
    InvalidStatusByte,
    PrinterConnectionError,
    PrinterError,
    PrinterNotAnswering,
)
from drivers.printer.spool import PrintSpool, SpooledJob
from drivers.printer.status import (
    STATUS_REQUESTS,
    NotReady,
    PrinterStatus,
    Readiness,
    is_status_byte,
    readiness,
)
from drivers.transport import FileSpec, Transport, drain_input, open_transport, parse_transport_url

log = logging.getLogger(__name__)

RAW_PRINT_PORT = 9100  # the de-facto raw TCP print port ("JetDirect", "AppSocket")


def printer_url(url: str) -> str:
    """The URL with the raw print port filled in: `tcp://host` means `tcp://host:9100`."""
    if url.startswith("tcp://"):
        rest = url.removeprefix("tcp://").rstrip("/")
        host_part = rest.rsplit("]", 1)[-1]  # an IPv6 literal has colons of its own
        if ":" not in host_part:
            return f"tcp://{rest}:{RAW_PRINT_PORT}"
    return url


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """What `print_job` did with one job."""

    job_id: str
    printed: bool  # this job is on paper now
    pending: int  # jobs still waiting in the spool, this one included if not printed
    reason: str | None = None  # why it waits (printer condition), when it waits


@dataclass(frozen=True, slots=True)
class PrinterHealth:
    """Snapshot for `kiosk devices` and the device manager."""

    url: str
    connected: bool
    last_error: str | None
    last_status: PrinterStatus | None
    jobs_printed: int
    jobs_pending: int
    jobs_stuck: int
    print_failures: int
    status_queries: int
    no_answers: int
    invalid_answers: int
    reconnects: int
    bytes_out: int


class ReceiptPrinter:
    """An ESC/POS receipt printer at a transport URL, with a durable job spool.

    All conversations with the printer are serialised by one lock, so the checkout,
    the retry thread and a technician command can share one instance.
    """

    def __init__(
        self,
        url: str,
        *,
        spool: PrintSpool | str | Path = ":memory:",
        codec: Codec = "gb18030",
        profile: str | None = None,
        status_timeout_s: float = 0.5,
        write_timeout_s: float = 5.0,
        stuck_after_s: float = 120.0,
        retry_interval_s: float = 2.0,
        reconnect: bool = True,
    ) -> None:
        self.url = printer_url(url)
        spec = parse_transport_url(self.url)  # raises TransportUrlError at once
        # A regular file cannot answer DLE EOT; a device file (/dev/usb/lp0) can.
        self.reports_status = not (isinstance(spec, FileSpec) and not spec.path.startswith("/dev/"))
        self.codec: Codec = codec
        self.profile = profile
        self.status_timeout_s = status_timeout_s
        self.stuck_after_s = stuck_after_s
        self.retry_interval_s = retry_interval_s
        # With reconnect=False an absent printer raises here (technician commands).
        self._transport: Transport = open_transport(
            self.url, timeout=write_timeout_s, reconnect=reconnect
        )
        try:
            self.spool = spool if isinstance(spool, PrintSpool) else PrintSpool(spool)
        except PrinterError:
            self._transport.close()
            raise
        self._owns_spool = not isinstance(spool, PrintSpool)
        self._lock = threading.RLock()  # one conversation with the printer at a time
        self._stats_lock = threading.Lock()  # health() never waits for a conversation
        self._last_error: str | None = None
        self._last_status: PrinterStatus | None = None
        self._counts = {
            "jobs_printed": 0,
            "print_failures": 0,
            "status_queries": 0,
            "no_answers": 0,
            "invalid_answers": 0,
        }
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # -- building ----------------------------------------------------------------------
    def receipt(self) -> ReceiptBuilder:
        """A builder for this printer's character set and profile."""
        return ReceiptBuilder(codec=self.codec, profile=self.profile)

    # -- status ------------------------------------------------------------------------
    def query(self, n: int) -> int:
        """Send `DLE EOT n` and return the validated reply byte.

        Raises `PrinterNotAnswering` after `status_timeout_s`, `InvalidStatusByte` for a
        reply without the fixed bits, `PrinterConnectionError` when the link is down.
        """
        if n not in STATUS_REQUESTS:
            raise ValueError(f"DLE EOT n is defined for n = 1..4, not {n}")
        if not self.reports_status:
            raise PrinterError(f"printer at {self.url} is a file: it cannot report its status")
        with self._lock:
            self._bump("status_queries")
            try:
                drain_input(self._transport)  # a late reply must not pass for this one
                self._transport.write(STATUS_REQUESTS[n])
                deadline = time.monotonic() + self.status_timeout_s
                while (remaining := deadline - time.monotonic()) > 0:
                    data = self._transport.read(1, remaining)
                    if data:
                        value = data[0]
                        break
                else:
                    self._bump("no_answers")
                    raise PrinterNotAnswering(self.url, n, self.status_timeout_s)
            except TransportError as exc:
                raise PrinterConnectionError(f"printer at {self.url}: {exc}") from exc
            if not is_status_byte(value):
                self._bump("invalid_answers")
                raise InvalidStatusByte(n, value)
            return value

    def status(self) -> PrinterStatus:
        """The printer's real-time status from `DLE EOT 1, 2, 3, 4` (raises on no answer)."""
        with self._lock:
            try:
                replies = bytes(self.query(n) for n in (1, 2, 3, 4))
                status = PrinterStatus.from_bytes(replies)
            except PrinterError as exc:
                self._note(last_error=str(exc))
                raise
            self._note(last_status=status)
            return status

    def ready(self) -> Readiness:
        """The pre-payment check: may the kiosk take money and print a receipt now?

        Never raises for a printer fault: no answer, garbage, a broken link, paper
        end, cover open, offline and errors all come back as a refusal with a reason.
        """
        if not self.reports_status:
            return Readiness(ok=True, warnings=(f"{self.url} cannot report status",))
        try:
            status = self.status()
        except PrinterNotAnswering as exc:
            return Readiness.refused(NotReady.NO_ANSWER, str(exc))
        except PrinterConnectionError as exc:
            return Readiness.refused(NotReady.NO_ANSWER, str(exc))
        except InvalidStatusByte as exc:
            return Readiness.refused(NotReady.INVALID_ANSWER, f"printer at {self.url}: {exc}")
        answer = readiness(status)
        if not answer.ok:
            self._note(last_error=f"printer at {self.url}: {answer.detail}")
        return answer

    # -- jobs --------------------------------------------------------------------------
    def print_job(self, data: bytes, job_id: str) -> JobOutcome:
        """Store the job durably, then print every waiting job in order while possible.

        A job id already stored is not stored or printed twice. Returns whether this
        job is printed; a job that waits is retried by `flush` (and by the retry
        thread after `start()`), and reported by `stuck_jobs` if it waits too long.
        """
        self.spool.add(job_id, data)
        reason = self.flush()
        job = self.spool.get(job_id)
        printed = job is not None and job.printed
        return JobOutcome(
            job_id=job_id,
            printed=printed,
            pending=len(self.spool.pending()),
            reason=None if printed else reason,
        )

    def flush(self) -> str | None:
        """Print waiting jobs oldest first; stop at the first that cannot be printed.

        Returns None when the spool is empty afterwards, else why the next job waits.
        """
        with self._lock:
            for job in self.spool.pending():
                reason = self._print_one(job)
                if reason is not None:
                    return reason
            return None

    def _print_one(self, job: SpooledJob) -> str | None:
        before = self.ready()
        if not before.ok:
            return self._failed(job, before.detail)
        try:
            self._transport.write(job.data)
        except TransportError as exc:
            return self._failed(job, f"printer at {self.url}: sending failed: {exc}")
        if self.reports_status:
            # DLE EOT is answered in real time, after the job's bytes were taken in: a
            # printer that stopped (paper out mid-receipt) prints the job again later;
            # a duplicate of a torn receipt is better than no receipt.
            after = self.ready()
            if not after.ok:
                return self._failed(job, f"printer stopped during the job: {after.detail}")
        self.spool.mark_printed(job.job_id)
        self._bump("jobs_printed")
        log.info("receipt printed", extra={"printer": self.url, "job_id": job.job_id})
        return None

    def _failed(self, job: SpooledJob, reason: str) -> str:
        self.spool.record_failure(job.job_id, reason)
        self._bump("print_failures")
        self._note(last_error=reason)
        log.warning(
            "print job waits",
            extra={"printer": self.url, "job_id": job.job_id, "reason": reason},
        )
        return reason

    def stuck_jobs(self) -> list[SpooledJob]:
        """Jobs waiting longer than `stuck_after_s`: the attendant must look at the printer."""
        return self.spool.stuck(self.stuck_after_s)

    def cancel_job(self, job_id: str) -> bool:
        """Drop a waiting job (attendant's decision); True when it was waiting."""
        return self.spool.cancel(job_id)

    # -- retry thread ------------------------------------------------------------------
    def start(self) -> Self:
        """Retry waiting jobs every `retry_interval_s` on a thread of the driver's own."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._retry_loop, name=f"printer {self.url}")
            self._thread.start()
        return self

    def kick(self) -> None:
        """Ask the retry thread to try now (e.g. after the attendant fixed the printer)."""
        self._wake.set()

    def _retry_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.retry_interval_s)
            self._wake.clear()
            if self._stop.is_set():
                return
            if self.spool.pending():
                try:
                    self.flush()
                except PrinterError as exc:  # e.g. the spool file became unwritable
                    self._note(last_error=str(exc))
                    log.error("print retry failed", extra={"printer": self.url, "error": str(exc)})

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def close(self) -> None:
        """Stop retrying and release the transport (and the spool, if it was opened here)."""
        self.stop()
        with self._lock:
            self._transport.close()
            if self._owns_spool:
                self.spool.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- health ------------------------------------------------------------------------
    def _bump(self, counter: str) -> None:
        with self._stats_lock:
            self._counts[counter] += 1

    def _note(
        self, *, last_error: str | None = None, last_status: PrinterStatus | None = None
    ) -> None:
        with self._stats_lock:
            if last_error is not None:
                self._last_error = last_error
            if last_status is not None:
                self._last_status = last_status

    def health(self) -> PrinterHealth:
        transport = self._transport.health()
        with self._stats_lock:
            counts = dict(self._counts)
            last_error = self._last_error
            last_status = self._last_status
        return PrinterHealth(
            url=self.url,
            connected=transport.connected,
            last_error=last_error or transport.last_error,
            last_status=last_status,
            jobs_printed=counts["jobs_printed"],
            jobs_pending=len(self.spool.pending()),
            jobs_stuck=len(self.stuck_jobs()),
            print_failures=counts["print_failures"],
            status_queries=counts["status_queries"],
            no_answers=counts["no_answers"],
            invalid_answers=counts["invalid_answers"],
            reconnects=transport.reconnects,
            bytes_out=transport.bytes_out,
        )
