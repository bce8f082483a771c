"""Chinese labels for figures, shared by the CLI, the app and the reports (one place to change wording)."""

KPI_LABELS = {
    "inspections": "督查次数",
    "spot_checks": "抽查暗访",
    "routine_inspections": "日常督查",
    "members": "督查组委员",
    "groups": "督查组",
    "member_participations": "参与委员人次",
    "sites_inspected": "检查工地数",
    "findings": "发现问题",
    "findings_closed": "已销号",
    "findings_overdue": "逾期未整改",
    "rectification_rate": "整改完成率",
    "on_time_rate": "按期整改率",
    "rooms": "协商议事室",
    "projects": "民生项目",
    "projects_solved": "已解决",
    "projects_in_progress": "推进中",
    "proposals": "提案",
    "proposals_key": "重点提案",
    "proposals_excellent": "优秀提案",
    "opinions": "社情民意",
    "opinions_instructed": "领导批示",
}

KPI_UNITS = {
    "inspections": "次", "spot_checks": "次", "routine_inspections": "次", "members": "人", "groups": "个",
    "member_participations": "人次", "sites_inspected": "个", "findings": "个", "findings_closed": "个",
    "findings_overdue": "个", "rooms": "个", "projects": "个", "projects_solved": "个",
    "projects_in_progress": "个", "proposals": "件", "proposals_key": "件", "proposals_excellent": "件",
    "opinions": "条", "opinions_instructed": "条",
}
