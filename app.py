"""Journey Ledger: the router. Run with ``streamlit run app.py``."""

import streamlit as st

st.set_page_config(page_title="Journey Ledger", layout="wide")

pages = {
    "Report": [
        st.Page("pages/overview.py", title="Overview", icon=":material/monitoring:", url_path="overview", default=True),
    ],
    "Workspace": [
        st.Page("pages/data.py", title="Data", icon=":material/database:", url_path="data"),
    ],
}
st.navigation(pages).run()
