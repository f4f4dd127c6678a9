/** How big each benchmark is, full and --quick (the quick run must finish within 5 minutes). */
export interface BenchSizes {
  scoreSeconds: number;
  httpConnections: readonly number[];
  httpSeconds: number;
  httpWarmupSeconds: number;
  /** events drained by the worker for peak throughput (issue: at least 200,000) */
  streamEvents: number;
  streamPartitions: number;
  /** events per Python loop variant */
  pythonEvents: number;
  ceilingRecords: number;
  latencyFractions: readonly number[];
  latencySeconds: number;
  burstSeconds: number;
  /** events/s offered from the moment a fresh worker is ready (the external measurement's 5,000/s) */
  coldStartRate: number;
  coldStartSeconds: number;
  scalingPartitions: readonly number[];
  scalingEvents: number;
  /** events per Kafka client in the 'clients' section */
  clientEvents: number;
  profileEvents: number;
  profileServeSeconds: number;
  /** the 'features' section (issue 12's cost): events per worker run, rounds, variants besides 'off' */
  featureEvents: number;
  featureRounds: number;
  featureVariants: readonly string[];
}

export const FULL: BenchSizes = {
  scoreSeconds: 3,
  httpConnections: [1, 8, 32, 128],
  httpSeconds: 10,
  httpWarmupSeconds: 2,
  streamEvents: 200_000,
  streamPartitions: 3,
  pythonEvents: 100_000,
  ceilingRecords: 500_000,
  latencyFractions: [0.25, 0.5, 0.9],
  latencySeconds: 15,
  burstSeconds: 10,
  coldStartRate: 5_000,
  coldStartSeconds: 20,
  scalingPartitions: [1, 2, 4],
  scalingEvents: 100_000,
  clientEvents: 200_000,
  profileEvents: 60_000,
  profileServeSeconds: 8,
  featureEvents: 100_000,
  featureRounds: 6,
  featureVariants: ['on', 'reasons', 'drift'],
};

export const QUICK: BenchSizes = {
  scoreSeconds: 1,
  httpConnections: [1, 8, 32, 128],
  httpSeconds: 3,
  httpWarmupSeconds: 1,
  streamEvents: 20_000,
  streamPartitions: 3,
  pythonEvents: 5_000,
  ceilingRecords: 100_000,
  latencyFractions: [0.25, 0.5, 0.9],
  latencySeconds: 4,
  burstSeconds: 4,
  coldStartRate: 5_000,
  coldStartSeconds: 8,
  scalingPartitions: [1, 2, 4],
  scalingEvents: 10_000,
  clientEvents: 20_000,
  profileEvents: 10_000,
  profileServeSeconds: 3,
  featureEvents: 40_000,
  featureRounds: 2,
  featureVariants: ['on', 'reasons', 'drift'],
};
