import { wordsAsText, type Words } from './words';

/**
 * A rule of the service domain was broken by input data (a bad duration, an unknown calendar,
 * an invalid policy). `field` is the dotted path of the offending value when there is one, so the
 * API layer can answer 400 with it.
 */
export class DomainError extends Error {
  /** The rule's words when it has them: the API then answers in the reader's language. */
  readonly words: Words | undefined;

  constructor(
    message: string | Words,
    readonly field?: string,
  ) {
    super(typeof message === 'string' ? message : wordsAsText(message));
    this.name = 'DomainError';
    this.words = typeof message === 'string' ? undefined : message;
  }
}
