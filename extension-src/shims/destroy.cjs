// Bundle-time stand-in for destroy, aliased by projenrc/bundle-extension.ts. Koa calls it only
// for stream bodies, which the listener never sends; the real package loads fs streams and zlib
// at init. Node's own stream.destroy() does what is needed for any stream.
'use strict';
module.exports = function destroy(stream) {
  if (stream && typeof stream.destroy === 'function') stream.destroy();
  return stream;
};
