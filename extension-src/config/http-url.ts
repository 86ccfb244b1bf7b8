/**
 * The extension's check of an export URL: the contract's {@link httpUrlProblem} (the same rule the
 * construct and the config reader apply), put into words for the caller's message.
 */
import { httpUrlProblem } from '../../lib/config/contract';

/**
 * What is wrong with `text` as an http(s) URL, as the end of a sentence (`is not a URL`,
 * `must be <allowed>, got ftp:`, ...), or undefined when it is fine.
 * @param allowed how the message names the accepted schemes, e.g. `http:// or https://`.
 */
export function httpUrlReason(text: string, allowed: string): string | undefined {
  const problem = httpUrlProblem(text);
  if (problem === undefined) return undefined;
  if (problem === 'credentials') return 'must not embed credentials in the URL';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL';
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? 'has no host' : `must be ${allowed}, got ${url.protocol}`;
}
