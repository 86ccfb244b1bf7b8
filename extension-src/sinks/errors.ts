/**
 * Errors that make sink creation fail at init. `errorType` is what the extension reports through
 * `POST init/error` (`Lambda-Extension-Function-Error-Type`). Messages never contain secret values.
 */
export type SinkInitErrorType = 'Extension.SecretUnavailable' | 'Extension.ConfigInvalid';

export class SinkInitError extends Error {
  constructor(readonly errorType: SinkInitErrorType, message: string) {
    super(message);
    this.name = 'SinkInitError';
  }
}
