/**
 * Dealer warranty (三包, PRODUCT §P5) through the API: models' reference data, dealer sales and
 * warranty cards, claims with their automatic checks and per-role steps, settlements and the
 * dealer's receivables ledger. Each role acts on its own steps only (`roles` on each route); a
 * dealer's records are out of every other dealer's reach (404, absent from lists). The routes are
 * each sub-process's (`sales/routes.ts`, `tasks/routes.ts`, `claims/routes.ts`,
 * `settlement/routes.ts`; parts plans: `partsPlans/routes.ts`); this is their one module, in the
 * order the API reference lists them.
 */
import { apiModule } from '../../platform/http/module';
import { appraisal, audit, claimCsv, decision, getClaim, listClaims, partsReceived, putModelReferenceRoute, resubmit, submitClaim } from './claims/routes';
import { completeCard, createSale } from './sales/routes';
import { confirm, dispute, getSettlement, ledger, listSettlements, notice, review, runSettlement, settlementCsv } from './settlement/routes';
import { arrangeTask, checkTask, createTask, getTask, handBack } from './tasks/routes';

export const dealerWarrantyModule = apiModule(
  putModelReferenceRoute,
  createSale,
  completeCard,
  createTask,
  getTask,
  arrangeTask,
  checkTask,
  handBack,
  submitClaim,
  listClaims,
  getClaim,
  partsReceived,
  appraisal,
  audit,
  decision,
  resubmit,
  runSettlement,
  listSettlements,
  getSettlement,
  notice,
  settlementCsv,
  claimCsv,
  review,
  confirm,
  dispute,
  ledger,
);
