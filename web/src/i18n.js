// English and Chinese strings of the page; elements carry data-i18n="key".
const STRINGS = {
  en: {
    title: "ecociv — Tianshan Northern Slope Economic Belt",
    language: "Language", logout: "Sign out", signin: "Sign in", username: "User name",
    password: "Password", scenario: "Scenario", save: "Save levers", validate: "Validate",
    start: "Start run", cancel: "Cancel", runs: "Runs", compare: "Compare with",
    reports: "Reports", layers: "Layers", results: "Results", comparison: "Comparison",
    dataset: "Belt dataset layers", none: "(none)", noReports: "No report in this run.",
    makeReport: "Make report", reportPdf: "also PDF", reportWriting: "writing the report…",
    reportWritten: "report written", reportLang: "language of the report",
    fromStrategy: "New scenario from this strategy", createdFrom: "scenario created from strategy", levers: "Levers", params: "Parameters",
    queued: "queued", running: "running", done: "done", cached: "reused from cache",
    completed: "completed", failed: "failed", cancelled: "cancelled",
    saved: "levers saved", valid: "the scenario is valid", invalid: "the scenario is not valid",
    noScenario: "No scenario yet: a planner creates one through the API or `ecociv` files.",
    readOnly: "Your role can view but not edit or run.", signedInAs: "signed in as",
    legendStretch: "2–98 % range of the layer", noLayers: "This run has no raster outputs.",
    rows: "rows", step: "step", default: "default", badNumber: "a number is expected",
    range: "allowed", units: "units", datasetLayers: "Belt dataset", runLayers: "Run",
    runMap: "the run's own map (PNG)", preset: "Levers of a strategy",
    presetApplied: "levers filled from strategy (save to keep them)",
    unreadGroups: "lever groups this scenario does not read",
  },
  zh: {
    title: "ecociv — 天山北坡经济带",
    language: "语言", logout: "退出", signin: "登录", username: "用户名", password: "密码",
    scenario: "情景", save: "保存调控参数", validate: "校验", start: "开始运行", cancel: "取消",
    runs: "运行", compare: "对比", reports: "报告", layers: "图层", results: "结果",
    comparison: "情景对比", dataset: "经济带数据图层", none: "（无）", noReports: "本次运行没有报告。",
    makeReport: "生成报告", reportPdf: "同时生成 PDF", reportWriting: "正在生成报告……",
    reportWritten: "报告已生成", reportLang: "报告语言",
    fromStrategy: "以此战略情景新建情景", createdFrom: "已由战略情景新建情景", levers: "调控参数", params: "模型参数",
    queued: "排队中", running: "运行中", done: "完成", cached: "使用缓存",
    completed: "已完成", failed: "失败", cancelled: "已取消",
    saved: "调控参数已保存", valid: "情景有效", invalid: "情景无效",
    noScenario: "尚无情景：规划人员可通过接口或情景文件创建。",
    readOnly: "您的角色只能查看，不能编辑或运行。", signedInAs: "当前用户",
    legendStretch: "图层数值 2–98 % 区间", noLayers: "本次运行没有栅格输出。",
    rows: "行", step: "步骤", default: "默认", badNumber: "应为数字",
    range: "允许范围", units: "单位", datasetLayers: "经济带数据", runLayers: "运行",
    runMap: "本次运行绘制的地图（PNG）", preset: "采用战略情景的调控参数",
    presetApplied: "已填入战略情景的调控参数（保存后生效）",
    unreadGroups: "本情景未读取的调控参数组",
  },
};

let lang = localStorage.getItem("ecociv-lang") || (navigator.language.startsWith("zh") ? "zh" : "en");

export const currentLang = () => lang;

export function t(key) {
  return (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.en[key] || key;
}

export function setLang(value) {
  lang = STRINGS[value] ? value : "en";
  localStorage.setItem("ecociv-lang", lang);
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
}
