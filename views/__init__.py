"""Figures and words built from the model's results, shared by the pages and the exported report.

No Streamlit here: plotly figures and plain strings only.
"""
