/** The words of the installed base's refusals (customers, devices, contracts, dealers), said to API and console readers. */
const en = {
  'installedBase.customerNotFound': 'Customer {customerId} not found',
  'installedBase.sitesNotFound': 'Sites {siteIds} not found for customer {customerId}',
  'installedBase.serialsTaken': 'Device serials already registered: {serials}',
  'installedBase.serialsUnknown': 'No device with serial {serials}',
  'installedBase.contractTaken': 'Contract {contractNo} already exists',
  'installedBase.contractNotFound': 'Contract {contractId} not found',
  'installedBase.dealerNameTaken': 'A dealer named {name} already exists',
};

// Typed against the English table: a missing or extra key fails the type check.
const zhCN: Record<keyof typeof en, string> = {
  'installedBase.customerNotFound': '未找到客户 {customerId}',
  'installedBase.sitesNotFound': '客户 {customerId} 没有场地 {siteIds}',
  'installedBase.serialsTaken': '以下设备序列号已登记：{serials}',
  'installedBase.serialsUnknown': '没有序列号为 {serials} 的设备',
  'installedBase.contractTaken': '合同 {contractNo} 已存在',
  'installedBase.contractNotFound': '未找到合同 {contractId}',
  'installedBase.dealerNameTaken': '名为 {name} 的经销商已存在',
};

export default { en, 'zh-CN': zhCN };
