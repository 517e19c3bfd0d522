/** The public domain API. Pure and deterministic: safe to import from Temporal workflow code. */
export { DomainError } from './errors';
export {
  addDuration,
  durationLabel,
  isIsoDuration,
  isPositiveDuration,
  parseIsoDuration,
  subtractDuration,
  type Duration,
} from './duration';
export {
  addClockTime,
  addWorkingDays,
  calendarIds,
  clockElapsed,
  endOfWorkingDay,
  hasDataFor,
  isLocalDate,
  isTimeZone,
  isWorkingDay,
  localDate,
  makeCalendar,
  startOfLocalDay,
  type BusinessCalendar,
  type SlaClock,
} from './calendar';
export { CALENDAR_REGISTRY, type CalendarData } from './calendars';
export { CN_STATUTORY_YEARS, type StatutoryYear } from './calendars/cn';
export {
  CUSTOMER_CLASSES,
  DEFAULT_POLICY,
  durationSchema,
  mergePolicy,
  policyOverrideSchema,
  PolicyError,
  resolvePolicy,
  servicePolicySchema,
  validatePolicyOverride,
  type CustomerClass,
  type PolicyIssue,
  type PolicyLayers,
  type PolicyOverride,
  type ServicePolicy,
} from './policy';
export { dueAt, type Deadline, type DeadlineOp } from './deadline';
export { calendarYearProblems, FIRST_CALENDAR_YEAR, LAST_CALENDAR_YEAR, type CalendarYearData, type CalendarYearProblem } from './calendarYear';
export { formatMoney, fromLegacyAmount, isCurrency, isMoney, LEGACY_CURRENCY, MAX_MONEY_AMOUNT, minorDigits, money, moneyProblems, toDecimalString, type Money, type MoneyProblem } from './money';
