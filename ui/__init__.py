"""Streamlit glue: the cached workspace, sidebar choices, formatting. Pages import from here."""
