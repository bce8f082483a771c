"""Gangwen Dash (港闻区政协 督查与履职看板): the core package.

Everything outside ``gangwen_dash.ui`` is free of Streamlit so that it can be
tested, benchmarked and reused from the CLI and the report renderer.
"""

__version__ = "0.1.0"
