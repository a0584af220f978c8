"""Shared test set-up."""

from __future__ import annotations

import pytest

from optviz.ui import trajectories


@pytest.fixture(scope="session", autouse=True)
def no_picture_first_pause():
    """AppTest has no browser to draw the figure: the pause that lets a browser draw it
    before the rest of the view arrives (``trajectories.PICTURE_FIRST_S``, and
    ``FIRST_PICTURE_S`` for a session's first figure) would only slow the suite. (The
    real-browser test runs the app as shipped, with the pauses.)"""
    kept = trajectories.PICTURE_FIRST_S, trajectories.FIRST_PICTURE_S
    trajectories.PICTURE_FIRST_S = trajectories.FIRST_PICTURE_S = 0.0
    yield
    trajectories.PICTURE_FIRST_S, trajectories.FIRST_PICTURE_S = kept
