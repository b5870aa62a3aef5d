import { runMain } from './run-main.js';
import { MemoryState } from './state.js';

// restore/action.yml: the main step alone; save/action.yml finds what it left in RUNNER_TEMP.
await runMain(new MemoryState());
process.exit();
