import { deadlinesModule } from './deadlines';
import { calendarsModule } from './calendars';
import { customersModule } from './customers';
import type { ApiModule } from './module';
import { noticesModule } from './notices';
import { policyLayersApi } from './policyLayers';
import { projectsModule } from './projects';
import { dealerWarrantyModule } from './dealerWarranty';
import { partsPlansModule } from './partsPlans';
import { ticketsModule } from './tickets';
import { careTicketsModule } from './tickets/fromCare';
import { visitFeedModule } from './visitFeed';
import { careModule } from './care';

/**
 * Feature modules served by `npm start` and the production API (passed to createApp as `routers`);
 * users and /healthz are built into createApp.
 */
export const apiModules: ApiModule[] = [noticesModule, projectsModule, deadlinesModule, calendarsModule, policyLayersApi, dealerWarrantyModule, partsPlansModule, ticketsModule, careTicketsModule, customersModule, visitFeedModule, careModule];
