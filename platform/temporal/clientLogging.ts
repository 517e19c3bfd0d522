import type { WorkflowClientInterceptor } from '@temporalio/client';
import { currentLogger } from '../logging';

/**
 * Every workflow start, update and signal a client sends, logged once here rather than in each route:
 * one line with the workflow id, on the current logger, so an API request's line also carries its
 * `reqId`. Add it to a Client's `interceptors.workflow`.
 */
export function workflowCallLogging(): WorkflowClientInterceptor {
  return {
    async startWithDetails(input, next) {
      const output = await next(input);
      currentLogger().info({ workflowId: input.options.workflowId, runId: output.runId, workflowType: input.workflowType }, 'workflow started');
      return output;
    },
    async startUpdate(input, next) {
      const log = currentLogger().child({ workflowId: input.workflowExecution.workflowId, update: input.updateName });
      try {
        const output = await next(input);
        log.info({ updateId: output.updateId }, 'workflow update sent');
        return output;
      } catch (error) {
        log.info({ err: error }, 'workflow update refused');
        throw error;
      }
    },
    async signal(input, next) {
      await next(input);
      currentLogger().info({ workflowId: input.workflowExecution.workflowId, signal: input.signalName }, 'workflow signalled');
    },
  };
}
