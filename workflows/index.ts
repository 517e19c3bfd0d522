export { testNotice } from './testNotice';
export { projectDelivery } from './projectDelivery';
export { trialRun } from './trialRun';
export { doaReplacement } from './doaReplacement';
export { dealerSettlementRun, dealerWriteOffNotice } from './dealerSettlement';
export { serviceTicket } from './serviceTicket';
export { warrantyCard } from './warrantyCard';
export { dealerTask } from './dealerTask';
export { dealerClaim } from './dealerClaim';
