#!/usr/bin/env node
import module from 'node:module';

// Node ≥ 22.1 keeps compiled code between runs (in the OS temp dir; NODE_DISABLE_COMPILE_CACHE=1
// turns it off), so later starts skip compiling the bundle. Enabled before anything else loads:
// only code compiled after this call is cached. Node 20 has no such cache.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { runCli } = await import('./main.js');

process.exitCode = await runCli(process.argv.slice(2));
