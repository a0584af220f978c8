"""Page layout: the sidebar's scene, then the views. All maths lives in the core."""

from __future__ import annotations

import traceback

import streamlit as st

from .controls import sidebar
from .trajectories import trajectory_view


def main() -> None:
    st.set_page_config(page_title="optviz — ADADELTA and friends", page_icon="📉",
                       layout="wide")
    try:
        scene = sidebar()
        st.title("optviz: watch optimizers think")
        st.caption("Zeiler (2012), *ADADELTA: An Adaptive Learning Rate Method* — paths, "
                   "per-dimension learning rates and accumulators, step by step.")
        trajectory_view(scene)
    except Exception as err:  # never a traceback in the page
        st.error(f"Something went wrong: {err}. Press “Reset to defaults” in the sidebar.")
        with st.expander("Details for the developers"):
            st.code("".join(traceback.format_exception(err))[-4000:])
