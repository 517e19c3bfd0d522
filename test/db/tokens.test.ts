/**
 * One token generator (issue #20): platform/tokens.ts draws every API token (the bootstrap admin's
 * included), session id and link token, and hashes them the one way they are stored.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { adminTokenFor } from '../../platform/config/adminToken';
import { generateToken, hashToken, randomToken } from '../../platform/tokens';
import { newSurveyToken } from '../../processes/tickets/surveyLinks';
import { UsersRepository } from '../../people/repository';
import { createTestDatabase, type TestDatabase } from '../support/db';

const API_TOKEN = /^ac_[A-Za-z0-9_-]{43}$/;

describe('the one token generator', () => {
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokens-'));
  });

  afterAll(async () => {
    await db?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('draws 256 random bits, URL-safe, different every time', () => {
    const drawn = new Set(Array.from({ length: 100 }, randomToken));
    expect(drawn.size).toBe(100);
    for (const token of drawn) expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(generateToken()).toMatch(API_TOKEN);
  });

  it('gives the generated bootstrap admin token and a user’s API token the same shape', async () => {
    expect(adminTokenFor({ dataDir: dir }).token).toMatch(API_TOKEN);
    const users = new UsersRepository(db.knex);
    const user = await users.create({ name: 'Tok En', email: 'tok.en@example.test', role: 'finance' });
    const token = await users.issueToken(user.id, 'test');
    expect(token).toMatch(API_TOKEN);
    expect((await users.authenticate(token))?.id).toBe(user.id);
  });

  it('stores only the sha256 of a token, for API tokens and survey links alike', () => {
    expect(hashToken('abc')).toBe(crypto.createHash('sha256').update('abc', 'utf8').digest('hex'));
    const { token, hash } = newSurveyToken();
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(hash).toBe(hashToken(token));
  });
});
