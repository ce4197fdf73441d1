"""Signals during a run: Interrupted at once, except inside a store write, which finishes first."""

import signal

import pytest

from textsweep.errors import Interrupted
from textsweep.interrupts import signals_as_interrupt, store_write


def send(signum: int) -> None:
    signal.raise_signal(signum)  # to this thread: its Python handler runs before the next line


def test_a_signal_outside_a_write_interrupts_at_once():
    done = []
    with pytest.raises(Interrupted, match="received signal 15"), signals_as_interrupt():
        send(signal.SIGTERM)
        done.append("after the signal")
    assert done == []


def test_a_signal_inside_a_store_write_takes_effect_right_after_it():
    done = []
    with pytest.raises(Interrupted, match="received signal 15"), signals_as_interrupt():
        with store_write():
            with store_write():  # nested writes: the signal waits for the outermost
                send(signal.SIGTERM)
                done.append("inner write finished")
            done.append("outer write finished")
        done.append("after the write")
    assert done == ["inner write finished", "outer write finished"]


def test_a_second_signal_during_a_write_interrupts_at_once():
    done = []
    with pytest.raises(Interrupted), signals_as_interrupt():
        with store_write():
            send(signal.SIGTERM)
            done.append("first signal deferred")
            send(signal.SIGTERM)
            done.append("second signal deferred")
    assert done == ["first signal deferred"]


def test_ctrl_c_is_deferred_the_same_way_and_handlers_are_restored():
    interactive = signal.signal(signal.SIGINT, signal.default_int_handler)  # as a terminal starts it (CI may ignore it)
    try:
        before, done = (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)), []
        with pytest.raises(KeyboardInterrupt), signals_as_interrupt():
            with store_write():
                send(signal.SIGINT)
                done.append("write finished")
            done.append("after the write")
        assert done == ["write finished"]
        assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
        with store_write():  # nothing stays pending from an earlier block
            pass
    finally:
        signal.signal(signal.SIGINT, interactive)


def test_a_process_started_to_ignore_ctrl_c_still_stops_on_a_sigint_sent_to_it():
    """A background job from a script inherits SIGINT ignored; no terminal's Ctrl-C reaches it, so a SIGINT
    that does (kill -INT) was sent on purpose and ends the run like SIGTERM."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a background job from a script starts
    try:
        with pytest.raises(Interrupted, match="received signal 2"), signals_as_interrupt():
            send(signal.SIGINT)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # restored after the block
    finally:
        signal.signal(signal.SIGINT, previous)
