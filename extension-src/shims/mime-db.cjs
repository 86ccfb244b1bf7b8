// Bundle-time stand-in for mime-db (about 150 KB, bundled twice), aliased by
// projenrc/bundle-extension.ts. Koa, accepts and type-is look up only the few types the
// listener sends or reads: JSON and plain text.
'use strict';
module.exports = {
  'application/json': { source: 'iana', charset: 'UTF-8', compressible: true, extensions: ['json'] },
  'application/octet-stream': { source: 'iana', compressible: false, extensions: ['bin'] },
  'text/html': { source: 'iana', compressible: true, extensions: ['html', 'htm'] },
  'text/plain': { source: 'iana', compressible: true, extensions: ['txt', 'text'] },
};
