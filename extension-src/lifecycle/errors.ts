/** What the extension reports to Lambda when it fails (init/error, exit/error). */

/** errorType values reported through init/error and exit/error. */
export const ERROR_TYPES = {
  configInvalid: 'Extension.ConfigInvalid',
  sinkFailed: 'Extension.SinkFailed',
  listenerFailed: 'Extension.ListenerFailed',
  subscribeFailed: 'Extension.SubscribeFailed',
  fatal: 'Extension.Fatal',
} as const;

/** The message of anything thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
