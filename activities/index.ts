import { createCalendarActivities } from '../schedule/calendars/activities';
import { createCareActivities } from '../processes/care/activities';
import { createDealerActivities } from '../processes/dealer/activities';
import { createDeadlineActivities } from '../schedule/deadlines/activities';
import type { ActivityDeps } from '../platform/temporal/activityDeps';
import { createEscalationActivities, createNoticeActivities } from '../platform/notices/activities';
import { createProjectActivities, projectNoticeFailureRecorder } from '../processes/delivery/activities';
import { createProcessStartActivities } from '../platform/temporal/processStarts';
import { createTicketActivities } from '../processes/tickets/activities';
import { createTicketSurveyActivities } from '../processes/tickets/surveyActivities';

export type { ActivityDeps } from '../platform/temporal/activityDeps';
export type { ComputeDeadlinesInput, ComputedDeadline, DeadlineRequest } from '../schedule/calendars/activities';
export type { NoticeRequest, EscalationFallback } from '../platform/notices/activities';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createNoticeActivities(deps, projectNoticeFailureRecorder(deps)),
    ...createCalendarActivities(deps),
    ...createDeadlineActivities(deps),
    ...createEscalationActivities(deps),
    ...createProjectActivities(deps),
    ...createDealerActivities(deps),
    ...createTicketActivities(deps),
    ...createCareActivities(deps),
    ...createTicketSurveyActivities(deps),
    ...createProcessStartActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
