// Words of the screens that know the people (issue 13): registers (花名册), department data and
// comparisons (数据比对), verification (核对) and the low-income register (低收入人口). Added to the
// console's tables (lib/i18n.js) when this module loads; the codes the API uses (outcomes,
// categories, severities, levels) are named here in Chinese, the API's own words stay beside them.
import { addWords, lang, t } from "./i18n.js";

// A word of these screens (its key carries the p_ prefix: no clash with other screens' words).
export function w(key) { return t(`p_${key}`); }

addWords({
  zh: {
    nav_registers: "花名册", nav_comparison: "数据比对", nav_verification: "核对",
    nav_lowincome: "低收入人口",
    // registers
    p_registers_title: "花名册：导入与导出", p_registers_intro:
      "用电子表格（XLSX 或 CSV，UTF-8 或 GBK）成批录入住户和成员：先下载模板按表头填写，上传后先“检查”（不写入任何数据），文件中每一处问题都按“第几行、哪一列”列出；没有问题时再确认导入，全部成功或全部不写入。按身份证号识别住户，重复导入同一文件不会改变任何数据。",
    p_template: "模板", p_template_help: "中文表头，每行一名成员；同一户的成员填同一户编号。",
    p_download_xlsx: "下载 XLSX", p_download_csv: "下载 CSV", p_import_register: "导入花名册",
    p_file: "文件", p_encoding: "编码", p_encoding_auto: "自动识别", p_check_file: "检查（试导入，不写入）",
    p_commit_import: "确认导入", p_problems: "文件中的问题", p_problems_none_written:
      "处问题，未导入任何数据。请在表格中改正后重新上传。", p_row: "行", p_column: "列", p_problem: "问题",
    p_whole_file: "整个文件", p_dry_run_ok: "检查通过（尚未写入）", p_imported: "已导入",
    p_n_new: "新建", p_n_updated: "更新", p_n_unchanged: "无变化", p_n_members: "名成员", p_households_unit: "户",
    p_household_key: "户编号", p_import_action: "处理", p_action_create: "新建", p_action_update: "更新",
    p_action_unchanged: "无变化", p_file_too_big:
      "文件过大：控制台经 GraphQL 上传的文件最多约 760 KB（请求体上限 1 MB）。更大的文件请用命令行 doudi households import。",
    p_choose_file: "请先选择文件。", p_export_register: "导出花名册（住户登记）", p_export_help:
      "按模板的列导出辖区内的住户，可再导入；文件末尾记录导出人和时间，导出留痕。",
    p_roster: "花名册（提供给其他部门）", p_roster_help:
      "在保对象的花名册，含完整身份证号，供医保、住建等部门使用（县级审批人及以上；留痕）。",
    p_department_to: "提供给部门（可空）", p_publicity_list: "公示名单", p_publicity_help:
      "只含规定允许公开的信息，身份证号已遮蔽（最低生活保障审核确认办法 第二十四条：公布申请人姓名、家庭成员数量、保障金额等信息，不得公开无关信息）。",
    p_show_list: "在页面上查看", p_format: "格式", p_program_low_income: "低收入人口",
    // comparison
    p_comparison_title: "数据比对与疑点", p_comparison_intro:
      "把公安、殡葬、市场监管、人社等部门的数据与辖区内在保对象和低收入人口逐人比对；比中的形成疑点，每个疑点在案件上生成一项核实任务，期限按工作日计算，由指定层级核实后办结。",
    p_supervision: "监督（数字监督）", p_open_findings: "未办结", p_overdue_findings: "已逾期",
    p_no_due_date: "无期限", p_by_kind: "按数据类型", p_overdue_list: "逾期疑点",
    p_run_comparison: "开始比对", p_run_comparison_help:
      "比对关于该区划的当前批次（事件类数据全部批次，状态类数据每个部门最新一批）。同一人同一记录不会重复形成疑点。",
    p_comparison_done: "比对完成", p_recipients: "比对人数", p_matches: "比中", p_raised: "新疑点", p_known: "此前已形成",
    p_findings: "疑点", p_finding: "疑点", p_all_status: "全部", p_status_open: "待核实", p_status_resolved: "已办结",
    p_status_dismissed: "已排除", p_only_overdue: "只看逾期", p_severity: "严重程度",
    p_sev_high: "高", p_sev_medium: "中", p_sev_low: "低", p_level: "核实层级", p_lvl_township: "乡镇（街道）",
    p_lvl_county: "县级", p_lvl_village: "村（社区）", p_due_by: "期限", p_working_days: "个工作日",
    p_no_findings: "没有此状态的疑点。", p_person: "人员", p_batches: "部门数据批次", p_import_batch: "导入部门数据",
    p_data_kind: "数据类型", p_department: "部门", p_batch_date: "数据日期", p_records: "记录数",
    p_imported_at: "导入时间", p_imported_by: "导入人（用户编号）", p_current_batch: "当前", p_replaced: "已被新批次替代",
    p_sha256: "文件 SHA-256", p_no_batches: "还没有导入部门数据。", p_columns: "列", p_required_cols: "必填列",
    p_check_batch: "检查（不写入）", p_commit_batch: "确认导入", p_batch_ok: "检查通过：N 条记录可以导入（尚未写入）。",
    p_batch_imported: "已导入批次", p_kinds_catalog: "数据类型与比中含义",
    // finding
    p_finding_title: "疑点", p_what_matched: "比中的部门记录", p_from_batch: "来自批次", p_run_no: "比对批次",
    p_meaning: "含义与依据", p_for_program: "适用项目", p_resolved_by: "办结方式", p_not_set_here: "未设定",
    p_task: "核实任务", p_opened_on: "生成日期", p_deadline_how: "期限依据", p_outcome: "办结结果",
    p_resolve: "办结", p_resolve_help: "核实后选择办结方式。案件步骤按案件流程办理（含全部校验），与任务办结同时生效或同时不生效。",
    p_outcome_case_step: "办理案件步骤", p_outcome_household_updated: "已更新住户资料",
    p_outcome_tag: "标记（低收入人口）", p_outcome_exit_register: "退出低收入人口名单",
    p_outcome_reassessed: "已重新评估", p_outcome_dismissed: "排除（核实不属实）",
    p_case_step: "案件步骤", p_dismiss_reasons: "核实情况（排除理由）", p_tag: "标记",
    p_finding_resolved: "疑点已办结", p_task_closed_by: "办结人", p_provisional_due: "暂定（节假日安排未公布）",
    p_meaning_not_set: "没有文件规定此比中意味着什么：",
    // verification
    p_verification_title: "核对（经济状况核对报告）", p_verification_intro:
      "通过核对平台（内置：已导入的部门数据）核对案件家庭成员及赡养、抚养、扶养义务人；报告保存在案件上，即完成“经济状况核对”步骤。也可登记在 doudi 之外完成的核对报告（含编号）。",
    p_case_id: "案件编号", p_open: "打开", p_reports: "核对报告", p_no_reports: "该案件还没有核对报告。",
    p_report_no: "报告编号", p_source_kind: "来源", p_src_platform: "核对平台", p_src_manual: "人工登记",
    p_adapter: "接口", p_passed: "通过", p_failed: "未通过", p_warnings: "预警", p_not_covered: "未覆盖的数据类型",
    p_found_records: "查到记录", p_supporters: "赡养（抚养、扶养）义务人", p_add_supporter: "添加义务人",
    p_supporter: "义务人", p_relation_text: "关系", p_request_verification: "发起核对",
    p_manual_report: "登记人工核对报告", p_report_number: "报告编号", p_result: "结果", p_recorded: "已记录",
    p_role_member: "家庭成员", p_role_supporter: "义务人", p_case_summary: "案件",
    // low-income
    p_lowincome_title: "低收入人口", p_lowincome_intro:
      "低收入人口的认定（类别、来源决定、日期）、标记、动态监测（疑点或情况变化时标为待重新评估）、年度重新评估和退出。",
    p_category: "类别", p_categories: "认定类别", p_tags: "标记", p_flagged: "待重新评估",
    p_recognised_on: "认定日期", p_next_assessment: "下次评估", p_only_flagged: "只看待重新评估",
    p_due_by_date: "评估到期（不晚于）", p_recognise: "认定", p_decision_text: "认定决定",
    p_decision_number: "决定文号", p_other_categories: "其他类别代码（插件增加的，逗号分隔）",
    p_change: "变更", p_change_tag: "加标记", p_change_flag: "标为待重新评估", p_change_reassess: "重新评估",
    p_change_exit: "退出", p_reason: "原因", p_home_visit: "已入户", p_no_people: "没有符合条件的人员。",
    p_li_active: "在册", p_li_exited: "已退出", p_marks: "预警标记", p_do_change: "办理",
    // shared
    p_as_of_date: "日期", p_filter: "筛选", p_of: "的", p_upload: "上传",
  },
  en: {
    nav_registers: "Registers", nav_comparison: "Comparison", nav_verification: "Verification",
    nav_lowincome: "Low income",
    p_registers_title: "Registers: import and export", p_registers_intro:
      "Households and members from spreadsheets (XLSX or CSV in UTF-8 or GBK): download the template, fill it, upload it and check it first (nothing is written): every problem is listed by row and column. Then import: all or nothing. Households are keyed by ID number; importing the same file again changes nothing.",
    p_template: "Template", p_template_help: "Chinese headers, one member a row; members of one household share its 户编号.",
    p_download_xlsx: "Download XLSX", p_download_csv: "Download CSV", p_import_register: "Import a register",
    p_file: "File", p_encoding: "Encoding", p_encoding_auto: "detect", p_check_file: "Check (dry run, writes nothing)",
    p_commit_import: "Import", p_problems: "Problems in the file", p_problems_none_written:
      "problem(s); nothing was imported. Correct the sheet and upload it again.", p_row: "Row", p_column: "Column",
    p_problem: "Problem", p_whole_file: "whole file", p_dry_run_ok: "Checked (nothing written yet)", p_imported: "Imported",
    p_n_new: "new", p_n_updated: "updated", p_n_unchanged: "unchanged", p_n_members: "members", p_households_unit: "households",
    p_household_key: "户编号", p_import_action: "Action", p_action_create: "create", p_action_update: "update",
    p_action_unchanged: "unchanged", p_file_too_big:
      "File too large: the console uploads files of at most about 760 KB through GraphQL (1 MB request limit). Use `doudi households import` for larger files.",
    p_choose_file: "Choose a file first.", p_export_register: "Export the register", p_export_help:
      "The households of the jurisdiction in the template's columns (imports back unchanged); the file ends with who exported it and when; logged.",
    p_roster: "Roster for other departments", p_roster_help:
      "People in payment with full ID numbers, for 医保, 住建 … (county approvers and above; logged).",
    p_department_to: "For department (optional)", p_publicity_list: "Publicity list", p_publicity_help:
      "Only what the rules allow, ID numbers masked (最低生活保障审核确认办法 art. 24).",
    p_show_list: "Show on the page", p_format: "Format", p_program_low_income: "low income",
    p_comparison_title: "Data comparison and findings", p_comparison_intro:
      "Department data (police, funeral, market regulation, social insurance …) compared person by person with everyone in payment and on the low-income register; each match is a finding with a task on its case, due in working days, verified by the level named.",
    p_supervision: "Supervision", p_open_findings: "Open", p_overdue_findings: "Overdue", p_no_due_date: "No due date",
    p_by_kind: "By data kind", p_overdue_list: "Overdue findings", p_run_comparison: "Run the comparison",
    p_run_comparison_help: "Compares the current batches concerning the jurisdiction (every batch of an event kind, the newest per department of a state kind). A finding is never raised twice.",
    p_comparison_done: "Comparison done", p_recipients: "People compared", p_matches: "Matches", p_raised: "New findings",
    p_known: "Raised before", p_findings: "Findings", p_finding: "Finding", p_all_status: "All", p_status_open: "open",
    p_status_resolved: "resolved", p_status_dismissed: "dismissed", p_only_overdue: "Overdue only", p_severity: "Severity",
    p_sev_high: "high", p_sev_medium: "medium", p_sev_low: "low", p_level: "Verified by", p_lvl_township: "township",
    p_lvl_county: "county", p_lvl_village: "village", p_due_by: "Due", p_working_days: "working days",
    p_no_findings: "No findings in this state.", p_person: "Person", p_batches: "Department batches",
    p_import_batch: "Import department data", p_data_kind: "Data kind", p_department: "Department",
    p_batch_date: "Batch date", p_records: "Records", p_imported_at: "Imported", p_imported_by: "By (user id)",
    p_current_batch: "current", p_replaced: "replaced", p_sha256: "File SHA-256", p_no_batches: "No department data yet.",
    p_columns: "Columns", p_required_cols: "Required", p_check_batch: "Check (writes nothing)", p_commit_batch: "Import",
    p_batch_ok: "Checked: N record(s) can be imported (nothing written yet).", p_batch_imported: "Imported batch",
    p_kinds_catalog: "Data kinds and what a match means",
    p_finding_title: "Finding", p_what_matched: "The department's record", p_from_batch: "Batch", p_run_no: "Comparison",
    p_meaning: "Meaning and sources", p_for_program: "Program", p_resolved_by: "Closed by", p_not_set_here: "not set",
    p_task: "Task", p_opened_on: "Opened", p_deadline_how: "How the due date was found", p_outcome: "Outcome",
    p_resolve: "Close", p_resolve_help: "After verifying, choose how the task closes. A case step goes through the case workflow (all its checks) and stands or falls with the task.",
    p_outcome_case_step: "a case step", p_outcome_household_updated: "household updated", p_outcome_tag: "tag (register)",
    p_outcome_exit_register: "exit the register", p_outcome_reassessed: "re-assessed", p_outcome_dismissed: "dismiss (not borne out)",
    p_case_step: "Case step", p_dismiss_reasons: "What verification found (reasons)", p_tag: "Tag",
    p_finding_resolved: "Finding closed", p_task_closed_by: "Closed by", p_provisional_due: "provisional (holidays not published)",
    p_meaning_not_set: "No document sets what this match implies:",
    p_verification_title: "Verification (核对)", p_verification_intro:
      "Verify a case's household and its legal supporters through the verification platform (built in: the imported department data); the report is stored on the case and records the verification step. A report made outside doudi can be recorded with its number.",
    p_case_id: "Case number", p_open: "Open", p_reports: "Reports", p_no_reports: "No verification report for this case yet.",
    p_report_no: "Report number", p_source_kind: "Source", p_src_platform: "platform", p_src_manual: "manual",
    p_adapter: "Adapter", p_passed: "passed", p_failed: "failed", p_warnings: "Warnings", p_not_covered: "Kinds not covered",
    p_found_records: "Records found", p_supporters: "Legal supporters", p_add_supporter: "Add a supporter",
    p_supporter: "Supporter", p_relation_text: "Relation", p_request_verification: "Request verification",
    p_manual_report: "Record a manual report", p_report_number: "Report number", p_result: "Result", p_recorded: "Recorded",
    p_role_member: "member", p_role_supporter: "supporter", p_case_summary: "Case",
    p_lowincome_title: "Low-income register", p_lowincome_intro:
      "Recognition (categories, decision, date), tags, dynamic monitoring (flagged for re-assessment by a finding or a changed fact), annual re-assessment and exit.",
    p_category: "Category", p_categories: "Categories", p_tags: "Tags", p_flagged: "to re-assess",
    p_recognised_on: "Recognised", p_next_assessment: "Next assessment", p_only_flagged: "Flagged only",
    p_due_by_date: "Assessment due by", p_recognise: "Recognise", p_decision_text: "Decision",
    p_decision_number: "Decision number", p_other_categories: "Other category codes (from plugins, comma-separated)",
    p_change: "Change", p_change_tag: "tag", p_change_flag: "flag for re-assessment", p_change_reassess: "re-assess",
    p_change_exit: "exit", p_reason: "Reason", p_home_visit: "home visit made", p_no_people: "Nobody matches.",
    p_li_active: "on the register", p_li_exited: "exited", p_marks: "Warning marks", p_do_change: "Apply",
    p_as_of_date: "Date", p_filter: "Filter", p_of: "of", p_upload: "Upload",
  },
  errorsZh: {
    INVALID_FILE: "文件有误，未导入任何数据。", ALREADY_IMPORTED: "同一文件已经导入过。",
    TASK_CLOSED: "该疑点的核实任务已办结。",
    // core.validation's refusals of free text and lists (names, reasons, decisions, supporters)
    TEXT_TOO_LONG: "文字过长。", CONTROL_CHARACTER: "含有不允许的控制字符（如换行）。",
    TOO_MANY_ITEMS: "条目过多。", BLANK_TEXT: "不能为空。",
  },
  fieldsZh: {
    contentBase64: "文件", fileName: "文件名", commit: "确认导入", batchDate: "数据日期",
    department: "部门", batchIds: "批次", categories: "认定类别",
    decisionNumber: "决定文号", tag: "标记", homeVisit: "已入户",
    caseId: "案件", supporters: "义务人", number: "报告编号", adapter: "接口", action: "案件步骤",
     caseVersion: "案件版本",
  },
});

// The codes the API answers with, named in Chinese (English: the code itself).
const CODES_ZH = {
  open: "待核实", resolved: "已办结", dismissed: "已排除", done: "已办结",
  high: "高", medium: "中", low: "低", township: "乡镇（街道）", county: "县级", village: "村（社区）",
  dibao: "低保", tekun: "特困供养", low_income: "低收入人口", active: "在册", exited: "已退出",
  platform: "核对平台", manual: "人工登记", member: "家庭成员", supporter: "义务人",
  events: "事件（每批追加）", state: "状态（以最新一批为准）",
  create: "新建", update: "更新", unchanged: "无变化",
  case_step: "办理案件步骤", household_updated: "已更新住户资料", tag: "标记（低收入人口）",
  exit_register: "退出低收入人口名单", reassessed: "已重新评估",
  record_death: "登记死亡", review: "复核", update_household: "更新住户资料", exit: "退出", reassess: "重新评估",
  marginal: "低保边缘家庭", expenditure_hardship: "支出型困难家庭", relapse_monitoring: "防止返贫监测对象",
  poverty_alleviated: "脱贫人口",
};

export function codeName(code) {
  if (code === null || code === undefined) return "";
  return lang() === "en" ? String(code).replaceAll("_", " ") : CODES_ZH[code] || code;
}

// The categories of the low-income register doudi itself knows (core.lowincome.model); plugins
// add others, which the form takes as codes and the API checks.
export const CORE_CATEGORIES = ["dibao", "tekun", "marginal", "expenditure_hardship", "relapse_monitoring"];
// The six tags of Yongfu's monthly table (core.lowincome.model.TAGS): the API's own values.
export const TAGS = ["乡村振兴防贫监测对象", "大额医疗支出对象", "困难毕业生对象", "住房救助", "残联重残对象", "易地搬迁对象"];
