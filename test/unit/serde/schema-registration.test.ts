import { describe, expect, it } from 'vitest';
import { registerWithCompatibility } from '../../../src/serde/schema-registration.js';
import { SchemaRegistryError, type CompatibilityLevel } from '../../../src/serde/schema-registry.js';
import { FakeSchemaRegistry } from './fake-schema-registry.js';

const schema = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }] });

/** A registry where the first `losses` compatibility writes lose a race with another worker (Apicurio: 409). */
class RacingRegistry extends FakeSchemaRegistry {
  attempts = 0;
  constructor(private losses: number) {
    super();
  }
  override async setCompatibility(subject: string, level: CompatibilityLevel): Promise<void> {
    this.attempts++;
    if (this.losses > 0) {
      this.losses--;
      throw new SchemaRegistryError("A rule named 'COMPATIBILITY' already exists", {
        operation: 'setCompatibility',
        subject,
        status: 409,
      });
    }
    await super.setCompatibility(subject, level);
  }
}

describe('registerWithCompatibility', () => {
  it('retries a compatibility write that lost a race with another worker', async () => {
    const registry = new RacingRegistry(2);
    const id = await registerWithCompatibility(registry, 'customers-value', schema, 'BACKWARD');
    expect(id).toBe(await registry.lookup('customers-value', schema));
    expect(registry.attempts).toBe(3);
  });

  it('gives up after a bounded number of attempts and says why', async () => {
    const registry = new RacingRegistry(100);
    await expect(registerWithCompatibility(registry, 'customers-value', schema)).rejects.toThrow(/already exists/);
    expect(registry.attempts).toBe(4);
  });
});
