/**
 * Reading `function` / `extension` log records: the level, request id, timestamp and message of
 * the text formats of Lambda's managed runtimes, and OTel severity from a level name.
 *
 * Text formats recognised (anything else is kept whole, without a level):
 * - Node.js: `2024-02-01T12:00:00.000Z\t<requestId>\tINFO\t<message>`
 * - Python:  `[INFO]\t2024-02-01T12:00:00.000Z\t<requestId>\t<message>`, also `[INFO] <message>`
 * - Java (log4j2 pattern of the Lambda libraries): `2024-02-01 12:00:00 <requestId> INFO  <message>`
 * - .NET:    `2024-02-01T12:00:00.000Z\t<requestId>\tinfo\t<message>`
 */
import { SeverityNumber } from '@opentelemetry/api-logs';

export interface ParsedLogLine {
  readonly level?: string;
  readonly requestId?: string;
  readonly timestamp?: string;
  readonly message: string;
}

const LEVEL = '(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|FATAL|CRITICAL|trce|dbug|info|warn|fail|crit|debug|trace|error|fatal)';
const REQUEST_ID = '([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|undefined)';
const ISO = '(\\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z)';

const NODE = new RegExp(`^${ISO}\\t${REQUEST_ID}\\t${LEVEL}\\t([\\s\\S]*)$`);
const PYTHON = new RegExp(`^\\[${LEVEL}\\]\\t${ISO}\\t${REQUEST_ID}\\t([\\s\\S]*)$`);
const PYTHON_SHORT = new RegExp(`^\\[${LEVEL}\\]\\s+([\\s\\S]*)$`);
const JAVA = new RegExp(`^(\\d{4}-\\d{2}-\\d{2}[ T]\\d{2}:\\d{2}:\\d{2}(?:[.,]\\d+)?Z?) +${REQUEST_ID} +${LEVEL} +([\\s\\S]*)$`);

/** Split a text log line into its parts, when it has a recognised runtime format. */
export function parseLogLine(line: string): ParsedLogLine {
  let m = NODE.exec(line);
  if (m) return { timestamp: m[1], requestId: requestId(m[2]), level: m[3], message: m[4] };
  m = PYTHON.exec(line);
  if (m) return { level: m[1], timestamp: m[2], requestId: requestId(m[3]), message: m[4] };
  m = JAVA.exec(line);
  if (m) return { timestamp: m[1].replace(' ', 'T').replace(',', '.'), requestId: requestId(m[2]), level: m[3], message: m[4] };
  m = PYTHON_SHORT.exec(line);
  if (m) return { level: m[1], message: m[2] };
  return { message: line };
}

function requestId(value: string): string | undefined {
  return value === 'undefined' ? undefined : value;
}

const SEVERITIES: Readonly<Record<string, SeverityNumber>> = {
  TRACE: SeverityNumber.TRACE,
  TRCE: SeverityNumber.TRACE,
  DEBUG: SeverityNumber.DEBUG,
  DBUG: SeverityNumber.DEBUG,
  INFO: SeverityNumber.INFO,
  INFORMATION: SeverityNumber.INFO,
  NOTICE: SeverityNumber.INFO2,
  WARN: SeverityNumber.WARN,
  WARNING: SeverityNumber.WARN,
  ERROR: SeverityNumber.ERROR,
  FAIL: SeverityNumber.ERROR,
  FATAL: SeverityNumber.FATAL,
  CRITICAL: SeverityNumber.FATAL,
  CRIT: SeverityNumber.FATAL,
};

/** OTel severity number of a level name (case-insensitive); UNSPECIFIED when unknown. */
export function severityNumber(level: string | undefined): SeverityNumber {
  if (level === undefined) return SeverityNumber.UNSPECIFIED;
  return SEVERITIES[level.trim().toUpperCase()] ?? SeverityNumber.UNSPECIFIED;
}
