export * from './telemetry-type';
export * from './buffering';
export * from './flush-strategy';
export * from './telemetry-sink';
export * from './telemetry-extension-layer';
export * from './nodejs-source';
export * from './queue-limits';
export * from './otlp-receiver';
