/**
 * Secrets an embedded install keeps in its data folder when no setting gives them: the bootstrap
 * admin's token and the second factor's key. Generated once (mode 0600), reused by every later start.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { adminTokenFor, secondFactorKeyFor } from '../../platform/config/adminToken';
import { SecretBox } from '../../people/secondFactor/secrets';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kept-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the second factor key kept in the data folder', () => {
  it('is generated once with 256 random bits, readable only by its owner, and reused', () => {
    const first = secondFactorKeyFor({ dataDir: dir });
    expect(Buffer.from(first, 'base64url')).toHaveLength(32);
    const file = path.join(dir, 'second-factor-key');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(secondFactorKeyFor({ dataDir: dir })).toBe(first);
    expect(secondFactorKeyFor({ dataDir: fs.mkdtempSync(path.join(dir, 'other-')) })).not.toBe(first);
  });

  it('gives way to the setting, and writes nothing then', () => {
    const given = 'a-key-given-by-AFTERCARE_SECOND_FACTOR_KEY-000';
    expect(secondFactorKeyFor({ key: given, dataDir: dir })).toBe(given);
    expect(fs.existsSync(path.join(dir, 'second-factor-key'))).toBe(false);
  });

  it('seals secrets that a box with the built-in key cannot open', () => {
    const sealed = new SecretBox(secondFactorKeyFor({ dataDir: dir })).seal('JBSWY3DPEHPK3PXP');
    expect(new SecretBox(secondFactorKeyFor({ dataDir: dir })).open(sealed)).toBe('JBSWY3DPEHPK3PXP');
    expect(new SecretBox().open(sealed)).toBeNull();
  });

  it('lives beside the admin token, each in its own file', () => {
    const token = adminTokenFor({ dataDir: dir });
    const key = secondFactorKeyFor({ dataDir: dir });
    expect(token.generated).toBe(true);
    expect(key).not.toBe(token.token);
    expect(fs.readdirSync(dir).sort()).toEqual(['admin-token', 'second-factor-key']);
  });
});
