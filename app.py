"""Journey Ledger: the router. Run with ``streamlit run app.py``."""

import streamlit as st

st.set_page_config(page_title="Journey Ledger", layout="wide")

pages = {
    "Workspace": [
        st.Page("pages/data.py", title="Data", icon=":material/database:", url_path="data", default=True),
    ],
}
st.navigation(pages).run()
