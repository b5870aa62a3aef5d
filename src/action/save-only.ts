import * as core from '@actions/core';
import { Inputs, State } from './constants.js';
import { runPost } from './run-post.js';
import { MemoryState } from './state.js';

// save/action.yml: the post step alone, told by the restore step what it restored.
const state = new MemoryState();
state.set(State.RestoredFingerprint, core.getInput(Inputs.RestoredFingerprint));
state.set(State.MainCompleted, 'true');
await runPost(state);
process.exit();
