import * as core from '@actions/core';

/** Post step: verify again and save (arrives with the Action issue). */
export async function run(): Promise<void> {
  core.info('oci-cache-guard post step: nothing to save yet');
}
