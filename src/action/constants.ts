/** Every input, output and state name in one place; a test checks them against action.yml. */
export enum Inputs {
  Path = 'path',
  Images = 'images',
  LinuxkitFiles = 'linuxkit-files',
  Platforms = 'platforms',
  KeyPrefix = 'key-prefix',
  Key = 'key',
  RestoreKeys = 'restore-keys',
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
  /** save sub-action only: the restore step's `fingerprint` output. */
  RestoredFingerprint = 'restored-fingerprint',
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
  /** restore sub-action: pass to the save sub-action's `restored-fingerprint`. */
  Fingerprint = 'fingerprint',
  SavedKey = 'saved-key',
  LinuxkitPath = 'linuxkit-path',
}

export enum State {
  MatchedKey = 'matched-key',
  RestoredFingerprint = 'restored-fingerprint',
  MainCompleted = 'main-completed',
  /** Where main left its stat snapshot of the blobs it verified (outside the cache). */
  StatSnapshot = 'stat-snapshot',
}

/** What `actions/cache` names the env variable that limits cache use. */
export const CACHE_MODE_ENV = 'ACTIONS_CACHE_MODE';
