import { describe, expect, it } from 'vitest';
import { CachedSchemaRegistryClient } from '../../../src/serde/cached-schema-registry.js';
import { SchemaRegistryError } from '../../../src/serde/schema-registry.js';
import { FakeSchemaRegistry } from './fake-schema-registry.js';

describe('CachedSchemaRegistryClient', () => {
  it('remembers an unknown id (404) for the TTL only, and does not cache other failures', async () => {
    const registry = new FakeSchemaRegistry();
    let now = 0;
    const cached = new CachedSchemaRegistryClient(registry, { unknownIdTtlMs: 1_000, now: () => now });
    await expect(cached.getSchemaById(8)).rejects.toMatchObject({ notFound: true });
    await expect(cached.getSchemaById(8)).rejects.toMatchObject({ notFound: true });
    expect(registry.calls.getSchemaById).toBe(1);
    now += 1_001;
    registry.outage = 'http-503';
    await expect(cached.getSchemaById(8)).rejects.toMatchObject({ retriable: true });
    registry.outage = undefined;
    registry.put(8, '"long"');
    expect(await cached.getSchemaById(8)).toBe('"long"');
    expect(registry.calls.getSchemaById).toBe(3);
    await expect(cached.getSchemaById(9)).rejects.toBeInstanceOf(SchemaRegistryError);
  });

  it('remembers the id registered for a subject and schema', async () => {
    const registry = new FakeSchemaRegistry();
    const cached = new CachedSchemaRegistryClient(registry);
    const id = await cached.register('customers-value', '"string"');
    expect(await cached.register('customers-value', '"string"')).toBe(id);
    expect(await cached.lookup('customers-value', '"string"')).toBe(id);
    expect(registry.calls).toEqual({ register: 1, lookup: 0, getSchemaById: 0 });
    // a different subject is a different registration
    await cached.register('other-value', '"string"');
    expect(registry.calls.register).toBe(2);
  });
});
