import type { ApiModule } from './module';

/**
 * Feature modules served by `npm start` (runtime/start.ts passes them as `routers`). A feature adds
 * its module here; users and /healthz are built into createApp.
 */
export const apiModules: ApiModule[] = [];
