/** The sign-in page, the notices of an ended session, and the users module's refusals. */
const en = {
  'people.emailTaken': 'A user with e-mail {email} already exists',
  'people.problem.customerRequired': 'Required when role is customer',
  'people.problem.customerOnly': 'Only for role customer',
  'people.problem.dealerRequired': 'Required when role is dealer',
  'people.problem.dealerOnly': 'Only for role dealer',
  'signin.title': 'Sign in',
  'signin.token': 'API token',
  'signin.hint': 'Use the admin token that npm start prints, or a token issued with POST /api/users.',
  'signin.submit': 'Sign in',
  'signin.empty': 'Enter an API token.',
  'signin.invalid': 'That token is not valid: it is unknown or revoked, or its user is inactive.',
  'signin.tooMany': 'Too many failed sign-ins from this address. Wait a while and try again.',
  'signin.ended.idle': 'Your session ended after a long time without activity. Sign in again.',
  'signin.ended.expired': 'Your session reached its maximum length. Sign in again.',
  'signin.ended.revoked': 'Your session was ended. Sign in again.',
  'signin.signedOut': 'You are signed out.',
};

// Typed against the English table: a missing or extra key fails the type check.
const zhCN: Record<keyof typeof en, string> = {
  'people.emailTaken': '电子邮箱为 {email} 的用户已存在',
  'people.problem.customerRequired': '角色为客户时必填',
  'people.problem.customerOnly': '仅限客户角色',
  'people.problem.dealerRequired': '角色为经销商时必填',
  'people.problem.dealerOnly': '仅限经销商角色',
  'signin.title': '登录',
  'signin.token': 'API 令牌',
  'signin.hint': '使用 npm start 打印的管理员令牌，或通过 POST /api/users 签发的令牌。',
  'signin.submit': '登录',
  'signin.empty': '请输入 API 令牌。',
  'signin.invalid': '该令牌无效：未知、已吊销，或其用户已停用。',
  'signin.tooMany': '该地址登录失败次数过多，请稍后再试。',
  'signin.ended.idle': '长时间未操作，会话已结束。请重新登录。',
  'signin.ended.expired': '会话已达最长时限。请重新登录。',
  'signin.ended.revoked': '会话已被终止。请重新登录。',
  'signin.signedOut': '您已退出登录。',
};

export default { en, 'zh-CN': zhCN };
