/** Machine tokens (API and /profile/tokens), the profile page, e-mail changes and the first administrator's set-up link. */
const en = {
  'tokens.problem.role': 'A token may not act with the role {role}: choose your own role or a staff role below it.',
  'tokens.problem.tooLong': 'A token lives at most {days} days.',
  'tokens.problem.all': 'Only an administrator lists everyone’s tokens.',
};

// Typed against the English table: a missing or extra key fails the type check.
const zhCN: Record<keyof typeof en, string> = {
  'tokens.problem.role': '令牌不能使用角色 {role}：请选择您自己的角色或低于它的员工角色。',
  'tokens.problem.tooLong': '令牌的有效期最长为 {days} 天。',
  'tokens.problem.all': '只有管理员可以查看所有人的令牌。',
};

export default { en, 'zh-CN': zhCN };
