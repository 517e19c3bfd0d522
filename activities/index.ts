import { createCalendarActivities } from './calendars';
import { createCareActivities } from './care';
import { createDealerActivities } from './dealer';
import { createDeadlineActivities } from './deadlines';
import type { ActivityDeps } from './deps';
import { createEscalationActivities, createNoticeActivities } from './notices';
import { createProjectActivities } from './projects';
import { createTicketActivities } from './tickets';
import { createTicketSurveyActivities } from './ticketSurvey';

export type { ActivityDeps } from './deps';
export type { ComputeDeadlinesInput, ComputedDeadline, DeadlineRequest } from './calendars';
export type { NoticeRequest, EscalationFallback } from './notices';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createNoticeActivities(deps),
    ...createCalendarActivities(deps),
    ...createDeadlineActivities(deps),
    ...createEscalationActivities(deps),
    ...createProjectActivities(deps),
    ...createDealerActivities(deps),
    ...createTicketActivities(deps),
    ...createCareActivities(deps),
    ...createTicketSurveyActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
