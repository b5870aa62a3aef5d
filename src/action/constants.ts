/** Every input, output and state name in one place; a test checks them against action.yml. */
export enum Inputs {
  Path = 'path',
  Images = 'images',
  LinuxkitFiles = 'linuxkit-files',
  Platforms = 'platforms',
  KeyPrefix = 'key-prefix',
  /** A namespace of entries instead of `<key-prefix>-<os>`. */
  Key = 'key',
  Verify = 'verify',
  OnCorrupt = 'on-corrupt',
  FailOnMissing = 'fail-on-missing',
  Save = 'save',
  Prune = 'prune',
  Concurrency = 'concurrency',
  Refresh = 'refresh',
  RegistryAuth = 'registry-auth',
  RegistryMirrors = 'registry-mirrors',
  GithubToken = 'github-token',
  LinuxkitVersion = 'linuxkit-version',
  LinuxkitSha256 = 'linuxkit-sha256',
  LinuxkitDownloadUrl = 'linuxkit-download-url',
  MaxNewEntries = 'max-new-entries',
}

export enum Outputs {
  CacheHit = 'cache-hit',
  CacheMatchedKey = 'cache-matched-key',
  Verified = 'verified',
  CorruptBlobs = 'corrupt-blobs',
  RemovedBlobs = 'removed-blobs',
  PulledImages = 'pulled-images',
  BytesDownloaded = 'bytes-downloaded',
  Report = 'report',
  /** Keys of the entries the step saved, one per line. */
  SavedKey = 'saved-key',
  LinuxkitPath = 'linuxkit-path',
}

export enum State {
  MainCompleted = 'main-completed',
  /** Where main left its stat snapshot of the blobs it verified (outside the cache). */
  StatSnapshot = 'stat-snapshot',
  /** Where main left what it restored per image (outside the cache). */
  Restored = 'restored',
}

/** What `actions/cache` names the env variable that limits cache use. */
export const CACHE_MODE_ENV = 'ACTIONS_CACHE_MODE';
