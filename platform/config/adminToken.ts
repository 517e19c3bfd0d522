import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { generateToken } from '../tokens';

/**
 * A secret given by its setting, else generated on the first start and kept in the data folder
 * (mode 0600), so later starts — and every process started on that folder — reuse it.
 */
function keptSecret(given: string | undefined, dataDir: string, file: string, make: () => string): { value: string; generated: boolean } {
  if (given) return { value: given, generated: false };
  const kept = path.join(dataDir, file);
  if (fs.existsSync(kept)) return { value: fs.readFileSync(kept, 'utf8').trim(), generated: false };
  const value = make();
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(kept, `${value}\n`, { mode: 0o600 });
  return { value, generated: true };
}

/**
 * The bootstrap admin's token: AFTERCARE_ADMIN_TOKEN when set; otherwise generated on the first start,
 * kept in the data folder (mode 0600) and printed, so later starts reuse it.
 */
export function adminTokenFor(config: { adminToken?: string; dataDir: string }): { token: string; generated: boolean } {
  const { value, generated } = keptSecret(config.adminToken, config.dataDir, 'admin-token', generateToken);
  return { token: value, generated };
}

/**
 * The key the second factor's secrets are sealed with: AFTERCARE_SECOND_FACTOR_KEY when set; otherwise
 * 256 random bits generated on the first start and kept in the data folder, so an embedded install
 * (npm start, npm run cluster) never falls back to the built-in key.
 */
export function secondFactorKeyFor(config: { key?: string; dataDir: string }): string {
  return keptSecret(config.key, config.dataDir, 'second-factor-key', () => crypto.randomBytes(32).toString('base64url')).value;
}
