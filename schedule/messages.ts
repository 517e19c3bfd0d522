/** The words of the schedule's refusals (calendars, their feeds, policy layers), said to API readers. */
const en = {
  // ICU quotes with an apostrophe: a doubled one is written as one.
  'schedule.calendarNotFound': "No calendar ''{key}''",
  'schedule.calendarWeekendsOnly': "Calendar ''{key}'' is weekends only; it has no yearly data to load",
  'schedule.feedNotFound': 'no calendar feed for engineer {id} with this token',
  'schedule.policyLayerNotFound': 'no {scope, select, customer_class {customer class} other {{scope}}} policy layer {key}',
};

// Typed against the English table: a missing or extra key fails the type check.
const zhCN: Record<keyof typeof en, string> = {
  'schedule.calendarNotFound': '没有日历“{key}”',
  'schedule.calendarWeekendsOnly': '日历“{key}”只按周末计算，没有可载入的年度数据',
  'schedule.feedNotFound': '工程师 {id} 没有使用此令牌的日历订阅',
  'schedule.policyLayerNotFound': '没有{scope, select, template {模板} model {机型} customer_class {客户类别} other {{scope}}}服务策略层 {key}',
};

export default { en, 'zh-CN': zhCN };
