import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { storedWords, type Words } from '../../domain/words';
import { ApiError, conflict, unavailable } from './errors';

/** The words a workflow's or activity's refusal carries in its details (rejectStep, invalidStep), if any. */
function failureWords(failure: ApplicationFailure) {
  return storedWords((failure.details?.[0] as { words?: unknown } | undefined)?.words);
}

const refusal = (failure: ApplicationFailure): ApiError => conflict(failureWords(failure) ?? failure.message);

/**
 * Workflows reject an update with an ApplicationFailure: `StepRejected` (wrong stage or order → 409)
 * or `InvalidStep` (missing signature, unknown serial → 400, with the field when known).
 */
export function updateFailureToApi(error: unknown, closedMessage: string | Words): ApiError {
  if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ActivityFailure) {
    // Recording the step failed for good: the workflow applied nothing (see workflows/kit/steps.ts).
    const cause = error.cause.cause;
    if (cause instanceof ApplicationFailure && cause.type === 'StepRejected') return refusal(cause);
    return unavailable('The step could not be recorded; nothing changed. Try again shortly.');
  }
  if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
    const failure = error.cause;
    if (failure.type === 'StepRejected') return refusal(failure);
    if (failure.type === 'InvalidStep') {
      const field = (failure.details?.[0] as { field?: string } | undefined)?.field ?? '';
      return new ApiError(400, 'validation_failed', failure.message, [{ field, message: failure.message }], failureWords(failure) ?? undefined);
    }
  }
  if (error instanceof WorkflowNotFoundError) return conflict(closedMessage);
  if (isUnavailable(error)) return unavailable('The process engine (Temporal) is not reachable; nothing was changed. Try again shortly.');
  throw error;
}

/** gRPC UNAVAILABLE / DEADLINE_EXCEEDED from the Temporal frontend, also when the SDK wraps it (ServiceError's cause). */
export function isUnavailable(error: unknown, depth = 0): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 14 || code === 4 || /UNAVAILABLE|ECONNREFUSED|DEADLINE_EXCEEDED/.test(String((error as Error | null)?.message))) return true;
  const cause = (error as { cause?: unknown } | null)?.cause;
  return depth < 5 && cause !== undefined && cause !== null && isUnavailable(cause, depth + 1);
}
