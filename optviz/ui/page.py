"""Page layout (placeholder until the app issue lands)."""

import streamlit as st

import optviz as ov


def main() -> None:
    st.set_page_config(page_title="optviz", layout="wide")
    st.title("optviz")
    st.write("Optimizers:", ", ".join(s.display_name for s in ov.optimizers.REGISTRY.values()))
