import { runMain } from './run-main.js';
import { OutputState } from './state.js';

// restore/action.yml: the main step alone; its `fingerprint` output feeds save/action.yml.
await runMain(new OutputState());
process.exit();
