"""Where replications run: the local process pool (the default) or a Dask distributed cluster.

:func:`make_executor` turns the command line's ``--executor`` and ``--scheduler`` into a
``concurrent.futures``-style executor for :func:`sim.run` and the studies built on it (``None``
for the local path, which uses ``--jobs`` processes).  Results do not depend on where a
replication runs: its random numbers come from the root seed and its replication number only,
and replications are folded into the summary in replication order.

The Dask executor needs the optional extra (``pip install 'approval-sim[dask]'``) and the same
approval-sim on the workers: on connecting, every worker's copy of the package (its source,
Python, NumPy and SimPy versions) is checked against this one.
"""

from __future__ import annotations

import hashlib
import platform
import socket
import warnings
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from distributed import Client

KINDS = ("local", "dask")
CONNECT_TIMEOUT = 10.0  # seconds to reach the scheduler before giving up
DEFAULT_PORT = 8786  # Dask's scheduler port, when an address gives none
INSTALL_HINT = "pip install 'approval-sim[dask]'"


class ExecutorError(RuntimeError):
    """The executor cannot be set up: unknown kind, missing extra, bad or unreachable scheduler, odd workers.

    The command line reports it as ``error: ...`` with exit status 2.
    """


@contextmanager
def make_executor(
    kind: str = "local", scheduler: str | None = None, *, timeout: float = CONNECT_TIMEOUT
) -> Iterator[Executor | None]:
    """The executor for ``kind``, as a context manager.

    ``"local"`` yields None (replications run in this process, or in a local process pool with
    ``jobs`` > 1); ``"dask"`` connects a ``distributed.Client`` to ``scheduler`` (e.g.
    ``tcp://HOST:8786``), checks that every worker runs this same approval-sim (see
    :func:`code_fingerprint`), yields ``client.get_executor(pure=False)`` and closes the client on exit.

    Raises:
        ExecutorError: with a message for the user (what is wrong and what to do).
    """
    if kind not in KINDS:
        raise ExecutorError(f"unknown executor {kind!r}; choose from {', '.join(KINDS)}")
    if kind == "local":
        if scheduler is not None:
            raise ExecutorError("a scheduler address is only used by the Dask executor: add --executor dask")
        yield None
        return
    if not scheduler:
        raise ExecutorError("the Dask executor needs the scheduler's address: --scheduler tcp://HOST:8786")
    client = _connect(scheduler, timeout)
    try:
        _check_workers(client, scheduler)
        # pure=False: every chunk is a task of its own, nothing is hashed or shared between submissions
        yield client.get_executor(pure=False)
    finally:
        client.close()


def executor_threads(executor: Executor | None) -> int:
    """Threads working for ``executor`` now: a Dask cluster's total, 0 when unknown (or local)."""
    client = getattr(executor, "_client", None)  # distributed's ClientExecutor
    try:
        return sum(client.nthreads().values()) if client is not None else 0
    except Exception:
        return 0


def _connect(address: str, timeout: float) -> Client:
    try:
        from distributed import Client
        from distributed.comm.addressing import parse_address, parse_host_port, unparse_host_port
    except ImportError:
        raise ExecutorError(f"the Dask executor needs the dask extra: {INSTALL_HINT}") from None
    try:
        scheme, loc = parse_address(address)
        if scheme == "tcp":
            host, port = parse_host_port(loc, default_port=DEFAULT_PORT)
            address = f"tcp://{unparse_host_port(host, port)}"
    except ValueError as e:
        raise ExecutorError(f"bad Dask scheduler address {address!r}: {e}; e.g. tcp://HOST:8786") from None
    if scheme == "tcp":
        # a plain connection first: a refused or unknown address fails at once with the system's reason
        # rather than after distributed's retries
        try:
            socket.create_connection((host, port), timeout=timeout).close()
        except OSError as e:
            why = "no answer" if isinstance(e, TimeoutError) else (e.strerror or str(e))
            raise ExecutorError(f"cannot reach the Dask scheduler at {address}: {why}") from None
    # then ask who answers, within the timeout: the Client itself can wait forever on a server that is not a
    # Dask scheduler (a dashboard port, say), and a Client that failed half-way hangs again when collected
    who = _identity(address, timeout)
    if who != "Scheduler":
        what = f"a Dask {who.lower()}" if who in ("Worker", "Nanny") else f"not a Dask scheduler ({who})"
        raise ExecutorError(f"{address} is {what}; give the scheduler's address, e.g. tcp://HOST:8786")
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, ValueError, TimeoutError) as e:
        raise ExecutorError(f"cannot connect to the Dask scheduler at {address}: {e}") from None


def _identity(address: str, timeout: float) -> str:
    """What serves ``address``: "Scheduler", "Worker", or why there is no answer."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from distributed.comm import connect
    from distributed.security import Security

    async def ask() -> Any:
        comm = await connect(address, timeout=timeout, **Security().get_connection_args("client"))
        try:
            await comm.write({"op": "identity"})
            return await comm.read()
        finally:
            comm.abort()

    try:
        with ThreadPoolExecutor(1) as thread:  # its own event loop, also where one runs (a notebook)
            reply = thread.submit(asyncio.run, asyncio.wait_for(ask(), timeout)).result()
    except ValueError as e:
        raise ExecutorError(f"bad Dask scheduler address {address!r}: {e}") from None
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except Exception as e:
        raise ExecutorError(f"cannot connect to the Dask scheduler at {address}: {type(e).__name__}: {e}") from None
    if isinstance(reply, dict) and reply.get("type"):
        return str(reply["type"])
    return "an unexpected answer"


def _check_workers(client: Client, address: str) -> None:
    """Every worker must run the same approval-sim as this process, or results could differ."""
    try:
        theirs = client.run(code_fingerprint)
    except Exception as e:  # e.g. the workers cannot import sim
        raise ExecutorError(
            f"the Dask workers of {address} cannot run approval-sim ({type(e).__name__}: {e}); "
            f"install this version there"
        ) from None
    if not theirs:
        warnings.warn(
            f"the Dask scheduler at {address} has no workers yet: replications wait until some join", stacklevel=2
        )
        return
    mine = code_fingerprint()
    odd = sorted(w for w, f in theirs.items() if tuple(f) != mine)
    if odd:
        what = ", ".join(
            name
            for name, a, b in zip(("approval-sim source", "Python", "NumPy", "SimPy"), theirs[odd[0]], mine)
            if a != b
        )
        more = f" and {len(odd) - 1} more" if len(odd) > 1 else ""
        raise ExecutorError(
            f"Dask worker {odd[0]}{more} differs from this installation ({what}), so results "
            f"would not be identical to local runs: install the same versions on every worker"
        )


def source_files() -> list[Path]:
    """Every source file of the ``sim`` package, every layer's, in a stable order."""
    package = Path(__file__).resolve().parents[1]
    return sorted(package.rglob("*.py"), key=lambda p: p.relative_to(package).as_posix())


def code_fingerprint() -> tuple[str, str, str, str]:
    """What a replication's results depend on besides its inputs: a hash of the package's source files and
    the Python, NumPy and SimPy versions."""
    import numpy
    import simpy

    h = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for path in source_files():
        h.update(path.relative_to(package).as_posix().encode())
        h.update(path.read_bytes())
    python = ".".join(platform.python_version_tuple()[:2])
    return h.hexdigest()[:16], python, numpy.__version__, getattr(simpy, "__version__", "")
