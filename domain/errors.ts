/**
 * A rule of the service domain was broken by input data (a bad duration, an unknown calendar,
 * an invalid policy). `field` is the dotted path of the offending value when there is one, so the
 * API layer can answer 400 with it.
 */
export class DomainError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
