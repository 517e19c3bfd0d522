/** The two ways a process calls its activities; every process uses these, so they retry alike. */
import type { ActivityOptions } from '@temporalio/common';

/** A person's step: a few quick tries, then the step fails whole and the person may try again. */
export const STEP_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '300 milliseconds', backoffCoefficient: 2, maximumAttempts: 4 },
};

/** The process's own records: retried until the database answers. */
export const BACKGROUND_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};
