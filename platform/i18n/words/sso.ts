/** Single sign-on (OpenID Connect) on the sign-in page: the button, and why a sign-in through the provider was refused. */
const en = {
  'sso.button': 'Sign in with {name}',
  'sso.or': 'Staff of the company can sign in with the company account:',
  'sso.refused.unknown_account': '{name} signed you in as {email}, but no active staff account in Aftercare has that address. Ask an administrator to invite you.',
  'sso.refused.not_staff': 'Sign-in with {name} is for staff of the company. Sign in with your e-mail address and password.',
  'sso.refused.email_unverified': '{name} has not verified the e-mail address of your account there, so it cannot sign you in here. Ask your administrator of {name}, or sign in with your password.',
  'sso.refused.email_missing': '{name} did not tell us the e-mail address of your account, so it cannot sign you in here. Ask your administrator of {name}, or sign in with your password.',
  'sso.refused.bad_state': 'That sign-in with {name} could not be finished: it took too long, or it was started in another browser. Try again.',
  'sso.refused.provider_error': '{name} did not sign you in. Try again, or sign in with your password.',
  'sso.refused.provider_down': '{name} cannot be reached right now. Try again in a few minutes, or sign in with your password.',
};

// Typed against the English table: a missing or extra key fails the type check.
const zhCN: Record<keyof typeof en, string> = {
  'sso.button': '使用 {name} 登录',
  'sso.or': '公司员工可使用公司账户登录：',
  'sso.refused.unknown_account': '{name} 已确认您的身份为 {email}，但 Aftercare 中没有使用该地址的有效员工账户。请联系管理员邀请您。',
  'sso.refused.not_staff': '{name} 登录仅供公司员工使用。请使用电子邮箱和密码登录。',
  'sso.refused.email_unverified': '{name} 尚未验证您在其中账户的电子邮箱，因此无法在此为您登录。请联系 {name} 的管理员，或使用密码登录。',
  'sso.refused.email_missing': '{name} 未提供您账户的电子邮箱，因此无法在此为您登录。请联系 {name} 的管理员，或使用密码登录。',
  'sso.refused.bad_state': '此次 {name} 登录无法完成：耗时过长，或是在另一个浏览器中发起的。请重试。',
  'sso.refused.provider_error': '{name} 未能为您登录。请重试，或使用密码登录。',
  'sso.refused.provider_down': '暂时无法连接 {name}。请过几分钟再试，或使用密码登录。',
};

export default { en, 'zh-CN': zhCN };
