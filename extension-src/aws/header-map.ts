/**
 * A credential header map stored in AWS (a Secrets Manager secret, an SSM SecureString parameter):
 * a JSON object of header name to string value. Validation rules and messages are the ones of
 * ../sinks/secret-headers.ts and ./ssm-headers.ts alike.
 *
 * Nothing here ever puts the stored text into a message: not a parser error (it quotes the input),
 * not a key that is no header name (it may be the credential in the wrong place), not a value.
 */
import * as http from 'node:http';

/**
 * Parse `text` (`what` names it in messages, e.g. `the parameter value`). Throws an `Error` whose
 * message is safe to print; callers wrap it in their own typed error.
 */
export function parseHeaderMap(text: string, what: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${what} is not JSON; expected a JSON object of header name to string value`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`${what} is not a JSON object; expected a JSON object of header name to string value`);
  }
  const headers: Record<string, string> = {};
  let position = 0;
  for (const [name, value] of Object.entries(parsed)) {
    position++;
    try {
      http.validateHeaderName(name);
    } catch {
      throw new Error(`key #${position} of ${what} is not a valid HTTP header name (not shown: it may be the credential)`);
    }
    if (typeof value !== 'string') throw new Error(`the value of header "${safeName(name)}" is not a string`);
    try {
      http.validateHeaderValue(name, value);
    } catch {
      throw new Error(`the value of header "${safeName(name)}" contains characters not allowed in HTTP headers`);
    }
    headers[name] = value;
  }
  return headers;
}

/** A valid header name is a name, not a credential; still, keep what is printed short. */
function safeName(name: string): string {
  return name.replace(/[^\x21-\x7e]/g, '?').slice(0, 64);
}
