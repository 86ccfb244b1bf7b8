import { Duration, Size, Token } from 'aws-cdk-lib';
import { HEADER_VALUE_FORBIDDEN, httpUrlProblem, inRange, IntRange, isCredentialHeaderName, isHeaderName, LIMITS } from './contract';
import { inPython } from '../prop-names';

/**
 * Synth-time validation of props against the limits of the config contract. Every error names
 * the prop, the value and what is allowed. Unresolved tokens are not validated (their value is
 * only known at deploy time); the extension validates the same limits again at init.
 */

function describe(range: IntRange, unit = ''): string {
  return `an integer from ${range.min}${unit} to ${range.max}${unit}`;
}

export function validatePort(port: number): void {
  if (Token.isUnresolved(port)) return;
  if (!inRange(port, LIMITS.port) || LIMITS.reservedPorts.includes(port)) {
    throw new Error(
      `port must be ${describe(LIMITS.port)} other than ${LIMITS.reservedPorts.join(', ')} (the Lambda Runtime API's port), got ${port}`,
    );
  }
}

export function validateIntInRange(prop: string, value: number, range: IntRange): void {
  if (Token.isUnresolved(value)) return;
  if (!inRange(value, range)) {
    throw new Error(`${prop} must be ${describe(range)}, got ${value}${inPython(prop)}`);
  }
}

/** Milliseconds of a Duration, validated; undefined when the Duration is a token. */
export function durationMillis(prop: string, value: Duration, range: IntRange): number | undefined {
  if (value.isUnresolved()) return undefined;
  const ms = value.toMilliseconds();
  if (!Number.isInteger(ms) || ms < range.min || ms > range.max) {
    throw new Error(
      `${prop} must be a whole number of milliseconds from ${formatMillis(range.min)} to ${formatMillis(range.max)}, got ${value.toHumanString()}${inPython(prop)}`,
    );
  }
  return ms;
}

/** Bytes of a Size, validated; undefined when the Size is a token. */
export function sizeBytes(prop: string, value: Size, range: IntRange): number | undefined {
  if (value.isUnresolved()) return undefined;
  const bytes = value.toBytes();
  if (!inRange(bytes, range)) {
    throw new Error(`${prop} must be from ${formatBytes(range.min)} to ${formatBytes(range.max)} (${range.min} to ${range.max} bytes), got ${bytes} bytes${inPython(prop)}`);
  }
  return bytes;
}

export function validateUrl(prop: string, value: string): void {
  if (Token.isUnresolved(value)) return;
  const problem = httpUrlProblem(value);
  if (problem === 'not-http-url') {
    throw new Error(`${prop} must be an http:// or https:// URL, got "${value}"`);
  }
  if (problem === 'credentials') {
    throw new Error(`${prop} must not embed credentials in the URL: put them in headersSecret (\`headers_secret\` in Python)`);
  }
}

export function validateHeaders(prop: string, headers: { [name: string]: string }): void {
  for (const [name, value] of Object.entries(headers)) {
    if (Token.isUnresolved(name)) continue;
    if (!Token.isUnresolved(value) && HEADER_VALUE_FORBIDDEN.test(value)) {
      throw new Error(`${prop}: the value of header "${name}" contains a line break or NUL`);
    }
    if (!isHeaderName(name)) {
      throw new Error(`${prop} has an invalid header name "${name}"`);
    }
    if (isCredentialHeaderName(name)) {
      throw new Error(
        `${prop} must not hold credentials, but "${name}" looks like one: plaintext headers end up in the function's environment and the template; put it in a Secrets Manager secret and pass it as headersSecret (\`headers_secret\` in Python)`,
      );
    }
  }
}

export function validateServiceName(value: string): void {
  if (Token.isUnresolved(value)) return;
  if (value.trim() === '') {
    throw new Error(`serviceName must not be empty, got ""${inPython('serviceName')}`);
  }
}

function formatMillis(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

function formatBytes(bytes: number): string {
  const mib = 1024 * 1024;
  if (bytes >= mib && bytes % mib === 0) return `${bytes / mib} MiB`;
  return `${bytes / 1024} KiB`;
}

/** A number as an environment value; tokens (deploy-time numbers) are kept as string tokens. */
export function numberString(value: number): string {
  return Token.isUnresolved(value) ? Token.asString(value) : String(value);
}
