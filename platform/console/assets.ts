/**
 * Static files of the console, served without a session.
 *
 *   GET /assets/console.css  the one stylesheet (the content policy allows nothing else)
 */
import { projectRoot } from '../templateFiles';
import fs from 'node:fs';
import path from 'node:path';
import type { ConsoleArea } from './context';

const STYLESHEET_PATH = '/assets/console.css';

export const assetsArea: ConsoleArea = {
  paths: [STYLESHEET_PATH],
  assets: [STYLESHEET_PATH],
  register(router) {
    const stylesheet = fs.readFileSync(path.join(projectRoot(), 'platform', 'console', 'console.css'), 'utf8');
    router.get(STYLESHEET_PATH, (_req, res) => {
      res.set({ 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=3600' }).send(stylesheet);
    });
  },
};
