export { type Locale, LOCALES, resolveLocale } from '../../domain/locale';
export { renderNotice, listTemplates, DEFAULT_TIME_ZONE, UnknownTemplateError, NoticeRenderError, type RenderedNotice, type RenderOptions } from './render';
export { createMailTransport, messageIdFor, IDEMPOTENCY_HEADER, type MailTransport, type MailTransportOptions, type OutgoingMail } from './transport';
export {
  NoticeOutbox,
  NoticeNotFoundError,
  NoticeBusyError,
  OUTBOX_TABLE,
  listFailedNotices,
  type NoticeRecord,
  type SentResult,
  type FailedResult,
  type NoticeRequest,
  type OutboxNotice,
  type NoticeStatus,
  type DeliveryResult,
  type OutboxTiming,
} from './outbox';
export { label, hasLabel, localizeContext } from './labels';
export { recipientProblem, isPermanentRenderError, isPermanentSmtpRefusal } from './failures';
