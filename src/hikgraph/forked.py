"""Running one function in a forked process of its own, for its result alone.

The build reads, classifies and writes a large directory this way
(:func:`hikgraph.build.build`): what the function held (records, models, its own worker
processes) goes back to the system when the process ends, and only its result, which
must pickle, comes back.
"""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

R = TypeVar("R")


class ForkedProcessDied(Exception):
    """The forked process ended without sending a result (killed, out of memory);
    :attr:`exitcode` is its exit status (-N: killed by signal N)."""

    def __init__(self, message: str, exitcode: int | None) -> None:
        super().__init__(message)
        self.exitcode = exitcode


def run_forked(
    function: Callable[..., R],
    *args: Any,
    on_note: Callable[[Any], None] | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> R:
    """Return ``function(*args)``, called in a forked process; raise what it raised.

    With *on_note*, the function is given one more argument: a callable that sends a
    picklable note back at once, on which this process calls ``on_note(note)`` while
    the function goes on (if on_note raises, the forked process is terminated). With
    *meanwhile*, this process calls ``meanwhile()`` once the forked one has started,
    before it waits for the answer: work of its own for the time it would only wait
    (if it raises, the forked process is terminated).

    An exception that does not pickle comes back as a RuntimeError with its message.
    Raises :class:`ForkedProcessDied` when the process ends without an answer. If this
    process is interrupted meanwhile, the forked one is terminated.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    # Not a daemon: the function may start worker processes of its own.
    process = context.Process(
        target=_call_and_send, args=(sender, function, args, on_note is not None)
    )
    process.start()
    sender.close()
    answered = False
    try:
        try:
            if meanwhile is not None:
                meanwhile()
            kind, value = receiver.recv()
            while kind == _NOTE:
                assert on_note is not None  # notes are only sent when asked for
                on_note(value)
                kind, value = receiver.recv()
            failed = kind == _FAILED
            answered = True
        except EOFError:
            process.join()
            raise ForkedProcessDied(
                f"the process running {function.__name__} ended without an answer "
                f"(exit code {process.exitcode})",
                process.exitcode,
            ) from None
    finally:
        receiver.close()
        if not answered and process.is_alive():
            process.terminate()
        process.join()
    if failed:
        raise value
    return value  # type: ignore[no-any-return]


# What a message from the forked process is: a note, the result, or an exception.
_NOTE, _RESULT, _FAILED = "note", "result", "failed"


def _call_and_send(
    sender: Connection, function: Callable[..., Any], args: tuple[Any, ...], notes: bool
) -> None:
    def note(value: Any) -> None:
        sender.send((_NOTE, value))

    try:
        answer: tuple[str, Any] = (_RESULT, function(*args, note) if notes else function(*args))
    except BaseException as error:  # every failure goes back to the caller
        answer = (_FAILED, _portable(error))
    try:
        sender.send(answer)
    except (pickle.PicklingError, TypeError, AttributeError) as error:
        sender.send(
            (_FAILED, RuntimeError(f"{function.__name__} returned what does not pickle: {error}"))
        )
    finally:
        sender.close()


def _portable(error: BaseException) -> BaseException:
    # The exception itself when it survives pickling (its type and message intact).
    try:
        copy = pickle.loads(pickle.dumps(error))
    except Exception:  # any failure to round-trip: send its text
        return RuntimeError(f"{type(error).__name__}: {error}")
    return copy if isinstance(copy, BaseException) else RuntimeError(str(error))
