import { runMain } from './run-main.js';

await runMain();
// Pending HTTP keep-alives and retry timers must not hold the runner.
process.exit();
