/**
 * The function's AWS credentials, as Lambda gives them to every process of the execution
 * environment (extensions included): `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
 * `AWS_SESSION_TOKEN`. They are temporary and can change over the environment's life, so they are
 * read again for every request, never cached.
 */

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** No usable credentials in the environment. Message names the variables, never values. */
export class MissingCredentialsError extends Error {
  constructor() {
    super('no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)');
    this.name = 'MissingCredentialsError';
  }
}

/** Where credentials come from: called once per request (per attempt). */
export type CredentialsSource = () => AwsCredentials;

/** Read the credentials from `env` now. Throws {@link MissingCredentialsError}. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv): AwsCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new MissingCredentialsError();
  const sessionToken = env.AWS_SESSION_TOKEN || undefined;
  return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
}

/** A source that reads `env` (default `process.env`) at every call. */
export function envCredentialsSource(env: NodeJS.ProcessEnv = process.env): CredentialsSource {
  return () => credentialsFromEnv(env);
}
