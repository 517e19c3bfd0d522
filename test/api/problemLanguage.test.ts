/**
 * A 400 tells what is wrong in the reader's language: the Accept-Language header when it names zh or
 * en, else the caller's own language, else English; zod's own checks worded from the catalogue, a
 * schema's own message kept as written, every problem naming its field.
 */
import { startApi, type ApiHarness } from './harness';

describe('field problems in the reader’s language', () => {
  let api: ApiHarness;
  let chineseToken: string;

  beforeAll(async () => {
    api = await startApi();
    const manager = await api.users.create({ name: 'Zhang Wei', email: 'zhang.wei@maker.test', role: 'admin', locale: 'zh-CN' });
    chineseToken = await api.users.issueToken(manager.id, 'test');
  });

  afterAll(async () => {
    await api.close();
  });

  const badUser = { name: '', email: 'nope', role: 'wizard', nickname: 'x' };
  const problems = async (token: string, headers: Record<string, string> = {}) => {
    const answer = await api.call('POST', '/api/users', { token, body: badUser, headers });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('validation_failed');
    return { message: answer.body.error.message as string, byField: Object.fromEntries((answer.body.error.details as { field: string; message: string }[]).map((d) => [d.field, d.message])) };
  };

  it('answers in English to a reader who asks for it', async () => {
    const { message, byField } = await problems(chineseToken, { 'accept-language': 'en-US,en;q=0.9' });
    expect(byField).toEqual({ name: 'must not be empty', email: 'must be an e-mail address', role: expect.stringMatching(/^must be one of "admin"/), nickname: 'Unknown field' });
    expect(message).toBe('Invalid name, email, role, nickname');
  });

  it('answers in Chinese to a reader who asks for it', async () => {
    const { message, byField } = await problems(api.adminToken, { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' });
    expect(byField).toEqual({ name: '不能为空', email: '应为电子邮件地址', role: expect.stringMatching(/^应为以下之一："admin"/), nickname: '未知字段' });
    expect(message).toBe('以下字段无效：name, email, role, nickname');
  });

  it('without a language it can use (none, or *), answers in the caller’s own language', async () => {
    expect((await problems(chineseToken, { 'accept-language': '*' })).byField.name).toBe('不能为空');
    expect((await problems(chineseToken, { 'accept-language': 'fr-FR' })).byField.name).toBe('不能为空');
    expect((await problems(api.adminToken, { 'accept-language': '*' })).byField.name).toBe('must not be empty');
  });

  it('says a schema’s own message given as a catalogue key, and words sizes with plurals', async () => {
    const dealer = await api.call('POST', '/api/users', { token: chineseToken, body: { name: 'A', email: 'a@maker.test', role: 'dealer' }, headers: { 'accept-language': 'en' } });
    expect(dealer.body.error.details).toEqual([{ field: 'dealerId', message: 'Required when role is dealer' }]);
    const dealerZh = await api.call('POST', '/api/users', { token: chineseToken, body: { name: 'A', email: 'a@maker.test', role: 'dealer' } });
    expect(dealerZh.body.error.details).toEqual([{ field: 'dealerId', message: '角色为经销商时必填' }]);
    const long = await api.call('POST', '/api/users', { token: chineseToken, body: { name: 'x'.repeat(300), email: 'a@maker.test', role: 'engineer' }, headers: { 'accept-language': 'en' } });
    expect(long.body.error.details).toEqual([{ field: 'name', message: 'must be at most 191 characters' }]);
    const longZh = await api.call('POST', '/api/users', { token: chineseToken, body: { name: 'x'.repeat(300), email: 'a@maker.test', role: 'engineer' } });
    expect(longZh.body.error.details).toEqual([{ field: 'name', message: '最多 191 个字符' }]);
  });

  it('names a missing field as required, and a value of the wrong type as such', async () => {
    const answer = await api.call('POST', '/api/users', { token: chineseToken, body: { name: 'A', role: 'engineer' } });
    expect(answer.body.error.details).toEqual([{ field: 'email', message: '必填' }]);
    const typed = await api.call('POST', '/api/users', { token: chineseToken, body: { name: 123, email: 'a@maker.test', role: 'dealer', dealerId: 2.5 } });
    expect(typed.body.error.details).toEqual([
      { field: 'name', message: '应为文本' },
      { field: 'dealerId', message: '应为整数' },
    ]);
    const english = await api.call('POST', '/api/users', { token: chineseToken, body: { name: 123, email: 'a@maker.test', role: 'engineer' }, headers: { 'accept-language': 'en' } });
    expect(english.body.error.details).toEqual([{ field: 'name', message: 'must be text' }]);
    // The value judged is not echoed back.
    expect(JSON.stringify(typed.body)).not.toContain('2.5');
  });
});
