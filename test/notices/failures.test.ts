import { isPermanentRenderError, isPermanentSmtpRefusal, NoticeRenderError, recipientProblem, UnknownTemplateError } from '../../platform/notices';

describe('which notice problems are for good', () => {
  it.each([
    [{ responseCode: 550, code: 'EENVELOPE' }, true],
    [{ responseCode: 554 }, true],
    [{ code: 'EENVELOPE' }, true],
    [{ responseCode: 451 }, false],
    [{ responseCode: 421, code: 'EPROTOCOL' }, false],
    [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNECTION' }), false],
    [new Error('socket hang up'), false],
    ['550', false],
    [null, false],
  ])('SMTP error %j is permanent: %s', (error, permanent) => {
    expect(isPermanentSmtpRefusal(error)).toBe(permanent);
  });

  it('treats render errors and unknown templates as permanent, nothing else', () => {
    expect(isPermanentRenderError(new NoticeRenderError('missing x'))).toBe(true);
    expect(isPermanentRenderError(new UnknownTemplateError('nope', []))).toBe(true);
    expect(isPermanentRenderError(new Error('EMFILE'))).toBe(false);
  });

  it.each(['wang@hospital.example', 'admin@localhost', 'a.b+c@xn--fiqs8s.example'])('accepts %s as a recipient', (email) => {
    expect(recipientProblem(email)).toBeUndefined();
  });

  it.each(['', 'wang', 'wang@', '@hospital.example', 'a b@c.example', 'Wang <wang@x.example>', 'a@x.example, b@x.example', 'a@b@c'])('refuses %j as a recipient', (email) => {
    expect(recipientProblem(email)).toMatch(/is not an e-mail address/);
  });

  it('refuses an address longer than 254 characters, which no server delivers', () => {
    expect(recipientProblem(`${'a'.repeat(64)}@${'b'.repeat(184)}.test`)).toBeUndefined();
    expect(recipientProblem(`${'a'.repeat(64)}@${'b'.repeat(185)}.test`)).toMatch(/255 characters long; at most 254/);
  });
});
