import { describe, expect, it } from 'vitest';
import { isKafkajsNegativeTimeoutWarning } from '../../../src/kafka/negative-timeout-warning.js';

// The stack Node 24 shows for the warning kafkajs 2.2.4 causes (tulios/kafkajs#1751), and one of our own timers.
const KAFKAJS_STACK = `Error
    at process.emitWarning (/app/dist/kafka/negative-timeout-warning.js:9:61)
    at new Timeout (node:internal/timers:195:17)
    at setTimeout (node:timers:120:19)
    at RequestQueue.scheduleCheckPendingRequests (/app/node_modules/kafkajs/src/network/requestQueue/index.js:317:37)
    at RequestQueue.checkPendingRequests (/app/node_modules/kafkajs/src/network/requestQueue/index.js:297:10)`;
const OUR_STACK = `Error
    at process.emitWarning (/app/dist/kafka/negative-timeout-warning.js:9:61)
    at new Timeout (node:internal/timers:195:17)
    at setTimeout (node:timers:120:19)
    at LagMonitor.schedule (/app/dist/stream/lag-monitor.js:40:9)`;
const MESSAGE = '-1796028173988 is a negative number.\nTimeout duration was set to 1.';

describe('the kafkajs negative-timeout warning filter', () => {
  it("recognises Node's TimeoutNegativeWarning raised from kafkajs' request queue", () => {
    expect(isKafkajsNegativeTimeoutWarning(MESSAGE, 'TimeoutNegativeWarning', KAFKAJS_STACK)).toBe(true);
    expect(isKafkajsNegativeTimeoutWarning(MESSAGE, { type: 'TimeoutNegativeWarning' }, KAFKAJS_STACK)).toBe(true);
    const asError = Object.assign(new Error(MESSAGE), { name: 'TimeoutNegativeWarning' });
    expect(isKafkajsNegativeTimeoutWarning(asError, undefined, KAFKAJS_STACK)).toBe(true);
  });

  it('keeps the same warning from anywhere else, and every other warning', () => {
    expect(isKafkajsNegativeTimeoutWarning(MESSAGE, 'TimeoutNegativeWarning', OUR_STACK)).toBe(false);
    expect(isKafkajsNegativeTimeoutWarning(MESSAGE, 'TimeoutNegativeWarning', undefined)).toBe(false);
    expect(isKafkajsNegativeTimeoutWarning('Buffer() is deprecated', 'DeprecationWarning', KAFKAJS_STACK)).toBe(false);
    expect(isKafkajsNegativeTimeoutWarning('2147483648 does not fit', 'TimeoutOverflowWarning', KAFKAJS_STACK)).toBe(
      false,
    );
  });
});
