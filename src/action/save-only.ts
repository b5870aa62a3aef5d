import { State } from './constants.js';
import { runPost } from './run-post.js';
import { MemoryState } from './state.js';

// save/action.yml: the post step alone. What the restore step left (its record of entries and
// its stat snapshot) is found in RUNNER_TEMP by the cache path.
const state = new MemoryState();
state.set(State.MainCompleted, 'true');
await runPost(state);
process.exit();
