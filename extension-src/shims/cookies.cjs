// Bundle-time stand-in for cookies, aliased by projenrc/bundle-extension.ts. Koa creates
// `ctx.cookies` only when it is read, and the listener never reads it; the real package loads
// node:crypto (keygrip, tsscmp) at init for nothing.
'use strict';
module.exports = class Cookies {
  constructor() {
    throw new Error('telemetry extension bundle: cookies are not included');
  }
};
