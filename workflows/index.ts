export { testNotice } from './testNotice';
export { projectDelivery } from './projectDelivery';
export { trialRun } from './trialRun';
export { doaReplacement } from './doaReplacement';
export { serviceTicket } from './serviceTicket';
