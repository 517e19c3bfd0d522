/**
 * What a workflow names by key in a notice (a deadline's kind, a reason, an outcome), in the
 * recipient's language: part of the one catalogue of words (platform/console/messages.ts).
 */
const en = {
  'notice.weekly_report': 'the weekly installation report',
  'notice.trial_report': 'the trial-run report and final-acceptance application',
  'notice.doa_shipment': 'shipment of the dead-on-arrival replacement',
  'notice.doa_return': 'return of the damaged unit',
  'notice.human': 'damage caused by people (not operated as documented)',
  'notice.third_party_accessory': 'unauthorised third-party accessories or software',
  'notice.environment': 'environmental or electrical conditions not met',
  'notice.force_majeure': 'force majeure',
  'notice.not_returned': 'the damaged unit was not returned in time',
  'notice.warranty_card': 'the warranty card (customer details) of a dealer sale',
  'notice.warranty_card_late': 'the warranty card was not completed within the time allowed, so the warranty of this device is not recognised and claims for it will be refused',
  'notice.dealer_task_arrange': 'the dealer arranging the warranty service',
  'notice.dealer_task_clerk_check': 'the sales clerk’s check of the dealer’s arrangement',
  'notice.settlement_confirm': 'the dealer’s confirmation of the warranty settlement statement',
  'notice.parts_plan': 'the dealer’s parts plan for the sales season',
  'notice.old_part_return': 'return of the old parts',
  'notice.resubmit_window': 'resubmission of the claim lines sent back',
  'notice.claim_parts_missing': 'the old parts were not returned in time, so these lines (and the labour that fitted them) are not written off',
  'notice.claim_resubmit_closed': 'the lines sent back were not resubmitted in time and are rejected',
  'notice.not_acceptable': 'the returned unit does not meet the acceptance conditions',
  // The timeline entry of a notice that could not be sent (its reason is the mail system's own text).
  'timeline.notice.failed': 'Notice "{template}" to {to} could not be sent: {reason}',
};

const zhCN: Record<keyof typeof en, string> = {
  'notice.weekly_report': '工程周报',
  'notice.trial_report': '试运行报告和终验申请',
  'notice.doa_shipment': '到货即损替换件发货',
  'notice.doa_return': '退回损坏设备',
  'notice.human': '人为损坏（未按文档操作）',
  'notice.third_party_accessory': '使用未经授权的第三方配件或软件',
  'notice.environment': '环境或电气条件不符合要求',
  'notice.force_majeure': '不可抗力',
  'notice.not_returned': '损坏设备未按期退回',
  'notice.warranty_card': '三包卡（保修卡）回执',
  'notice.warranty_card_late': '三包卡未在规定期限内交回，按规定该设备的三包（保修）不予认可，相关索赔将被拒绝',
  'notice.dealer_task_arrange': '经销商安排三包服务',
  'notice.dealer_task_clerk_check': '销售内勤核查经销商的安排',
  'notice.settlement_confirm': '经销商确认三包费用结算单',
  'notice.parts_plan': '经销商备件计划',
  'notice.old_part_return': '旧件返回',
  'notice.resubmit_window': '退回索赔的修改重报',
  'notice.claim_parts_missing': '旧件未按期返回，以下行（含相应工时）不予核销',
  'notice.claim_resubmit_closed': '退回的行未在期限内修改重报，已驳回',
  'notice.not_acceptable': '退回的设备不符合验收条件',
  'timeline.notice.failed': '通知“{template}”未能发送给 {to}：{reason}',
};

export default { en, 'zh-CN': zhCN };
