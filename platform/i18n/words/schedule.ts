/** The words of the schedule's refusals (calendars, their feeds, policy layers), said to API readers. */
const en = {
  // ICU quotes with an apostrophe: a doubled one is written as one.
  'schedule.calendarNotFound': "No calendar ''{key}''",
  'schedule.calendarWeekendsOnly': "Calendar ''{key}'' is weekends only; it has no yearly data to load",
  'schedule.feedNotFound': 'no calendar feed for engineer {id} with this token',
  'schedule.policyLayerNotFound': 'no {scope, select, customer_class {customer class} other {{scope}}} policy layer {key}',
  'calendarYear.badYear': 'must be a year {first}–{last}, got {year}',
  'calendarYear.notADate': "''{date}'' is not a real date YYYY-MM-DD",
  'calendarYear.otherYear': '{date} is not in {year}',
  'calendarYear.twice': '{date} is listed twice',
  'calendarYear.holidayAndWorkday': '{date} cannot be both a holiday and a make-up working day',
  'calendarYear.weekdayWorkday': '{date} is a {weekday, select, 1 {Monday} 2 {Tuesday} 3 {Wednesday} 4 {Thursday} 5 {Friday} 6 {Saturday} other {Sunday}}, a working day already; a make-up working day must be a weekend day',
};

// Typed against the English table: a missing or extra key fails the type check.
const zhCN: Record<keyof typeof en, string> = {
  'schedule.calendarNotFound': '没有日历“{key}”',
  'schedule.calendarWeekendsOnly': '日历“{key}”只按周末计算，没有可载入的年度数据',
  'schedule.feedNotFound': '工程师 {id} 没有使用此令牌的日历订阅',
  'schedule.policyLayerNotFound': '没有{scope, select, template {模板} model {机型} customer_class {客户类别} other {{scope}}}服务策略层 {key}',
  'calendarYear.badYear': '年份应在 {first}–{last} 之间，收到 {year}',
  'calendarYear.notADate': '“{date}”不是有效日期（YYYY-MM-DD）',
  'calendarYear.otherYear': '{date} 不在 {year} 年内',
  'calendarYear.twice': '{date} 重复列出',
  'calendarYear.holidayAndWorkday': '{date} 不能既是节假日又是调休上班日',
  'calendarYear.weekdayWorkday': '{date} 是{weekday, select, 1 {星期一} 2 {星期二} 3 {星期三} 4 {星期四} 5 {星期五} 6 {星期六} other {星期日}}，本就是工作日；调休上班日必须是周末',
};

export default { en, 'zh-CN': zhCN };
