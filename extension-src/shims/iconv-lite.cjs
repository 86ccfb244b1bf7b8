// Bundle-time stand-in for iconv-lite (about 480 KB minified), aliased by projenrc/bundle-extension.ts.
// raw-body needs it only to decode a charset when asked to; the listener reads raw bytes and
// parses UTF-8 JSON itself, so asking for a decoder is a programming error.
'use strict';
module.exports = {
  encodingExists: () => false,
  getDecoder: (encoding) => {
    throw new Error(`telemetry extension bundle: charset decoding (${encoding}) is not included`);
  },
};
