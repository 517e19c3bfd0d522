import fs from 'node:fs';
import path from 'node:path';
import { generateToken } from '../tokens';

/**
 * The bootstrap admin's token: AFTERCARE_ADMIN_TOKEN when set; otherwise generated on the first start,
 * kept in the data folder (mode 0600) and printed, so later starts reuse it.
 */
export function adminTokenFor(config: { adminToken?: string; dataDir: string }): { token: string; generated: boolean } {
  if (config.adminToken) return { token: config.adminToken, generated: false };
  const file = path.join(config.dataDir, 'admin-token');
  if (fs.existsSync(file)) return { token: fs.readFileSync(file, 'utf8').trim(), generated: false };
  const token = generateToken();
  fs.mkdirSync(config.dataDir, { recursive: true });
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, generated: true };
}
