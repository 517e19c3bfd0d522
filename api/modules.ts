import type { ApiModule } from './module';
import { testNoticeRoute } from './notices';
import { policyLayersApi } from './policyLayers';
import { projectsModule } from './projects';

/**
 * Feature modules served by `npm start` and the production API (passed to createApp as `routers`);
 * users and /healthz are built into createApp.
 */
export const apiModules: ApiModule[] = [testNoticeRoute, projectsModule, policyLayersApi];
