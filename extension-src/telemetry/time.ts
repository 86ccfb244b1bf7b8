/**
 * Lenient parsing of Telemetry API time values into epoch milliseconds.
 *
 * Accepted: ISO-8601 date-times with or without fractional seconds (`2023-11-28T12:00:09Z`,
 * `2022-10-19T13:52:15.636Z`), without an offset (read as UTC: Lambda runs in UTC), and AWS's
 * documented-but-invalid form with a colon before the milliseconds (`2022-08-02T12:01:23:521Z`).
 */

const ISO_DATE_PREFIX = /^\d{4}-\d{2}-\d{2}/;
const HAS_OFFSET = /(?:Z|[+-]\d{2}:?\d{2})$/i;
const COLON_MILLIS = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}):(\d{1,9})((?:Z|[+-]\d{2}:?\d{2})?)$/i;

/** Epoch ms of `value`, or `NaN` when it cannot be read as a date-time. */
export function parseTime(value: string): number {
  if (!ISO_DATE_PREFIX.test(value)) return NaN;
  let text = value;
  const broken = COLON_MILLIS.exec(text);
  if (broken) text = `${broken[1]}.${broken[2]}${broken[3]}`;
  if (text.length > 10 && !HAS_OFFSET.test(text)) text += 'Z';
  return Date.parse(text);
}
