/**
 * The words of the API's own refusals (platform/http): a record not found or out of reach, a role
 * that may not act, an unknown endpoint, a bad or missing token, a request still being answered.
 * ICU messages; arguments are ids, codes and keys, never English words.
 */
const en = {
  'api.notFound.endpoint': 'No such endpoint: {method} {path}',
  'api.notFound.project': 'no project {id}',
  'api.notFound.doa_case': 'no dead-on-arrival case for serial {serial} in project {id}',
  'api.notFound.customer': 'no customer {id}',
  'api.notFound.contact': 'no contact {contactId} of customer {id}',
  'api.notFound.care_plan': 'no care plan {id}',
  'api.notFound.care_visit': 'no visit {id}',
  'api.notFound.care_call': 'no call {id}',
  'api.notFound.ticket': 'no ticket {id}',
  'api.notFound.user': 'no user {id}',
  'api.notFound.dealer': 'no dealer {id}',
  'api.notFound.dealer_sale': 'no dealer sale {id}',
  'api.notFound.claim': 'no claim {id}',
  'api.notFound.dealer_task': 'no dealer task {id}',
  'api.notFound.settlement': 'no settlement {id}',
  'api.notFound.api_token': 'no token {id}',
  'api.forbidden.role': 'Role {role} may not do this; allowed: {roles}',
  'api.forbidden.records': 'Role {role} may not {action, select, read {read} act {act on} assign {assign} administer {administer} other {{action}}} {resource} records; allowed: {roles}',
  'api.unauthenticated.invalid': 'The bearer token is not valid (unknown, revoked, or its user is inactive)',
  'api.unauthenticated.missing': 'This endpoint needs an `Authorization: Bearer <token>` header',
  'api.idempotency.inProgress': 'a request with {header} {key} is still being answered; try again in a moment',
};

// Typed against the English table: a missing or extra key fails the type check.
const zhCN: Record<keyof typeof en, string> = {
  'api.notFound.endpoint': '没有此接口：{method} {path}',
  'api.notFound.project': '没有项目 {id}',
  'api.notFound.doa_case': '项目 {id} 中没有序列号为 {serial} 的 DOA（到货即损）案例',
  'api.notFound.customer': '没有客户 {id}',
  'api.notFound.contact': '客户 {id} 没有联系人 {contactId}',
  'api.notFound.care_plan': '没有维护计划 {id}',
  'api.notFound.care_visit': '没有巡检 {id}',
  'api.notFound.care_call': '没有电话回访 {id}',
  'api.notFound.ticket': '没有工单 {id}',
  'api.notFound.user': '没有用户 {id}',
  'api.notFound.dealer': '没有经销商 {id}',
  'api.notFound.dealer_sale': '没有经销商销售记录 {id}',
  'api.notFound.claim': '没有索赔 {id}',
  'api.notFound.dealer_task': '没有经销商任务 {id}',
  'api.notFound.settlement': '没有结算单 {id}',
  'api.notFound.api_token': '没有令牌 {id}',
  'api.forbidden.role': '角色 {role} 无权执行此操作；允许的角色：{roles}',
  'api.forbidden.records': '角色 {role} 无权{action, select, read {查看} act {办理} assign {指派} administer {管理} other {{action}}} {resource} 记录；允许的角色：{roles}',
  'api.unauthenticated.invalid': 'Bearer 令牌无效（未知、已撤销，或其用户已停用）',
  'api.unauthenticated.missing': '此接口需要 `Authorization: Bearer <token>` 请求头',
  'api.idempotency.inProgress': '使用 {header} {key} 的请求仍在处理中，请稍后重试',
};

export default { en, 'zh-CN': zhCN };
