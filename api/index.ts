import { deadlinesModule } from '../reports/deadlines/routes';
import { calendarsModule } from '../schedule/calendars/routes';
import { customersModule } from '../installedBase/routes';
import type { ApiModule } from '../platform/http/module';
import { noticesModule } from '../platform/notices/routes';
import { policyLayersApi } from '../schedule/policies/routes';
import { projectsModule } from '../processes/delivery/api';
import { dealerWarrantyModule } from '../processes/dealer/api';
import { partsPlansModule } from '../processes/dealer/partsPlans/routes';
import { ticketsModule } from '../processes/tickets/api';
import { careTicketsModule } from '../processes/tickets/api/fromCare';
import { visitFeedModule } from '../schedule/calendars/visitFeed';
import { careModule } from '../processes/care/api';

/**
 * Feature modules served by `npm start` and the production API (passed to createApp as `routers`);
 * users and /healthz are built into createApp.
 */
export const apiModules: ApiModule[] = [noticesModule, projectsModule, deadlinesModule, calendarsModule, policyLayersApi, dealerWarrantyModule, partsPlansModule, ticketsModule, careTicketsModule, customersModule, visitFeedModule, careModule];
