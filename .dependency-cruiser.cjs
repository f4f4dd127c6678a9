// The layering of src/ (docs/architecture.md explains it): checked by `npm run lint` in CI.
// Pure cores (contract, model, serde codecs) import nothing with I/O; the stream never imports
// the HTTP adapter; only the composition layers (app, cli, demo) see everything, and only cli/demo see app.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'src-not-to-tests-or-bench',
      comment: 'Production code never depends on tests, benchmarks or scripts.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts)/' },
    },
    {
      name: 'pure-core-has-no-io',
      comment: 'contract and model are the functional core: no Kafka, HTTP, stream, CLI, or observability.',
      severity: 'error',
      from: { path: '^src/(contract|model)/' },
      to: { path: '^src/(kafka|http|stream|cli|demo|observability|serde)/' },
    },
    {
      name: 'serde-below-stream',
      comment: 'The codec and registry client know nothing of the stream, HTTP or CLI.',
      severity: 'error',
      from: { path: '^src/serde/' },
      to: { path: '^src/(kafka|http|stream|cli|demo)/' },
    },
    {
      name: 'stream-not-to-http',
      comment: 'The stream never imports the HTTP adapter (nor the CLI that wires both).',
      severity: 'error',
      from: { path: '^src/stream/' },
      to: { path: '^src/(http|cli|demo)/' },
    },
    {
      name: 'http-not-to-stream',
      comment: 'The side-port serves the model and probes; it is handed the stream state, never imports it.',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: '^src/(stream|kafka|cli|demo)/' },
    },
    {
      name: 'app-only-from-commands',
      comment: 'src/app is the composition root: it may import everything; only the commands (cli, demo) import it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(app|cli|demo)/' },
      to: { path: '^src/app/' },
    },
    {
      name: 'errors-import-nothing',
      comment: 'src/errors is the error vocabulary every layer imports: it imports nothing of ours.',
      severity: 'error',
      from: { path: '^src/errors/' },
      to: { path: '^src/', pathNot: '^src/errors/' },
    },
    {
      name: 'rollout-is-pure',
      comment: 'src/rollout (variant assignment, comparison statistics) runs per record: it imports src/errors only.',
      severity: 'error',
      from: { path: '^src/rollout/' },
      to: { pathNot: '^src/(rollout|errors)/' },
    },
    {
      name: 'monitoring-is-pure',
      comment:
        'src/monitoring (drift windows, PSI against the training reference) runs per record: it imports src/errors, ' +
        'src/rollout (the score histogram and PSI), src/contract, and src/model for types only.',
      severity: 'error',
      from: { path: '^src/monitoring/' },
      to: { pathNot: '^src/(monitoring|errors|rollout|contract|model)/' },
    },
    {
      name: 'monitoring-uses-model-types-only',
      comment: 'The drift monitor reads the artifact reference as data: no model loading (file I/O) or scoring.',
      severity: 'error',
      from: { path: '^src/monitoring/' },
      to: { path: '^src/model/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'serving-is-pure',
      comment:
        'src/serving (which model serves a customer, read per record and per request) is pure: it imports only ' +
        'src/rollout, src/model, src/contract and src/errors.',
      severity: 'error',
      from: { path: '^src/serving/' },
      to: { pathNot: '^src/(serving|rollout|model|contract|errors)/' },
    },
    {
      name: 'experiments-core-is-pure',
      comment:
        'The comparison (tracker, report, views, tables) is pure: it imports src/rollout, src/serving, src/errors ' +
        "and the model's types; only published-predictions.ts, the reader of the prediction topics, does I/O.",
      severity: 'error',
      from: { path: '^src/experiments/', pathNot: '^src/experiments/published-predictions\\.ts$' },
      to: { pathNot: '^src/(experiments|rollout|serving|errors|model)/' },
    },
    {
      name: 'dashboard-core-is-pure',
      comment:
        "src/dashboard builds the dashboard's figures from a metrics snapshot and the committed predictions (pure); " +
        'dashboard-assets.ts (reads the page files once) and metric-sampler.ts (a timer) are its thin shell. It ' +
        'never imports the stream, Kafka, the HTTP adapter or the commands: the side-port hands it what it shows.',
      severity: 'error',
      from: { path: '^src/dashboard/' },
      to: { path: '^src/(stream|kafka|http|cli|demo|app|serde)/', pathNot: '^src/http/monitoring-view\\.ts$' },
    },
    {
      name: 'experiments-below-stream-and-http',
      comment:
        'The stream and the side-port feed and read the comparison: it never imports them, nor the commands. ' +
        "Reading the prediction topics, it knows the prediction record's header names (stream/prediction-record.ts) " +
        'and reads them with the shared one-off reader (kafka/read-to-end.ts).',
      severity: 'error',
      from: { path: '^src/experiments/' },
      to: {
        path: '^src/(stream|http|kafka|model-registry|replay|cli|demo)/',
        pathNot: '^src/(stream/prediction-record|kafka/read-to-end)\\.ts$',
      },
    },
    {
      name: 'model-registry-below-stream',
      comment:
        'The models and rollout topics (publishing, verifying, following) are below the stream and the side-port: ' +
        'they are handed the follower as a ServingSetSource, and it imports neither.',
      severity: 'error',
      from: { path: '^src/model-registry/' },
      to: { path: '^src/(stream|http|experiments|replay|cli|demo)/' },
    },
    {
      name: 'infrastructure-not-to-commands',
      comment: 'Only the composition layers (cli, demo, app) see everything.',
      severity: 'error',
      from: { path: '^src/(kafka|observability|config)/' },
      to: { path: '^src/(http|stream|cli|demo)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
