/**
 * The CloudWatch OTLP endpoints of a region and the SigV4 signing name of each (test/aws/RESEARCH.md
 * has the sources):
 *
 * | signal  | URL                                              | signing name |
 * |---------|--------------------------------------------------|--------------|
 * | traces  | `https://xray.<region>.<suffix>/v1/traces`       | `xray`       |
 * | logs    | `https://logs.<region>.<suffix>/v1/logs`         | `logs`       |
 * | metrics | `https://monitoring.<region>.<suffix>/v1/metrics`| `monitoring` |
 *
 * `<suffix>` is the partition's DNS suffix: `amazonaws.com` (aws, aws-us-gov), `amazonaws.com.cn`
 * (aws-cn, regions `cn-*`). Other partitions pass an endpoint override; the signing name and region
 * stay the same whatever the URL (a local verifier at 127.0.0.1 in tests, a VPC endpoint, ...).
 */

export type CloudWatchSignal = 'traces' | 'logs' | 'metrics';

export const SIGNING_NAME: Readonly<Record<CloudWatchSignal, string>> = {
  traces: 'xray',
  logs: 'logs',
  metrics: 'monitoring',
};

const PATH: Readonly<Record<CloudWatchSignal, string>> = {
  traces: '/v1/traces',
  logs: '/v1/logs',
  metrics: '/v1/metrics',
};

/** DNS suffix of the partition a region is in (commercial and GovCloud share `amazonaws.com`). */
export function dnsSuffix(region: string): string {
  return region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
}

/**
 * The URL a signal is POSTed to. `override` is a base URL (scheme, host, optional port and path
 * prefix) to which the signal's path is appended, as `OTEL_EXPORTER_OTLP_ENDPOINT`.
 */
export function cloudWatchOtlpUrl(signal: CloudWatchSignal, region: string, override?: string): URL {
  if (override) {
    const base = new URL(override);
    const prefix = base.pathname.replace(/\/+$/, '');
    return new URL(`${prefix}${PATH[signal]}`, base);
  }
  return new URL(`https://${SIGNING_NAME[signal]}.${region}.${dnsSuffix(region)}${PATH[signal]}`);
}
