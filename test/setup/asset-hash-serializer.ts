/**
 * Snapshot serializer that masks content hashes of assets (S3 keys, asset paths and the
 * hashes embedded in them) so that full-stack snapshots stay stable while the layer's code
 * changes. A separate test proves the layer asset hash is deterministic across builds.
 */
const ASSET_HASH = /[0-9a-f]{64}/g;

module.exports = {
  test: (value: unknown): boolean => typeof value === 'string' && /[0-9a-f]{64}/.test(value),
  serialize: (value: string): string => `"${value.replace(ASSET_HASH, '[ASSET-HASH]')}"`,
};
