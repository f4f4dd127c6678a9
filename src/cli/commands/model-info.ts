import { Command } from 'commander';
import { loadModel } from '../../model/index.js';
import { configWithFlags, modelOverrides } from '../options.js';

/** `model info`: the artifact metadata as JSON on stdout (same document as GET /model). */
export function modelCommand(): Command {
  const model = new Command('model').description('Inspect the model artifact');
  model
    .command('info')
    .description('Print the model artifact metadata (name, version, metrics, features, training) as JSON')
    .option('--model <dir>', 'model artifact directory (default: config model.dir / MODEL_DIR)')
    .action(async (flags: { model?: string }) => {
      const config = configWithFlags({ model: modelOverrides(flags) });
      const loaded = await loadModel(config.model.dir);
      process.stdout.write(JSON.stringify({ dir: config.model.dir, ...loaded.meta }, null, 2) + '\n');
    });
  return model;
}
