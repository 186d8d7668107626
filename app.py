"""Journey Ledger: the router. Run with ``streamlit run app.py``."""

import streamlit as st

# The tab's icon is the app's own: without it Streamlit shows each page's Material icon there, fetched from
# fonts.gstatic.com, a request to another host from a dashboard served on localhost.
st.set_page_config(page_title="Journey Ledger", page_icon="📒", layout="wide")

pages = {
    "Report": [
        st.Page("pages/overview.py", title="Overview", icon=":material/monitoring:", default=True),
        st.Page("pages/journey.py", title="Journey", icon=":material/route:", url_path="journey"),
        st.Page("pages/drivers.py", title="Drivers", icon=":material/troubleshoot:", url_path="drivers"),
        st.Page("pages/cohorts.py", title="Cohorts and segments", icon=":material/groups:", url_path="cohorts"),
    ],
    "Plan": [
        st.Page("pages/prioritise.py", title="Prioritise", icon=":material/format_list_numbered:", url_path="prioritise"),
    ],
    "Workspace": [
        st.Page("pages/data.py", title="Data", icon=":material/database:", url_path="data"),
    ],
}
st.navigation(pages).run()
