import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Search attributes the workflows set; the embedded dev server registers them at start. */
export const SEARCH_ATTRIBUTE_TYPES = {
  AftercareStage: SearchAttributeType.KEYWORD,
  AftercareContractNo: SearchAttributeType.KEYWORD,
  AftercareCustomerId: SearchAttributeType.KEYWORD,
} as const;

export const STAGE_ATTRIBUTE = defineSearchAttributeKey('AftercareStage', SearchAttributeType.KEYWORD);
export const CONTRACT_NO_ATTRIBUTE = defineSearchAttributeKey('AftercareContractNo', SearchAttributeType.KEYWORD);
export const CUSTOMER_ID_ATTRIBUTE = defineSearchAttributeKey('AftercareCustomerId', SearchAttributeType.KEYWORD);
