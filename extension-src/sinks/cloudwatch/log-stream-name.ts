/**
 * The log stream each execution environment writes its OTLP logs to: `<prefix><yyyy/mm/dd>/<32 hex>`,
 * shaped like Lambda's own stream names (a date, then an id unique to the environment), so streams
 * sort by day and two environments never share one.
 */
import { randomBytes } from 'node:crypto';

export function logStreamName(prefix: string, nowMs: number, random: () => Buffer = () => randomBytes(16)): string {
  const day = new Date(nowMs).toISOString().slice(0, 10).replace(/-/g, '/');
  return `${prefix}${day}/${random().toString('hex')}`;
}
