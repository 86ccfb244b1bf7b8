// Bundle-time stand-in for debug, aliased by projenrc/bundle-extension.ts (only @koa/router uses
// it). Its output, enabled by DEBUG=..., would go to stderr without the extension's log marker and
// come back as `extension` events; and loading it costs tty, os and supports-color at init.
'use strict';
function createDebug(namespace) {
  const debug = () => undefined;
  debug.namespace = namespace;
  debug.enabled = false;
  debug.extend = (suffix) => createDebug(`${namespace}:${suffix}`);
  return debug;
}
createDebug.enable = () => undefined;
createDebug.disable = () => '';
createDebug.enabled = () => false;
module.exports = createDebug;
