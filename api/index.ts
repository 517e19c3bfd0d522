import { deadlinesModule } from '../reports/deadlines/routes';
import { calendarsModule } from '../schedule/calendars/routes';
import { customersModule } from '../installedBase/routes';
import type { ApiModule } from '../platform/http/module';
import { noticesModule } from '../platform/notices/routes';
import { policyLayersApi } from '../schedule/policies/routes';
import { projectsModule } from '../processes/delivery/api';
import { dealerWarrantyModule } from '../processes/dealer/api';
import { partsPlansModule } from '../processes/dealer/partsPlans/routes';
import { ticketsApi } from '../processes/tickets/api';
import { careTicketsApi } from '../processes/tickets/api/fromCare';
import type { TicketPartners } from '../processes/tickets/messages';
import { careForTickets } from '../processes/care/forTickets';
import { dealerForTickets } from '../processes/dealer/forTickets';
import type { Knex } from 'knex';
import { visitFeedModule } from '../schedule/calendars/visitFeed';
import { careModule } from '../processes/care/api';

/**
 * What a ticket's intake needs of asset care and the dealer (the ports in processes/tickets/messages.ts),
 * implemented by care and the dealer: tickets never import either.
 */
export const ticketPartners: TicketPartners<Knex> = { care: careForTickets, dealer: dealerForTickets };

/** The tickets' routes, and asset care's routes that open tickets, wired to their partners. */
export const ticketsModule = ticketsApi(ticketPartners);
export const careTicketsModule = careTicketsApi(ticketPartners);

/**
 * Feature modules served by `npm start` and the production API (passed to createApp as `routers`);
 * users and /healthz are built into createApp.
 */
export const apiModules: ApiModule[] = [noticesModule, projectsModule, deadlinesModule, calendarsModule, policyLayersApi, dealerWarrantyModule, partsPlansModule, ticketsModule, careTicketsModule, customersModule, visitFeedModule, careModule];
