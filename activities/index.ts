import { createCalendarActivities } from './calendars';
import { createDeadlineActivities } from './deadlines';
import type { ActivityDeps } from './deps';
import { createNoticeActivities } from './notices';
import { createProjectActivities } from './projects';

export type { ActivityDeps } from './deps';
export type { NoticeRequest } from './notices';
export type { ComputeDeadlinesInput, ComputedDeadline, DeadlineRequest } from './calendars';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createNoticeActivities(deps),
    ...createCalendarActivities(deps),
    ...createDeadlineActivities(deps),
    ...createProjectActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
