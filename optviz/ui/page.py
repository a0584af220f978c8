"""Page layout: the sidebar's scene, then the views. All maths lives in the core."""

from __future__ import annotations

import os
import sys
import time
import traceback

import streamlit as st

from .controls import sidebar
from .trajectories import trajectory_view

# plotly.js rejects an animation's promise, with no reason, when ▶ Play is interrupted by
# ❚❚ Pause or by a new animation: an expected event that it never catches, so the browser
# reports it as an error. This constant script (no user input) marks exactly that case
# as handled; any other rejection still surfaces.
_ANIMATION_INTERRUPT_GUARD = """<script>
if (!window.__optvizGuard) {
  window.__optvizGuard = true;
  window.addEventListener("unhandledrejection", function (event) {
    if (event.reason === undefined) { event.preventDefault(); }
  });
}
</script>"""


def main() -> None:
    st.set_page_config(page_title="optviz — ADADELTA and friends", page_icon="📉",
                       layout="wide")
    started = time.perf_counter()
    try:
        st.html(_ANIMATION_INTERRUPT_GUARD, unsafe_allow_javascript=True)
        scene = sidebar()
        st.title("optviz: watch optimizers think")
        st.caption("Zeiler (2012), *ADADELTA: An Adaptive Learning Rate Method* — paths, "
                   "per-dimension learning rates and accumulators, step by step.")
        trajectory_view(scene)
    except Exception as err:  # never a traceback in the page
        st.error(f"Something went wrong: {err}. Press “Reset to defaults” in the sidebar.")
        with st.expander("Details for the developers"):
            st.code("".join(traceback.format_exception(err))[-4000:])
    if os.environ.get("OPTVIZ_TIMING"):
        print(f"optviz: script run {1e3 * (time.perf_counter() - started):.0f} ms",
              file=sys.stderr)
