import { describe, expect, it } from 'vitest';
import { errorChain, findInChain } from '../../../src/errors/error-chain.js';

describe('errorChain', () => {
  it('lists an error and what it wraps, outermost first, through cause and underlying', () => {
    const socket = new Error('connect ECONNREFUSED 127.0.0.1:8081');
    const fetchFailed = new Error('fetch failed', { cause: socket });
    const outer = Object.assign(new Error('batch failed'), { underlying: fetchFailed });
    expect(errorChain(outer)).toEqual([outer, fetchFailed, socket]);
  });

  it('is empty for what is not an object, and stops at 8 levels on a cycle', () => {
    expect(errorChain(undefined)).toEqual([]);
    expect(errorChain('a string')).toEqual([]);
    const a: { cause?: unknown } = {};
    const b = { cause: a };
    a.cause = b;
    expect(errorChain(a)).toHaveLength(8);
  });

  it('finds the outermost error a predicate accepts', () => {
    const inner = Object.assign(new Error('inner'), { type: 'X' });
    const middle = Object.assign(new Error('middle', { cause: inner }), { type: 'X' });
    const outer = new Error('outer', { cause: middle });
    expect(findInChain(outer, (e) => (e as { type?: unknown }).type === 'X')).toBe(middle);
    expect(findInChain(outer, (e) => (e as { type?: unknown }).type === 'Y')).toBeUndefined();
  });
});
