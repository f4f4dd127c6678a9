// Entry of the DecodeSandbox worker thread: a thread does not inherit the test runner's
// TypeScript loader, so it registers tsx's before loading the TypeScript worker module.
import { register } from 'tsx/esm/api';

register();
await import('./decode-sandbox-worker.ts');
