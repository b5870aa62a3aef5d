import { run } from './run-post.js';

await run();
