import type { Locale } from './locale';

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
