import { runMain } from './run-main.js';
import { OutputState } from './state.js';

// restore/action.yml: the main step alone; save/action.yml finds what it left in RUNNER_TEMP.
await runMain(new OutputState());
process.exit();
