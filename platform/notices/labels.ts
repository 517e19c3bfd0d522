import type { Locale } from '../../domain/locale';

/**
 * Workflows name what is due or missed by key; the recipient's language is only known when the notice
 * is rendered, so the text is chosen here.
 */
const LABELS: Record<string, Record<Locale, string>> = {
  weekly_report: { 'zh-CN': '工程周报', en: 'the weekly installation report' },
  trial_report: { 'zh-CN': '试运行报告和终验申请', en: 'the trial-run report and final-acceptance application' },
  doa_shipment: { 'zh-CN': '到货即损替换件发货', en: 'shipment of the dead-on-arrival replacement' },
  doa_return: { 'zh-CN': '退回损坏设备', en: 'return of the damaged unit' },
  human: { 'zh-CN': '人为损坏（未按文档操作）', en: 'damage caused by people (not operated as documented)' },
  third_party_accessory: { 'zh-CN': '使用未经授权的第三方配件或软件', en: 'unauthorised third-party accessories or software' },
  environment: { 'zh-CN': '环境或电气条件不符合要求', en: 'environmental or electrical conditions not met' },
  force_majeure: { 'zh-CN': '不可抗力', en: 'force majeure' },
  not_returned: { 'zh-CN': '损坏设备未按期退回', en: 'the damaged unit was not returned in time' },
  warranty_card: { 'zh-CN': '三包卡（保修卡）回执', en: 'the warranty card (customer details) of a dealer sale' },
  warranty_card_late: {
    'zh-CN': '三包卡未在规定期限内交回，按规定该设备的三包（保修）不予认可，相关索赔将被拒绝',
    en: 'the warranty card was not completed within the time allowed, so the warranty of this device is not recognised and claims for it will be refused',
  },
  dealer_task_arrange: { 'zh-CN': '经销商安排三包服务', en: 'the dealer arranging the warranty service' },
  dealer_task_clerk_check: { 'zh-CN': '销售内勤核查经销商的安排', en: 'the sales clerk’s check of the dealer’s arrangement' },
  settlement_confirm: { 'zh-CN': '经销商确认三包费用结算单', en: 'the dealer’s confirmation of the warranty settlement statement' },
  parts_plan: { 'zh-CN': '经销商备件计划', en: 'the dealer’s parts plan for the sales season' },
  old_part_return: { 'zh-CN': '旧件返回', en: 'return of the old parts' },
  resubmit_window: { 'zh-CN': '退回索赔的修改重报', en: 'resubmission of the claim lines sent back' },
  claim_parts_missing: { 'zh-CN': '旧件未按期返回，以下行（含相应工时）不予核销', en: 'the old parts were not returned in time, so these lines (and the labour that fitted them) are not written off' },
  claim_resubmit_closed: { 'zh-CN': '退回的行未在期限内修改重报，已驳回', en: 'the lines sent back were not resubmitted in time and are rejected' },
  not_acceptable: { 'zh-CN': '退回的设备不符合验收条件', en: 'the returned unit does not meet the acceptance conditions' },
};

export function label(key: string, locale: Locale): string {
  return LABELS[key]?.[locale] ?? key;
}

export function hasLabel(key: string): boolean {
  return key in LABELS;
}

/** Replaces `<name>Key` entries of a notice context by `<name>` in the recipient's language. */
export function localizeContext(context: Record<string, unknown>, locale: Locale): Record<string, unknown> {
  const out: Record<string, unknown> = { ...context };
  for (const [field, value] of Object.entries(context)) {
    if (field.endsWith('Key') && typeof value === 'string') out[field.slice(0, -3)] = label(value, locale);
  }
  return out;
}
