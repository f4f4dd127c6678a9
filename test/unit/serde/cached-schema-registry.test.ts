import { describe, expect, it } from 'vitest';
import { CachedSchemaRegistryClient } from '../../../src/serde/cached-schema-registry.js';
import { SchemaRegistryError } from '../../../src/serde/schema-registry.js';
import { FakeSchemaRegistry } from './fake-schema-registry.js';

describe('CachedSchemaRegistryClient', () => {
  it('asks the registry once per schema id, however many lookups follow', async () => {
    const registry = new FakeSchemaRegistry();
    registry.put(7, '"string"');
    const cached = new CachedSchemaRegistryClient(registry);
    for (let i = 0; i < 100; i++) expect(await cached.getSchemaById(7)).toBe('"string"');
    expect(registry.calls.getSchemaById).toBe(1);
    expect(cached.peekSchemaById(7)).toBe('"string"');
  });

  it('shares one in-flight request among concurrent lookups of the same id', async () => {
    const registry = new FakeSchemaRegistry();
    registry.put(7, '"string"');
    let open!: () => void;
    registry.gate = new Promise((resolve) => (open = resolve));
    const cached = new CachedSchemaRegistryClient(registry);
    const lookups = [cached.getSchemaById(7), cached.getSchemaById(7), cached.getSchemaById(7)];
    open();
    expect(await Promise.all(lookups)).toEqual(['"string"', '"string"', '"string"']);
    expect(registry.calls.getSchemaById).toBe(1);
  });

  it('does not cache failures: the next lookup asks again', async () => {
    const registry = new FakeSchemaRegistry();
    const cached = new CachedSchemaRegistryClient(registry);
    await expect(cached.getSchemaById(8)).rejects.toBeInstanceOf(SchemaRegistryError);
    registry.outage = 'http-503';
    await expect(cached.getSchemaById(8)).rejects.toMatchObject({ retriable: true });
    registry.outage = undefined;
    registry.put(8, '"long"');
    expect(await cached.getSchemaById(8)).toBe('"long"');
    expect(registry.calls.getSchemaById).toBe(3);
  });

  it('remembers the id registered for a subject and schema, and the schema of that id', async () => {
    const registry = new FakeSchemaRegistry();
    const cached = new CachedSchemaRegistryClient(registry);
    const id = await cached.register('customers-value', '"string"');
    expect(await cached.register('customers-value', '"string"')).toBe(id);
    expect(await cached.lookup('customers-value', '"string"')).toBe(id);
    expect(await cached.getSchemaById(id)).toBe('"string"');
    expect(registry.calls).toEqual({ register: 1, lookup: 0, getSchemaById: 0 });
    // a different subject is a different registration
    await cached.register('other-value', '"string"');
    expect(registry.calls.register).toBe(2);
  });
});
