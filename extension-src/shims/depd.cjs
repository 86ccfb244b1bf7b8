// Bundle-time stand-in for depd, aliased by projenrc/bundle-extension.ts (http-errors and
// http-assert use it). Deprecation notices would go to stderr without the extension's log marker
// and come back as `extension` events; depd also inspects call stacks when loaded.
'use strict';
module.exports = function depd() {
  const deprecate = () => undefined;
  deprecate.function = (fn) => fn;
  deprecate.property = () => undefined;
  return deprecate;
};
