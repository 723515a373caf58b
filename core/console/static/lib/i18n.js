// Words of the console: Simplified Chinese by default, English where the user chooses.
// Error codes, states, steps and fields are translated here; the API's own messages (in
// English, with the figures and dates of the case) are shown beside them as the detail.
const LANG_KEY = "doudi.lang";

export function lang() {
  return localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh";
}

export function setLang(l) {
  localStorage.setItem(LANG_KEY, l);
  document.documentElement.lang = l === "en" ? "en" : "zh-CN";
}

const ZH = {
  app: "兜底 doudi 控制台", person_name: "姓名", born: "出生日期", skip: "跳到正文", language: "English", languageLabel: "切换到英文",
  nav_explorer: "政策浏览", nav_inbox: "待办", nav_households: "住户", nav_payments: "发放",
  nav_calendar: "日历", nav_admin: "用户管理", nav_graphql: "GraphQL 接口",
  signin: "登录", signout: "退出", signed_in_as: "当前用户", session_until: "会话有效至",
  name: "用户名", password: "密码", loading: "加载中…", none: "无", error: "出错了",
  detail: "详情", retry: "重试", save: "保存", cancel: "取消", submit: "提交", search: "搜索",
  more: "加载更多", yes: "是", no: "否", date: "日期", jurisdiction: "行政区划",
  not_set: "未设置", close: "关闭",
  // explorer
  explorer_title: "政策浏览：多地对比", explorer_intro:
    "选择行政区划和日期，比较合并后的政策参数。每个值都标明设定它的层级、生效日期和文件出处；点击数值查看原文、它覆盖的值和历史。无需登录。",
  jurisdictions: "行政区划（6 位代码，逗号分隔）", five: "五省对比", as_of: "日期",
  prefix: "参数范围", all_params: "全部参数", only_diff: "只显示不同的行", compare: "对比",
  parameter: "参数", differs: "不同", same: "相同", layer: "层级", from: "自", until: "至",
  source: "出处", quote: "原文", overrides: "覆盖的值", history: "历史", history_chart: "历史曲线",
  violations: "规则冲突与违反", no_violations: "所选区划在该日期没有规则冲突或违反。",
  kind: "类型", value: "数值", other: "另一方", link_view: "本视图的链接",
  rows: "行", differing_rows: "行不同", open_source: "查看出处",
  level_national: "国家", level_province: "省级", level_prefecture: "地市", level_county: "县级",
  LATER_GENERAL_RULE: "后出台的上级规定", CONSTRAINT: "约束规则",
  // inbox
  inbox_title: "待办", cases_by_state: "按状态查看案件", deadlines: "期限（按工作日计算）",
  overdue: "已逾期", due: "到期", provisional: "暂定", provisional_note:
    "该年度的节假日安排尚未公布，按工作日推算的日期可能变动。",
  case: "案件", program: "项目", state: "状态", household: "住户", opened: "受理日期",
  amount: "金额（元）", no_cases: "没有此状态的案件。", no_deadlines: "近期没有到期事项。",
  working_days_left: "N 个工作日后到期", window: "时间范围", days_back: "天前", open_case: "打开",
  // case
  case_title: "案件", steps_now: "现在可以办理的步骤", step_date: "办理日期",
  step_date_help: "默认今天（中国时间）；补录以前的步骤时可改为当天的日期，但不能早于上一步、不能晚于今天。",
  not_open: "暂不能办理", wait_until: "需等到", wait_explain: "公示期未结束：最早可在该日期办理。",
  members: "家庭成员", decision: "认定结果", trace: "依据（参数、层级、出处）",
  audit: "办理记录（审计事件，不可篡改）", who: "经办人", role: "角色", from_to: "状态变化",
  reasons: "理由", inputs: "录入内容", version: "版本", do_step: "办理",
  no_steps: "当前没有可由您办理的步骤。", other_steps: "其他步骤（暂不能办理及原因）",
  preview_decision: "按现有资料预览认定", benefit_from: "发放起始月",
  // households
  households_title: "住户", search_help: "输入成员姓名或身份证号（至少前 6 位）",
  new_household: "新建住户", edit_household: "编辑住户", head: "户主", id_number: "身份证号",
  masked: "已脱敏", county: "县（区）代码", area: "城乡", income_class: "收入类型",
  relation: "与户主关系", income: "收入", expenses: "刚性支出", assets: "财产",
  payment_account: "一卡通账户", holder_id: "持卡人身份证号", holder_name: "持卡人姓名",
  bank: "开户银行", account_number: "账号", monthly_amount: "月金额（元）", member: "成员",
  regular: "固定收入", description: "说明", add_member: "添加成员", add_income: "添加收入",
  add_expense: "添加支出", add_asset: "添加财产", remove: "删除", notes: "备注",
  property_ok: "财产符合当地规定", apply: "受理申请", apply_for: "申请项目",
  preview: "认定预览", preview_help: "按住户现有资料和所选日期的政策预演认定，不保存。",
  ids_masked: "您的角色看到的身份证号已遮蔽（前 6 位和后 4 位）：不能据此编辑住户或预演认定，已记录的认定和留痕可在案件页查看。",
  eligible: "符合", not_eligible: "不符合", cannot_decide: "无法认定",
  per_capita: "人均收入", standard: "标准", monthly: "月补助", mode: "方式",
  saved: "已保存", no_results: "没有找到。",
  // payments
  payments_title: "资金发放", month: "月份", run_month: "生成本月发放", run_done: "已生成",
  summary: "汇总", count: "笔数", total: "合计（元）", status: "状态", held: "暂停发放",
  held_reason: "暂停原因", how_release: "如何解除",
  release_help: "在住户页补录一卡通账户（或更换户主）后，再次“生成本月发放”即可解除并发放给持卡人。",
  results: "结果", record_result: "登记结果", alerts: "提醒", csv: "下载银行批量文件（CSV）",
  payee: "收款人", attempt: "次数", due_date: "应发日期", no_payments: "该月没有发放记录。",
  created: "新建", existing: "已存在", released: "解除暂停", passed_over: "跳过",
  // calendar
  calendar_title: "日历", subscribe: "订阅日历（.ics）", subscribe_help:
    "生成只能读取日历的专用令牌，把链接添加到日历软件即可订阅。链接含令牌，请勿外传。",
  make_link: "生成订阅链接", prev_month: "上个月", next_month: "下个月",
  // admin
  admin_title: "用户管理", users: "用户", new_user: "新建用户", active: "启用",
  deactivate: "停用", activate: "启用", reset_password: "重置密码", locked_until: "锁定至",
  tokens: "令牌", issue_token: "发放脚本令牌", revoke_all: "吊销全部令牌", has_password: "已设密码",
  token_once: "令牌只显示这一次，请妥善保存：", failed_signins: "连续失败次数",
  role_village_clerk: "村（社区）经办人", role_township_officer: "乡镇（街道）经办人",
  role_county_approver: "县级审批人", role_province_admin: "省级管理员", role_auditor: "审计人员", role_analyst: "政策分析人员",
  labour: "劳动能力", date_of_death: "死亡日期", employed: "就业", in_school: "在校",
  serious_illness: "重病", asset_value: "价值（元）", whole_household: "全户", not_recorded: "未登记",
  not_assessed: "未评估", situation: "情况", deceased: "已故", disability: "残疾", grade: "级",
  yuan_month: "元/月", yuan: "元", regular_mark: "（固定）", no_account_held: "未登记一卡通账户的住户，发放会被暂停。",
  urban: "城市", rural: "农村", emergency: "急难型", expenditure: "支出型", updated: "更新",
  next_review: "下次复核", publicity: "公示", days: "天", actions: "操作", payments_unit: "笔",
  record_account_of: "补录住户 #N 的一卡通账户", then_run: "然后", repay_by: "重发期限",
  plugin_places: "插件覆盖的行政区划", step: "步骤",
  // annual review (年度复核)
  nav_reviews: "年度复核", reviews_title: "年度复核", reviews_intro:
    "对辖区内在保对象、新申请对象等按现行政策和现有资料批量重新认定，每个案件得到一条建议（继续、提高、降低、渐退、退出或无法认定）及一句理由。建议本身不改变任何案件，由经办人员决定；“无变化”的可按层级批量确认，每案留痕。",
  snapshots: "快照", snapshot: "快照", take_snapshot: "生成快照", snapshot_help:
    "把辖区的住户、成员、案件登记导出为快照（含个人信息），作为批量复核和模拟的输入。",
  snapshot_taken: "已生成快照", taken_at: "生成时间", households_n: "户数", members_n: "人数",
  cases_n: "案件数", new_snapshot: "复核时新生成快照", no_snapshots: "还没有快照。",
  start_review: "发起年度复核", run_review: "开始复核", review_running: "正在复核…",
  review_scope: "复核范围", in_payment: "在保对象（原保障对象）", applicants: "尚未认定的新申请对象",
  exited_since: "自该日起退出保障的对象", tags: "重点人群标签（逗号分隔）", programs: "项目",
  runs: "复核批次", no_runs: "还没有复核批次。", run: "批次", proposals: "建议", tasks_n: "任务数",
  created_by: "发起人", finished: "完成时间", engine: "引擎", progress: "进度（按乡镇；数据未记录乡镇时按县）",
  unit: "单位", progress_bar: "进度", stored: "已完成", total_n: "总数", done: "完成", resume: "继续未完成的复核",
  review_title: "年度复核批次", tasks: "复核任务", proposal: "建议", reason: "理由",
  current: "现月补助", proposed: "建议月补助", task_status: "任务状态", scope_kind: "类别",
  show_trace: "查看完整依据", hide_trace: "收起依据", trace_agrees: "逐户引擎与批量结果一致",
  trace_differs: "逐户引擎与批量结果不一致", all: "全部", filter: "筛选",
  confirm_title: "批量确认“无变化”", confirm_help:
    "确认本批次中建议为“继续保障”且仍待处理的任务：每个案件按案件流程记录一次复核（审计留痕）。由确认低保的层级办理；案件或住户在快照后有变化、或按当天政策重新认定结果已变的，会被跳过，留给经办人员逐案处理。",
  confirm_level: "此地低保由以下层级审核确认", confirm_button: "确认“无变化”的任务",
  confirmed_n: "已确认", skipped: "已跳过（留给经办人员）", review_on: "复核日期",
  may_not_run: "您的角色不能发起年度复核（县级审批人和省级管理员可以）。",
  open_case_page: "打开案件",
  // reform simulation (政策模拟)
  nav_simulate: "政策模拟", simulate_title: "政策模拟", simulate_intro:
    "假设修改一个或多个政策参数（任意层级、自某日起），对一个地区的在册住户（或一个快照）同时按现行政策和改革方案认定，比较符合条件的户数和人数、月度和年度支出、各县情况及增减户数。只显示汇总数字，不显示任何住户或个人。",
  population: "模拟对象", by_jurisdiction: "行政区划内的在册住户", by_snapshot: "已有快照",
  reform: "改革方案", reform_name: "方案名称", add_reform: "添加方案", add_override: "添加参数修改",
  override: "参数修改", path: "参数路径", at: "设定层级（区划代码）", change_kind: "修改方式",
  set_value: "设为", scale_by: "乘以", value_json: "新值（数字、true/false 或 JSON）", factor: "倍数（如 1.1）",
  from_date: "生效日期", until_date: "失效日期（可空）", run_simulation: "开始模拟", simulating: "正在模拟…",
  baseline: "现行", reformed: "改革后", change: "变化", eligible_households: "符合条件户数",
  persons: "保障人数", monthly_cost: "月支出（元）", yearly_cost: "年支出（元）",
  winners: "补助增加户数", losers: "补助减少户数", newly_eligible: "新纳入", no_longer: "不再符合",
  cannot_decide_n: "无法认定", by_county: "各县（区）", chart_title: "各县月支出：现行与改革后",
  download_csv: "下载结果（CSV）", notes_title: "说明", totals: "合计",
  aggregates_only: "只显示汇总：不含任何住户或个人信息。", low_income: "低收入", weighted: "加权样本",
  // sign-in
  signin_title: "登录", signin_intro: "请输入管理员为您设置的用户名和密码。连续 5 次错误将锁定 15 分钟。",
  forbidden_page: "您没有权限查看此页。", need_signin: "请先登录。",
};

const EN = {
  app: "doudi console", person_name: "Name", born: "Born", skip: "Skip to content", language: "中文", languageLabel: "Switch to Chinese",
  nav_explorer: "Policy explorer", nav_inbox: "Inbox", nav_households: "Households",
  nav_payments: "Payments", nav_calendar: "Calendar", nav_admin: "Users", nav_graphql: "GraphQL",
  signin: "Sign in", signout: "Sign out", signed_in_as: "Signed in as",
  session_until: "Session until", name: "User name", password: "Password", loading: "Loading…",
  none: "None", error: "Error", detail: "Detail", retry: "Retry", save: "Save", cancel: "Cancel",
  submit: "Submit", search: "Search", more: "Load more", yes: "Yes", no: "No", date: "Date",
  jurisdiction: "Jurisdiction", not_set: "not set", close: "Close",
  explorer_title: "Policy explorer: compare", explorer_intro:
    "Pick jurisdictions and a date to compare the merged policy. Every value names the layer that set it, its date and its source; click a value for the quote, what it overrides and its history. No sign-in needed.",
  jurisdictions: "Jurisdictions (6-digit codes, comma-separated)", five: "Five provinces",
  as_of: "Date", prefix: "Parameters", all_params: "All parameters",
  only_diff: "Only rows that differ", compare: "Compare", parameter: "Parameter",
  differs: "differs", same: "same", layer: "Layer", from: "from", until: "until",
  source: "Source", quote: "Quote", overrides: "Overrides", history: "History",
  history_chart: "History chart", violations: "Violations and conflicts",
  no_violations: "No violations or conflicts at these jurisdictions on this date.",
  kind: "Kind", value: "Value", other: "Other", link_view: "Link to this view", rows: "rows",
  differing_rows: "rows differ", open_source: "Open source",
  level_national: "national", level_province: "province", level_prefecture: "prefecture",
  level_county: "county", LATER_GENERAL_RULE: "later general rule", CONSTRAINT: "constraint",
  inbox_title: "Inbox", cases_by_state: "Cases by state", deadlines: "Deadlines (working days)",
  overdue: "overdue", due: "due", provisional: "provisional", provisional_note:
    "The year's holiday schedule is not published yet: a date counted in working days may move.",
  case: "Case", program: "Program", state: "State", household: "Household", opened: "Opened",
  amount: "Amount (yuan)", no_cases: "No cases in this state.", no_deadlines: "Nothing due soon.",
  working_days_left: "due in N working days", window: "Window", days_back: "days back", open_case: "Open",
  case_title: "Case", steps_now: "Steps you can take now", step_date: "Date of the step",
  step_date_help: "Today in China by default; for a step taken earlier give its day (not before the last step, not after today).",
  not_open: "Not open", wait_until: "Wait until", wait_explain: "Publicity is still running: the step opens on this date.",
  members: "Members", decision: "Decision", trace: "Trace (parameters, layers, sources)",
  audit: "History (audit events, tamper-evident)", who: "Who", role: "Role",
  from_to: "States", reasons: "Reasons", inputs: "Inputs", version: "Version", do_step: "Take step",
  no_steps: "No step is open to you now.", other_steps: "Other steps (not open, and why)",
  preview_decision: "Preview the decision on current facts", benefit_from: "Benefit from",
  households_title: "Households", search_help: "A member's name or ID number (at least 6 characters)",
  new_household: "New household", edit_household: "Edit household", head: "Head",
  id_number: "ID number", masked: "masked", county: "County code", area: "Area",
  income_class: "Income class", relation: "Relation", income: "Income", expenses: "Rigid expenses",
  assets: "Assets", payment_account: "Payment account (一卡通)", holder_id: "Holder ID number",
  holder_name: "Holder name", bank: "Bank", account_number: "Account number",
  monthly_amount: "Monthly amount (yuan)", member: "Member", regular: "Regular",
  description: "Description", add_member: "Add member", add_income: "Add income",
  add_expense: "Add expense", add_asset: "Add asset", remove: "Remove", notes: "Notes",
  property_ok: "Property within local rules", apply: "Accept application", apply_for: "Program",
  preview: "Decision preview", preview_help: "Decides on the stored facts and the policy of the date; stores nothing.",
  ids_masked: "ID numbers are masked for your role (first 6 and last 4 characters): the household cannot be edited or previewed from them; recorded decisions and their traces are on the case pages.",
  eligible: "eligible", not_eligible: "not eligible", cannot_decide: "cannot decide",
  per_capita: "Per-capita income", standard: "Standard", monthly: "Monthly amount", mode: "Mode",
  saved: "Saved", no_results: "Nothing found.",
  payments_title: "Payments", month: "Month", run_month: "Run the month", run_done: "Run done",
  summary: "Summary", count: "Count", total: "Total (yuan)", status: "Status", held: "Held",
  held_reason: "Why held", how_release: "How to release",
  release_help: "Record the payment account (or the new head) on the household page, then run the month again: the payment is released to the holder.",
  results: "Results", record_result: "Record result", alerts: "Alerts",
  csv: "Download the bank file (CSV)", payee: "Payee", attempt: "Attempt", due_date: "Due",
  no_payments: "No payments this month.", created: "created", existing: "already there",
  released: "released", passed_over: "passed over",
  calendar_title: "Calendar", subscribe: "Subscribe (.ics)", subscribe_help:
    "Makes a token that only reads your calendar; add the link to a calendar app. The link holds the token: keep it private.",
  make_link: "Make a subscription link", prev_month: "Previous month", next_month: "Next month",
  admin_title: "Users", users: "Users", new_user: "New user", active: "Active",
  deactivate: "Deactivate", activate: "Activate", reset_password: "Reset password",
  locked_until: "Locked until", tokens: "Tokens", issue_token: "Issue a script token",
  revoke_all: "Revoke all tokens", has_password: "Password set",
  token_once: "The token is shown only this once; keep it safe:", failed_signins: "Failures in a row",
  role_village_clerk: "village clerk", role_township_officer: "township officer",
  role_county_approver: "county approver", role_province_admin: "province administrator",
  role_auditor: "auditor",
  labour: "Labour capacity", date_of_death: "Date of death", employed: "Employed",
  in_school: "In school", serious_illness: "Serious illness", asset_value: "Value (yuan)",
  whole_household: "Whole household", not_recorded: "Not recorded", not_assessed: "Not assessed",
  situation: "Situation", deceased: "deceased", disability: "disability", grade: "grade",
  yuan_month: "yuan/month", yuan: "yuan", regular_mark: " (regular)",
  no_account_held: "No payment account: the household's payments are held.",
  urban: "urban", rural: "rural", emergency: "emergency", expenditure: "expenditure",
  updated: "Updated", next_review: "Next review", publicity: "Publicity", days: "days",
  actions: "Actions", payments_unit: "payments", record_account_of: "Record the payment account of household #N",
  then_run: "then", repay_by: "repay by", plugin_places: "Jurisdictions with plugins",
  step: "Step",
  nav_reviews: "Annual review", reviews_title: "Annual review", reviews_intro:
    "Re-decide, in bulk, the cases in payment, the applicants and the other groups of a jurisdiction on current facts and standards: each case gets a proposal (continue, raise, lower, phase out, exit or cannot decide) and a one-line reason. A proposal changes no case; officials decide. The 'no change' ones can be confirmed in a batch by the right level, each case audited.",
  snapshots: "Snapshots", snapshot: "Snapshot", take_snapshot: "Take a snapshot", snapshot_help:
    "Exports the jurisdiction's households, members and cases (personal data) as the input of bulk reviews and simulations.",
  snapshot_taken: "Snapshot taken", taken_at: "Taken at", households_n: "Households", members_n: "Members",
  cases_n: "Cases", new_snapshot: "A new snapshot for the review", no_snapshots: "No snapshot yet.",
  start_review: "Start an annual review", run_review: "Run the review", review_running: "Reviewing…",
  review_scope: "Scope", in_payment: "Cases in payment", applicants: "Applications not yet decided",
  exited_since: "Cases exited since", tags: "Tagged groups (comma-separated)", programs: "Programs",
  runs: "Review runs", no_runs: "No review run yet.", run: "Run", proposals: "Proposals", tasks_n: "Tasks",
  created_by: "Started by", finished: "Finished", engine: "Engine", progress: "Progress (per township; per county where no township is recorded)",
  unit: "Unit", progress_bar: "Progress", stored: "Stored", total_n: "Total", done: "Done", resume: "Resume the run",
  review_title: "Annual review run", tasks: "Review tasks", proposal: "Proposal", reason: "Reason",
  current: "Current amount", proposed: "Proposed amount", task_status: "Task status", scope_kind: "Group",
  show_trace: "Full trace", hide_trace: "Hide trace", trace_agrees: "The traced engine agrees with the run",
  trace_differs: "The traced engine differs from the run", all: "All", filter: "Filter",
  confirm_title: "Confirm the 'no change' batch", confirm_help:
    "Confirms the open 'continue' tasks of this run: each case gets a periodic review through the case workflow (audited), by the level that confirms dibao there. A task whose case or household changed since the snapshot, or that decided again on the day is no longer unchanged, is skipped and left to the officials.",
  confirm_level: "Dibao is confirmed here by", confirm_button: "Confirm the 'no change' tasks",
  confirmed_n: "Confirmed", skipped: "Skipped (left to the officials)", review_on: "Review date",
  may_not_run: "Your role may not start an annual review (county approvers and province administrators may).",
  open_case_page: "Open case",
  nav_simulate: "Reform simulation", simulate_title: "Reform simulation", simulate_intro:
    "Change one or more policy parameters (at any layer, from a date) and decide the registered households of a jurisdiction (or a snapshot) under the policy as it is and under the reform: eligible households and persons, monthly and yearly cost, per county, winners and losers. Aggregates only: never a household or a person.",
  population: "Population", by_jurisdiction: "Registered households of a jurisdiction", by_snapshot: "A snapshot",
  reform: "Reform", reform_name: "Reform name", add_reform: "Add a reform", add_override: "Add an override",
  override: "Override", path: "Parameter path", at: "Layer (jurisdiction code)", change_kind: "Change",
  set_value: "Set to", scale_by: "Multiply by", value_json: "New value (number, true/false or JSON)", factor: "Factor (e.g. 1.1)",
  from_date: "From", until_date: "Until (optional)", run_simulation: "Simulate", simulating: "Simulating…",
  baseline: "Baseline", reformed: "Reform", change: "Change", eligible_households: "Eligible households",
  persons: "Persons", monthly_cost: "Monthly cost (yuan)", yearly_cost: "Yearly cost (yuan)",
  winners: "Winners", losers: "Losers", newly_eligible: "Newly eligible", no_longer: "No longer eligible",
  cannot_decide_n: "Cannot decide", by_county: "By county", chart_title: "Monthly cost by county: baseline and reform",
  download_csv: "Download the result (CSV)", notes_title: "Notes", totals: "Totals",
  aggregates_only: "Aggregates only: no household or person.", low_income: "low income", weighted: "weighted sample",
  role_analyst: "analyst",
  signin_title: "Sign in", signin_intro: "Your user name and the password your administrator set. 5 failures in a row lock the account for 15 minutes.",
  forbidden_page: "You may not see this page.", need_signin: "Please sign in first.",
};

// A value of an enumeration: its Chinese name from ``names``, or the value itself in English.
export function named(names, key) {
  if (key === null || key === undefined) return "";
  const k = String(key).toLowerCase();
  return lang() === "en" ? k.replaceAll("_", " ") : names[k] || key;
}

export function t(key) {
  const table = lang() === "en" ? EN : ZH;
  return table[key] ?? ZH[key] ?? key;
}

// Words of a group of screens kept in their own module (lib/words-*.js), added to these tables
// when the module loads: words, error codes and field names.
export function addWords({ zh = {}, en = {}, errorsZh = {}, fieldsZh = {} }) {
  Object.assign(ZH, zh);
  Object.assign(EN, en);
  Object.assign(ERRORS_ZH, errorsZh);
  Object.assign(FIELDS_ZH, fieldsZh);
}

// -- codes ------------------------------------------------------------------------------------

const STATES_ZH = {
  accepted: "已受理", investigated: "已入户调查", first_reviewed: "已初审", in_publicity: "公示中",
  active: "保障中", phasing_out: "渐退期", exited: "已退出", rejected: "不予确认",
  assisted: "已先行救助", granted: "已批准",
};
const PROGRAMS_ZH = { dibao: "低保", tekun: "特困供养", temporary: "临时救助" };
const STEPS_ZH = {
  open: "受理申请", record_investigation: "入户调查", record_verification: "经济状况核对",
  record_self_care: "生活自理能力评估", record_first_review: "初审", start_publicity: "开始公示",
  record_objection: "登记异议", confirm_case: "审核确认", reject_case: "不予确认",
  record_refusal_notice: "书面告知不予确认", record_spot_check: "县级抽查",
  record_review: "复核", start_phase_out: "渐退", record_income_stable: "收入稳定（次月退出）",
  record_work_refusal: "登记拒绝就业", exit_case: "退出", record_death: "登记死亡",
  record_head_change: "更换户主及账户", record_home_visit: "入户核查",
  record_care_placement: "供养方式", record_care_visit: "走访探视/照料评估",
  assist_first: "先行救助", record_paperwork: "补齐手续",
  record_complaint: "登记投诉举报", record_work_accepted: "登记接受就业",
  reduce_for_refused_work: "减发或停发本人低保金", confirm_termination: "终止供养决定（公示后）",
  record_care_wish: "登记集中供养意愿", report_self_care_change: "报告生活自理能力变化",
  report_change: "登记家庭变动（本人报告）", record_own_application: "登记本人申请（单人保）",
  record_democratic_appraisal: "登记民主评议", record_phase_out_notice: "登记渐退书面告知",
};
const ERRORS_ZH = {
  UNAUTHENTICATED: "需要登录，或登录已过期。", FORBIDDEN: "您没有权限，或超出您的管辖范围。",
  SIGN_IN_FAILED: "用户名或密码错误。", ACCOUNT_LOCKED: "账户已锁定（连续 5 次登录失败），15 分钟后再试，或请管理员重置密码。",
  WEAK_PASSWORD: "密码太弱：至少 10 个字符，且不能与用户名相同。",
  INVALID_INPUT: "输入有误。", INVALID_ID_NUMBER: "身份证号无效（校验位、出生日期或地区码不符）。",
  DUPLICATE_PERSON: "此人已是另一户的在册成员。", NOT_FOUND: "找不到。",
  VERSION_CONFLICT: "数据已被他人修改，请刷新后再办理。",
  CONSTRAINT_VIOLATION: "违反上级规定的约束。", UNKNOWN_JURISDICTION: "行政区划代码无效。",
  UNKNOWN_PARAMETER: "未知参数。", INVALID_TRANSITION: "当前状态下不能办理此步骤。",
  WRONG_LEVEL: "此步骤应由其他层级（角色）办理。", RECUSAL_REQUIRED: "您是申请人的近亲属，须回避。",
  VERIFICATION_REQUIRED: "须先完成经济状况核对且结果为通过。", COUNTY_VISIT_REQUIRED: "近亲属备案案件须先由县级入户。",
  SPOT_CHECK_REQUIRED: "县级已抽中此案，须先完成抽查。", PUBLICITY_NOT_OVER: "公示期尚未结束。",
  TOO_FEW_INVESTIGATORS: "入户调查人数不足。", REASONS_REQUIRED: "须填写理由。",
  PHASE_OUT_TOO_LONG: "渐退期超过当地上限。", PHASE_OUT_TOO_SHORT: "渐退期短于当地下限。",
  PHASE_OUT_NOT_OVER: "渐退期尚未结束。", REFUSED_WORK_BELOW_LIMIT: "拒绝就业次数未达到退出条件。",
  NOT_ELIGIBLE: "按现有资料不符合条件。", POLICY_NOT_SET: "当地尚未设定所需的政策参数。",
  AMOUNT_TOO_HIGH: "金额高于测算金额。", HEAD_NOT_CHANGED: "户主尚未更换。",
  PAYMENT_ACCOUNT_REQUIRED: "须先登记一卡通账户。", DUPLICATE_CASE: "该住户已有同一项目的在办案件。",
  PAYMENT_HELD: "该笔发放处于暂停状态。", RUN_FAILED: "发放生成失败，未写入任何数据。",
  DATABASE_UNAVAILABLE: "数据库暂时不可用，请稍后再试。", QUERY_TOO_COMPLEX: "查询过大，请缩小范围。",
  BAD_USER_INPUT: "输入格式有误。", NOT_LOCALLY_SETTABLE: "该参数不能由地方设定。",
  CONFIRMATION_REQUIRED: "需要确认。", NETWORK: "无法连接服务器。",
  INTERNAL_SERVER_ERROR: "服务器内部错误。", SNAPSHOT_FAILED: "快照生成失败，未保存任何内容。",
  CHANGED: "按当天政策重新认定，结果已不是“无变化”，请逐案复核。", VALIDATION_FAILED: "查询无效。",
  CHOICE_REQUIRED: "须由经办人选择：给予渐退期或退出。", PHASE_OUT_NOT_ALLOWED: "不符合给予渐退期的条件。",
  HOME_VISIT_REQUIRED: "须先完成入户调查。",
  OWN_APPLICATION_REQUIRED: "按“单人户”纳入须经本人申请，请先登记本人申请。",
  APPRAISAL_REQUIRED: "须先完成民主评议。",
};
const FIELDS_ZH = {
  name: "用户名", password: "密码", newPassword: "新密码", currentPassword: "当前密码",
  on: "办理日期", investigators: "调查人员", findings: "调查情况", passed: "核对是否通过",
  notes: "备注", opinion: "初审意见", reason: "原因", reasons: "理由", monthlyAmount: "月补助金额（元）",
  upheld: "抽查是否维持", phaseOutMonths: "渐退月数", months: "月数", idNumber: "身份证号",
  dateOfDeath: "死亡日期", failedIndicators: "未达标指标数（共 6 项）", note: "说明", mode: "供养方式",
  institution: "供养机构", kind: "类型", amount: "金额（元）", program: "项目",
  householdId: "住户", nearRelatives: "近亲属（工作人员）", role: "角色", jurisdiction: "行政区划",
  scope: "令牌范围", tokenId: "令牌", month: "月份", status: "状态", expectedVersion: "版本",
  snapshot: "快照", review: "复核批次", county: "县（区）", taskIds: "任务", asOf: "日期", id: "批次",
  population: "模拟对象", path: "参数路径", at: "设定层级", value: "新值", from: "生效日期", until: "失效日期",
  method: "调查方式", outcome: "处理结果", cause: "收入增加的原因", causeMember: "就业或创业的成员（身份证号）",
  selfReported: "是否本人主动申报", member: "成员（身份证号）", goodReason: "是否有正当理由",
  stop: "停发本人低保金（否：减发）", willing: "是否愿意集中供养", reportedBy: "报告人",
  what: "变动情况", appraisal: "民主评议意见", number: "文书编号",
  exceptionReasons: "例外理由", category: "救助类别", monthsWithoutIncome: "连续无收入月数",
  unemploymentInsured: "是否参加失业保险", atCounty: "急难发生地（县级代码）", ground: "在急难发生地申请的依据",
};
// The allowed values of the steps' inputs (caseActionSpecs' choices).
const CHOICES_ZH = {
  INCOME_OVER_STANDARD: "收入超过标准", DEATH: "死亡", MOVED_AWAY: "迁出",
  REFUSED_WORK: "无正当理由拒绝就业", FOUND_INELIGIBLE: "经查不符合条件",
  centralised: "集中供养", dispersed: "分散供养", visit: "走访探视", carer_assessment: "照料服务评估",
  emergency: "急难型", expenditure: "支出型", ...PROGRAMS_ZH,
  phase_out: "给予渐退期", exit: "退出", employment: "就业", business_start: "自主创业",
  home_visit: "入户调查", neighbour_visit: "邻里访问", letter: "信函索证", data_check: "信息核对",
  remote: "电话、视频（重大突发事件期间）", general: "一般", unemployed_uninsured: "未参保失业人员",
  migrant_worker_without_work_or_family_support: "暂时找不到工作又得不到家庭支持的外来务工人员",
  stranded: "因交通管控等原因暂时滞留的临时遇困人员",
};

export function stateName(s) { return lang() === "en" ? s.replaceAll("_", " ") : STATES_ZH[s] || s; }
export function programName(p) { return lang() === "en" ? p : PROGRAMS_ZH[p] || p; }
export function stepName(s) { return lang() === "en" ? s.replaceAll("_", " ") : STEPS_ZH[s] || s; }
export function errorText(code) { return lang() === "en" ? code : ERRORS_ZH[code] || code; }
export function choiceName(v) { return lang() === "en" ? v : CHOICES_ZH[v] || v; }
export function roleName(r) { return t(`role_${r}`); }
export function levelName(l) { return t(`level_${String(l).toLowerCase()}`); }

// A field's label: the Chinese word when known, else the API's own name.
export function fieldName(f) {
  if (lang() === "en") return f;
  return FIELDS_ZH[f] || f;
}

export const RELATIONS_ZH = {
  head: "户主", spouse: "配偶", child: "子女", parent: "父母", sibling: "兄弟姐妹",
  grandparent: "祖父母", grandchild: "孙子女", child_in_law: "儿媳/女婿", other: "其他",
};
export function relationName(r) { return named(RELATIONS_ZH, r); }

export const STATES = Object.keys(STATES_ZH);
export const PROGRAMS = Object.keys(PROGRAMS_ZH);

// The annual review's words: proposals, task statuses, groups in scope, run statuses.
const PROPOSALS_ZH = {
  continue: "继续保障（无变化）", raise: "提高补助", lower: "降低补助", phase_out: "渐退",
  exit: "退出", cannot_decide: "无法认定", eligible: "符合条件", not_eligible: "不符合条件",
};
const TASK_STATUS_ZH = { open: "待处理", confirmed: "已确认", superseded: "已由后续步骤处理" };
const SCOPE_ZH = { in_payment: "在保对象", applicant: "新申请", exited: "已退出", tagged: "重点人群" };
const RUN_STATUS_ZH = { running: "进行中", done: "已完成", failed: "失败（可继续）" };
export function proposalName(p) { return named(PROPOSALS_ZH, p); }
export function taskStatusName(s) { return named(TASK_STATUS_ZH, s); }
export function scopeName(s) { return named(SCOPE_ZH, s); }
export function runStatusName(s) { return named(RUN_STATUS_ZH, s); }
export const PROPOSALS = Object.keys(PROPOSALS_ZH);
export const TASK_STATUSES = Object.keys(TASK_STATUS_ZH);
