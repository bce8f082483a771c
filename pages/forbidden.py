"""A shared link to a page this role may not open: say so in Chinese (not Streamlit's "Page not found")."""

import streamlit as st

st.title("无权访问")
st.warning("您的角色无权打开此页面。请从左侧菜单选择可用的页面；如需权限，请联系机关管理员。")
