"""The Streamlit front end: the only package of optviz that imports Streamlit."""

from .page import main

__all__ = ["main"]
