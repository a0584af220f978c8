"""optviz — `streamlit run app.py`. All logic lives in optviz.ui; this file stays thin."""

from optviz.ui import main

main()
