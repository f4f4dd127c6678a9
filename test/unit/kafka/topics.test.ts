import type { Admin, DescribeConfigResponse } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { checkMessageLimits, MessageLimitError, messageLimitProblems } from '../../../src/kafka/topics.js';

/** The part of a DescribeConfigs answer checkMessageLimits reads. */
function described(limits: Record<string, string>): Pick<Admin, 'describeConfigs'> {
  return {
    describeConfigs: () =>
      Promise.resolve({
        throttleTime: 0,
        resources: Object.entries(limits).map(([resourceName, configValue]) => ({
          resourceName,
          resourceType: 2,
          errorCode: 0,
          errorMessage: null,
          configEntries: [
            {
              configName: 'max.message.bytes',
              configValue,
              isDefault: false,
              isSensitive: false,
              readOnly: false,
              configSynonyms: [],
            },
          ],
        })),
      } as unknown as DescribeConfigResponse),
  };
}

describe('output topic message limits', () => {
  it('lists the topics that take smaller batches than needed', () => {
    const limits = new Map([
      ['predictions', 1_048_588],
      ['customers.dlq', 100_000],
    ]);
    expect(messageLimitProblems(limits, 524_288)).toEqual([{ topic: 'customers.dlq', maxMessageBytes: 100_000 }]);
    expect(messageLimitProblems(limits, 100_000)).toEqual([]);
  });

  it('refuses to start with a topic whose max.message.bytes is below the transaction bound, naming it', async () => {
    const admin = described({ predictions: '1048588', 'customers.dlq': '100000' });
    const refused = checkMessageLimits(admin, ['predictions', 'customers.dlq'], 524_288);
    await expect(refused).rejects.toBeInstanceOf(MessageLimitError);
    await expect(refused).rejects.toThrow(
      /topic customers\.dlq has max\.message\.bytes=100000.*TRANSACTION_MAX_BYTES to at most 100000/,
    );
    await expect(checkMessageLimits(admin, ['predictions', 'customers.dlq'], 100_000)).resolves.toEqual(
      new Map([
        ['predictions', 1_048_588],
        ['customers.dlq', 100_000],
      ]),
    );
  });
});
