"""Run a risky parse in a child process with a hard memory and time limit, so that no file can
take the loader down.

What runs here and why only that: XLSX and JSON. A workbook is a zip whose parts can inflate a
thousandfold (a shared-strings bomb) or declare a grid of 17 billion cells (a cell at
XFD1048576) that the spreadsheet reader allocates as a dense range in native code, where
Python cannot stop it; JSON can nest and spell numbers without bound. Their files are small and
few, so a child per file costs little. CSV, the large and frequent case, stays in the loader's
process: its parse is pyarrow's, whose memory grows with the file's size, which the contract
caps before the file is read (`max_file_mb`); a child would cost the fast path a copy of every
column back to the parent.

How: a `forkserver` child (started once per loader process, it imports the readers; each parse
is then a fork of that clean, single-threaded server, some tens of milliseconds) sets
RLIMIT_AS before it parses. An allocation beyond the limit fails: Python raises MemoryError,
native code aborts the child; either way only the child dies, the file is refused, and the
loader goes on. A child that runs longer than PARSE_SECONDS is killed.
"""
from __future__ import annotations

import multiprocessing as mp
import resource
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from ingest.arrow_only import forbid_pandas
from ingest.errors import FileRefused
from ingest.incident import redacted_traceback

# Address space of the child, its interpreter and preloaded libraries (~0.4 GB) included. The
# 200,000-row workbook of `make bench` peaks at 0.7 GB of address space (0.3 GB resident).
PARSE_MEMORY_BYTES = 2**30
PARSE_SECONDS = 600

T = TypeVar("T")

_context: Any = None


def _forkserver() -> Any:
    global _context
    if _context is None:
        context = mp.get_context("forkserver")
        context.set_forkserver_preload(["ingest.readers", "python_calamine"])
        _context = context
    return _context


_starting = threading.Lock()


def _start(child: mp.process.BaseProcess) -> None:
    """Start `child` without its re-running the parent's main module. multiprocessing has every
    child it starts import the parent's `__main__` again (a script, `-m infopositie.cli`, pytest,
    an Airflow task runner), whatever the target needs: per parsed workbook that was the command
    line's or pytest's imports, compiled from source where no bytecode is written (0.2 s and up per
    file). The target (`_child` and the readers) lives in modules the fork server preloaded; the
    child needs nothing of `__main__`, and multiprocessing skips it when `__main__` names neither
    a module nor a file, which it does here for the instant of the start."""
    main = sys.modules["__main__"]
    with _starting:
        spec, file = getattr(main, "__spec__", None), main.__dict__.pop("__file__", None)
        main.__spec__ = None
        try:
            child.start()
        finally:
            main.__spec__ = spec
            if file is not None:
                main.__file__ = file


class ParseFailed(RuntimeError):
    """The parse raised something other than FileRefused: a bug, with its technical detail
    (stack and exception types, never the message, which may quote the file)."""


def _child(send: Connection, limit: int, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    # The first Arrow array a process builds imports pandas (about 0.9 s), and every child starts
    # from the server's state, before any array: without this each workbook or JSON file paid it.
    forbid_pandas()
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        outcome: tuple[str, Any] = ("ok", fn(*args))
    except FileRefused as refused:
        outcome = ("refused", refused)
    except MemoryError:
        outcome = ("memory", None)
    except BaseException as err:  # noqa: BLE001 - reported to the parent as a bug
        outcome = ("error", redacted_traceback(err))
    try:
        send.send(outcome)
    except MemoryError:
        send.send(("memory", None))
    send.close()


def too_much_memory() -> FileRefused:
    return FileRefused(
        "Het bestand kon niet worden gelezen: het vraagt bij het uitpakken of lezen meer geheugen dan voor één "
        f"levering is toegestaan ({PARSE_MEMORY_BYTES // 2**20} MB). Dat gebeurt bij een Excel-werkmap die "
        "uitgepakt vele malen groter is dan het bestand, of een tabblad dat tot ver buiten de gegevens reikt. "
        "Lever een bestand aan met alleen de gegevens.")


def run_limited(fn: Callable[..., T], *args: Any, limit: int = PARSE_MEMORY_BYTES,
                seconds: float = PARSE_SECONDS) -> T:
    """`fn(*args)` in a child under `limit` bytes of address space; its FileRefused is raised
    here, running out of memory or time refuses the file, anything else raises ParseFailed."""
    context = _forkserver()
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(send, limit, fn, args), name="parse", daemon=True)
    _start(child)
    send.close()
    try:
        if not receive.poll(seconds):
            raise FileRefused(f"Het lezen van het bestand duurde langer dan {seconds / 60:.0f} minuten en is "
                              "afgebroken. Lever een bestand aan met alleen de gegevens.")
        try:
            kind, payload = receive.recv()
        except EOFError:  # the child died: native code aborted on a failed allocation, or was killed
            raise too_much_memory() from None
    finally:
        receive.close()
        child.join(timeout=5)
        if child.is_alive():
            child.kill()
            child.join()
    if kind == "ok":
        return payload
    if kind == "refused":
        raise payload
    if kind == "memory":
        raise too_much_memory()
    raise ParseFailed(payload)
